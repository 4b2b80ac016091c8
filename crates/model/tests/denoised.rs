//! `Vae::denoised_pca`: principal components of the z-scored reconstructions (each column
//! times √ its loss weight where features weigh unequally), checked against the
//! reconstructions themselves (distances, centring, order of the components).

use candle_core::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use vaebio_model::{
    Dataset, DenseMatrix, DenseView, FeatureGroup, Likelihood, RowSource, TrainConfig, Vae,
    VaeConfig,
};

const DIMS: usize = 6;

/// Three clusters in `DIMS` features on very different scales (column c scaled by 10^c/2,
/// so z-scoring matters), plus noise.
fn three_clusters(n: usize) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let noise = Normal::new(0.0f32, 0.4).unwrap();
    let mut values = Vec::with_capacity(n * DIMS);
    for row in 0..n {
        for col in 0..DIMS {
            let centre = [(-2.0, 1.0), (2.0, 1.0), (0.0, -2.0)][row % 3];
            let base = if col % 2 == 0 { centre.0 } else { centre.1 };
            values.push((base + noise.sample(&mut rng)) * 10f32.powf(col as f32 / 2.0));
        }
    }
    values
}

/// A standardised Gaussian model of `n_features`, one hidden layer, its features weighed by
/// `groups` in the loss.
fn gaussian_weighed(
    n_features: usize,
    hidden: usize,
    latent: usize,
    groups: Vec<FeatureGroup>,
) -> Vae {
    let config = VaeConfig {
        hidden: vec![hidden],
        latent,
        standardize: true,
        feature_groups: groups,
        ..VaeConfig::new(
            n_features,
            Likelihood::Gaussian {
                learned_variance: false,
            },
        )
    };
    Vae::new(config, &Device::Cpu).unwrap()
}

/// A standardised Gaussian model of `n_features`, one hidden layer, every feature weighing 1.
fn gaussian(n_features: usize, hidden: usize, latent: usize) -> Vae {
    gaussian_weighed(n_features, hidden, latent, Vec::new())
}

fn trained(values: &[f32], groups: Vec<FeatureGroup>) -> Vae {
    let mut vae = gaussian_weighed(DIMS, 16, 3, groups);
    let training = TrainConfig {
        epochs: 15,
        batch_size: 16,
        learning_rate: 1e-2,
        ..TrainConfig::default()
    };
    let view = DenseView::new(values, DIMS).unwrap();
    vae.train(&Dataset::new(&view), &training, |_| {}).unwrap();
    vae
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The reconstructions of `data` z-scored by hand with the model's fitted means and SDs, each
/// column times `scale`, in f64.
fn scaled_reconstructions(vae: &Vae, data: &Dataset, scale: &[f64]) -> Vec<Vec<f64>> {
    let reconstruction = vae.reconstruct(data, None).unwrap();
    let standardization = vae
        .standardization()
        .expect("a Gaussian model standardises");
    (0..reconstruction.n_rows())
        .map(|row| {
            reconstruction
                .row(row)
                .iter()
                .zip(&standardization.mean)
                .zip(&standardization.std)
                .zip(scale)
                .map(|(((&v, &m), &s), &c)| c * (f64::from(v) - f64::from(m)) / f64::from(s))
                .collect()
        })
        .collect()
}

/// With every component, PCA is a rotation of the centred rows: `scores` keep the distances
/// between rows of `z` (checked on a few pairs, at least one of them far apart).
fn assert_distances_kept(scores: &DenseMatrix, z: &[Vec<f64>]) {
    let score =
        |row: usize| -> Vec<f64> { scores.row(row).iter().map(|&v| f64::from(v)).collect() };
    let mut largest = 0f64;
    for (a, b) in [(0, 1), (0, 2), (5, 40), (17, 88), (33, 34)] {
        let expected = squared_distance(&z[a], &z[b]);
        let got = squared_distance(&score(a), &score(b));
        largest = largest.max(expected);
        assert!(
            (got - expected).abs() <= 1e-3 * expected.max(1.0),
            "rows {a}, {b}: {got} against {expected}"
        );
    }
    // The clusters are apart in the reconstructions: the check above is not of near-zeros.
    assert!(largest > 1.0, "largest squared distance {largest}");
}

#[test]
fn denoised_pca_is_pca_of_the_z_scored_reconstructions() {
    let values = three_clusters(90);
    let view = DenseView::new(&values, DIMS).unwrap();
    let data = Dataset::new(&view);
    let vae = trained(&values, Vec::new());

    let z = scaled_reconstructions(&vae, &data, &[1.0; DIMS]);
    let full = vae.denoised_pca(&data, DIMS).unwrap();
    assert_eq!((full.n_rows(), full.n_cols()), (90, DIMS));
    assert_distances_kept(&full, &z);

    // Two components: centred, uncorrelated, the first the wider.
    let two = vae.denoised_pca(&data, 2).unwrap();
    let column = |c: usize| -> Vec<f64> { (0..90).map(|r| f64::from(two.row(r)[c])).collect() };
    let (first, second) = (column(0), column(1));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    assert!(mean(&first).abs() < 1e-4 && mean(&second).abs() < 1e-4);
    assert!(dot(&first, &second).abs() < 1e-3 * dot(&first, &first));
    assert!(dot(&first, &first) >= dot(&second, &second));
    // And they are the leading two of the full set (up to sign).
    for c in 0..2 {
        let full_column: Vec<f64> = (0..90).map(|r| f64::from(full.row(r)[c])).collect();
        let agreement = dot(&column(c), &full_column).abs()
            / (dot(&column(c), &column(c)).sqrt() * dot(&full_column, &full_column).sqrt());
        assert!(agreement > 0.999, "component {c}: cosine {agreement}");
    }

    // From posterior means at hand (as `vaebio bin` has them): the same scores, bit for bit;
    // means of other rows or another latent size are refused.
    let means = vae.encode(&view).unwrap().mean;
    let from_means = vae.denoised_pca_from_means(&data, &means, 2).unwrap();
    assert_eq!(from_means.values(), two.values());
    let fewer = DenseMatrix::new(means.values()[..89 * 2].to_vec(), 89, 2).unwrap();
    let error = vae.denoised_pca_from_means(&data, &fewer, 2).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("89 × 2 posterior means for 90 rows"),
        "{error}"
    );
}

#[test]
fn unequal_loss_weights_scale_the_columns_by_their_square_roots() {
    // Features 1–4 weigh 0.25 in the loss and 5–6 weigh 4 (as the contigs recipe weighs TNF
    // against depth): the denoised PCA keeps the distances of the z-scored reconstructions
    // with columns scaled by 0.5 and 2, not of the plain z-scored ones.
    let values = three_clusters(90);
    let view = DenseView::new(&values, DIMS).unwrap();
    let data = Dataset::new(&view);
    let groups = vec![
        FeatureGroup {
            n_features: 4,
            weight: 0.25,
        },
        FeatureGroup {
            n_features: 2,
            weight: 4.0,
        },
    ];
    let vae = trained(&values, groups);
    let full = vae.denoised_pca(&data, DIMS).unwrap();
    let scaled = scaled_reconstructions(&vae, &data, &[0.5, 0.5, 0.5, 0.5, 2.0, 2.0]);
    assert_distances_kept(&full, &scaled);
    // The plain z-scored distances differ: the check tells the two metrics apart.
    let plain = scaled_reconstructions(&vae, &data, &[1.0; DIMS]);
    let (a, b) = (0, 1);
    let ratio = squared_distance(&plain[a], &plain[b]) / squared_distance(&scaled[a], &scaled[b]);
    assert!((ratio - 1.0).abs() > 0.1, "plain / scaled distance {ratio}");
}

#[test]
fn wide_reconstructions_take_the_iterative_pca_with_the_same_result() {
    // 300 features, past the covariance route's 256 columns: the subspace iteration gives
    // the scores the covariance route gives on the same z-scored reconstructions (compared by
    // the distances between rows, which do not depend on the components' signs).
    let wide = 300;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let noise = Normal::new(0.0f32, 1.0).unwrap();
    let values: Vec<f32> = (0..40 * wide)
        .map(|i| noise.sample(&mut rng) + if (i / wide) % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let mut vae = gaussian(wide, 8, 2);
    let view = DenseView::new(&values, wide).unwrap();
    let data = Dataset::new(&view);
    let training = TrainConfig {
        epochs: 2,
        batch_size: 16,
        ..TrainConfig::default()
    };
    vae.train(&data, &training, |_| {}).unwrap();
    let scores = vae.denoised_pca(&data, 2).unwrap();
    let mut z = vae.reconstruct(&data, None).unwrap().into_values();
    vae.standardization().unwrap().apply(&mut z);
    let covariance = vaebio_analysis::pca_scores_few_columns(&DenseView::new(&z, wide).unwrap(), 2);
    let distance = |s: &[f32], a: usize, b: usize| -> f32 {
        (0..2)
            .map(|c| (s[a * 2 + c] - s[b * 2 + c]).powi(2))
            .sum::<f32>()
            .sqrt()
    };
    for (a, b) in [(0, 1), (2, 7), (10, 31), (5, 38)] {
        let (got, want) = (distance(scores.values(), a, b), distance(&covariance, a, b));
        assert!(
            (got - want).abs() <= 1e-3 * want.max(1.0),
            "rows {a}, {b}: {got} vs {want}"
        );
    }
}
