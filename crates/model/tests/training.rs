//! End-to-end behaviour of the model on tiny synthetic data: learning, separation,
//! determinism, checkpoints, errors.

use std::sync::atomic::{AtomicUsize, Ordering};

use candle_core::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use vaebio_model::{
    Dataset, DenseView, EarlyStopping, Error, Likelihood, Progress, TrainConfig, Vae, VaeConfig,
};

const GAUSSIAN: Likelihood = Likelihood::Gaussian {
    learned_variance: false,
};

/// `n` rows of `dims` features: two clusters at ±2 on every feature plus N(0, 0.5) noise.
/// Returns the values and each row's cluster.
fn two_clusters(n: usize, dims: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let noise = Normal::new(0.0f32, 0.5).unwrap();
    let mut values = Vec::with_capacity(n * dims);
    let mut labels = Vec::with_capacity(n);
    for row in 0..n {
        let cluster = row % 2;
        let centre = if cluster == 0 { -2.0 } else { 2.0 };
        // Alternate sign per feature so the structure is not just a shift of every column.
        for col in 0..dims {
            let sign = if col % 2 == 0 { 1.0 } else { -1.0 };
            values.push(sign * centre + noise.sample(&mut rng));
        }
        labels.push(cluster);
    }
    (values, labels)
}

fn small_config(dims: usize) -> VaeConfig {
    VaeConfig {
        hidden: vec![16],
        latent: 2,
        ..VaeConfig::new(dims, GAUSSIAN)
    }
}

fn quick_training(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        learning_rate: 1e-2,
        ..TrainConfig::default()
    }
}

#[test]
fn loss_decreases_and_clusters_separate() {
    let (values, labels) = two_clusters(120, 8, 1);
    let view = DenseView::new(&values, 8).unwrap();
    let mut vae = Vae::new(small_config(8), &Device::Cpu).unwrap();
    let mut steps = 0;
    let history = vae
        .train(&Dataset::new(&view), &quick_training(30), |p| {
            if let Progress::Step { .. } = p {
                steps += 1;
            }
        })
        .unwrap();
    assert_eq!(history.epochs.len(), 30);
    // 108 training rows in minibatches of 16 → 7 steps per epoch.
    assert_eq!(steps, 30 * 7);
    let first = &history.epochs[0];
    let last = history.epochs.last().unwrap();
    assert!(
        last.train.total < 0.7 * first.train.total,
        "training loss {} → {}",
        first.train.total,
        last.train.total
    );
    let validation = |r: &vaebio_model::EpochRecord| r.validation.unwrap().total;
    assert!(validation(last) < validation(first));

    // The cluster means in latent space lie far apart relative to the spread within.
    let posterior = vae.encode(&view).unwrap();
    let mut centres = [[0f64; 2]; 2];
    for (row, &label) in labels.iter().enumerate() {
        for (centre, &value) in centres[label].iter_mut().zip(posterior.mean.row(row)) {
            *centre += f64::from(value) / 60.0;
        }
    }
    let mut spread = 0.0;
    for (row, &label) in labels.iter().enumerate() {
        for (centre, &value) in centres[label].iter().zip(posterior.mean.row(row)) {
            spread += (f64::from(value) - centre).powi(2) / 120.0;
        }
    }
    let gap =
        ((centres[0][0] - centres[1][0]).powi(2) + (centres[0][1] - centres[1][1]).powi(2)).sqrt();
    assert!(
        gap > 4.0 * spread.sqrt(),
        "gap {gap}, within-cluster sd {}",
        spread.sqrt()
    );
}

#[test]
fn same_seed_gives_bit_identical_weights_and_latents() {
    let (values, _) = two_clusters(40, 6, 2);
    let view = DenseView::new(&values, 6).unwrap();
    let run = || {
        let mut vae = Vae::new(small_config(6), &Device::Cpu).unwrap();
        vae.train(&Dataset::new(&view), &quick_training(3), |_| {})
            .unwrap();
        let weights: Vec<(String, Vec<f32>)> = vae
            .named_variables()
            .into_iter()
            .map(|(name, var)| {
                let values = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
                (name, values)
            })
            .collect();
        let latent = vae.sample_posterior(&view, 7).unwrap();
        (weights, latent)
    };
    let (weights_a, latent_a) = run();
    let (weights_b, latent_b) = run();
    assert_eq!(weights_a, weights_b);
    assert_eq!(latent_a, latent_b);
    // Another seed really is another model.
    let other = Vae::new(
        VaeConfig {
            seed: 1,
            ..small_config(6)
        },
        &Device::Cpu,
    )
    .unwrap();
    let first = |vae: &Vae| {
        vae.named_variables()[0]
            .1
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    };
    let fresh = Vae::new(small_config(6), &Device::Cpu).unwrap();
    assert_ne!(first(&other), first(&fresh));
}

#[test]
fn save_and_load_give_identical_outputs() {
    let (values, _) = two_clusters(40, 6, 3);
    let view = DenseView::new(&values, 6).unwrap();
    let mut vae = Vae::new(
        VaeConfig {
            standardize: true,
            ..small_config(6)
        },
        &Device::Cpu,
    )
    .unwrap();
    vae.metadata_mut().feature_names = (0..6).map(|i| format!("f{i}")).collect();
    vae.metadata_mut().featurization = serde_json::json!({"kind": "tnf", "min_length": 2000});
    vae.train(&Dataset::new(&view), &quick_training(2), |_| {})
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    vae.save(&path).unwrap();
    // Saving again over an existing checkpoint replaces it atomically.
    vae.save(&path).unwrap();
    assert!(path.join("model.safetensors").is_file());
    let text = std::fs::read_to_string(path.join("config.json")).unwrap();
    assert!(text.contains("\"version\": 1"), "{text}");

    let loaded = Vae::load(&path, &Device::Cpu).unwrap();
    assert_eq!(loaded.metadata(), vae.metadata());
    assert_eq!(loaded.standardization(), vae.standardization());
    assert_eq!(loaded.config(), vae.config());
    assert_eq!(loaded.encode(&view).unwrap(), vae.encode(&view).unwrap());
    let data = Dataset::new(&view);
    assert_eq!(
        loaded.reconstruct(&data, None).unwrap(),
        vae.reconstruct(&data, None).unwrap()
    );
    assert_eq!(
        loaded.elbo(&data, 3, 5).unwrap(),
        vae.elbo(&data, 3, 5).unwrap()
    );

    let missing = Vae::load(dir.path().join("nothing"), &Device::Cpu);
    assert!(matches!(missing, Err(Error::Checkpoint { .. })));
}

#[test]
fn an_exploding_loss_is_a_typed_error_naming_the_epoch() {
    // Finite inputs whose squared error overflows f32.
    let values = vec![1e30f32; 4 * 20];
    let view = DenseView::new(&values, 4).unwrap();
    let mut vae = Vae::new(small_config(4), &Device::Cpu).unwrap();
    let err = vae
        .train(&Dataset::new(&view), &quick_training(2), |_| {})
        .unwrap_err();
    match &err {
        Error::NonFiniteLoss { epoch, step, .. } => assert_eq!((*epoch, *step), (1, 1)),
        other => panic!("expected NonFiniteLoss, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("epoch 1") && message.contains("learning rate"),
        "{message}"
    );
}

/// Rows from a source that reads from disk: the first `good` reads work, then the file is
/// gone.
struct FailingRows<'a> {
    view: DenseView<'a>,
    good: AtomicUsize,
}

impl vaebio_model::RowSource for FailingRows<'_> {
    fn n_rows(&self) -> usize {
        self.view.n_rows()
    }

    fn n_cols(&self) -> usize {
        self.view.n_cols()
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        self.view.fill_rows(rows, out);
    }

    fn try_fill_rows(&self, rows: &[usize], out: &mut [f32]) -> Result<(), vaebio_model::RowError> {
        // one count per read, also when training shards read at once (`RowSource: Sync`)
        let left = self
            .good
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |good| {
                good.checked_sub(1)
            });
        if left.is_err() {
            return Err("cells.h5ad: X/data: truncated — copy it again".into());
        }
        self.fill_rows(rows, out);
        Ok(())
    }
}

#[test]
fn a_failed_row_read_stops_training_and_encoding_with_its_error() {
    let (values, _) = two_clusters(40, 4, 3);
    let view = DenseView::new(&values, 4).unwrap();
    for good in [0, 3] {
        let rows = FailingRows {
            view,
            good: AtomicUsize::new(good),
        };
        let mut vae = Vae::new(small_config(4), &Device::Cpu).unwrap();
        let err = vae
            .train(&Dataset::new(&rows), &quick_training(2), |_| {})
            .unwrap_err();
        assert!(matches!(err, Error::ReadRows(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "cells.h5ad: X/data: truncated — copy it again"
        );
        assert!(matches!(vae.encode(&rows), Err(Error::ReadRows(_))));
    }
}

#[test]
fn bad_settings_and_data_fail_before_training() {
    let values = vec![0.5f32; 4 * 10];
    let view = DenseView::new(&values, 4).unwrap();
    let bad = VaeConfig {
        latent: 0,
        ..small_config(4)
    };
    assert!(matches!(
        Vae::new(bad, &Device::Cpu),
        Err(Error::InvalidConfig {
            field: "latent",
            ..
        })
    ));
    let mut vae = Vae::new(small_config(5), &Device::Cpu).unwrap();
    let err = vae
        .train(&Dataset::new(&view), &quick_training(1), |_| {})
        .unwrap_err();
    assert!(err.to_string().contains("4 features per row"), "{err}");

    let mut counts_model = Vae::new(
        VaeConfig::new(4, Likelihood::NegativeBinomial),
        &Device::Cpu,
    )
    .unwrap();
    let err = counts_model
        .train(&Dataset::new(&view), &quick_training(1), |_| {})
        .unwrap_err();
    assert!(matches!(err, Error::OutsideSupport { .. }), "{err}");
}

#[test]
fn early_stopping_ends_training_and_restores_the_best_epoch() {
    let (values, _) = two_clusters(60, 6, 4);
    let view = DenseView::new(&values, 6).unwrap();
    let mut vae = Vae::new(small_config(6), &Device::Cpu).unwrap();
    let config = TrainConfig {
        epochs: 500,
        learning_rate: 5e-2,
        early_stopping: Some(EarlyStopping {
            patience: 3,
            min_delta: 0.5,
            restore_best: true,
        }),
        ..quick_training(500)
    };
    let history = vae.train(&Dataset::new(&view), &config, |_| {}).unwrap();
    assert!(history.stopped_early);
    let best = history.best_epoch.unwrap();
    assert_eq!(history.epochs.len(), best + 3);
}

#[test]
fn batch_covariate_changes_reconstruction_under_transform_batch() {
    // Two batches: batch 1 is shifted by +3 on every feature.
    let (mut values, _) = two_clusters(60, 6, 5);
    let batches: Vec<u32> = (0..60).map(|r| (r / 2 % 2) as u32).collect();
    for (row, &batch) in batches.iter().enumerate() {
        if batch == 1 {
            for v in &mut values[row * 6..(row + 1) * 6] {
                *v += 3.0;
            }
        }
    }
    let view = DenseView::new(&values, 6).unwrap();
    let data = Dataset::new(&view).with_batches(&batches).unwrap();
    let mut vae = Vae::new(
        VaeConfig {
            n_batches: 2,
            ..small_config(6)
        },
        &Device::Cpu,
    )
    .unwrap();
    vae.train(&data, &quick_training(40), |_| {}).unwrap();
    let as_batch_0 = vae.reconstruct(&data, Some(0)).unwrap();
    let as_batch_1 = vae.reconstruct(&data, Some(1)).unwrap();
    let mean_shift: f32 = as_batch_1
        .values()
        .iter()
        .zip(as_batch_0.values())
        .map(|(a, b)| a - b)
        .sum::<f32>()
        / as_batch_0.values().len() as f32;
    assert!(
        mean_shift > 1.0,
        "decoded batch shift {mean_shift}, data shift 3"
    );
    assert!(vae.reconstruct(&Dataset::new(&view), None).is_err());
    assert!(vae.reconstruct(&data, Some(2)).is_err());
}

/// The mean of `a − b` over every value.
fn mean_difference(a: &vaebio_model::DenseMatrix, b: &vaebio_model::DenseMatrix) -> f32 {
    let sum: f32 = a.values().iter().zip(b.values()).map(|(x, y)| x - y).sum();
    sum / a.values().len() as f32
}

/// Extra covariates as scVI uses them: a categorical one that shifts every feature by +3 in
/// its category 1 and a continuous one c adding 2c are learnt by the decoder (decoding as the
/// other category, or c = ±1, moves the reconstruction the same way); a second categorical
/// covariate drawn independently of the data changes the reconstruction much less; training is
/// deterministic for a seed; a dataset without the covariates, or with a category the model
/// lacks, is refused.
#[test]
fn extra_covariates_reach_the_decoder() {
    let n = 80;
    let (mut values, _) = two_clusters(n, 6, 9);
    let shifting: Vec<u32> = (0..n).map(|r| (r / 2 % 2) as u32).collect();
    let unused: Vec<u32> = (0..n).map(|r| ((r * 7 + r / 3) % 3 % 2) as u32).collect();
    let continuous: Vec<f32> = (0..n).map(|r| (r % 5) as f32 / 2.0 - 1.0).collect();
    for row in 0..n {
        let shift = 3.0 * shifting[row] as f32 + 2.0 * continuous[row];
        for v in &mut values[row * 6..(row + 1) * 6] {
            *v += shift;
        }
    }
    let view = DenseView::new(&values, 6).unwrap();
    let categorical = [shifting.clone(), unused.clone()];
    let continuous = [continuous];
    let data = Dataset::new(&view)
        .with_categorical(&categorical)
        .unwrap()
        .with_continuous(&continuous)
        .unwrap();
    let config = VaeConfig {
        covariate_categories: vec![2, 2],
        n_continuous: 1,
        ..small_config(6)
    };
    let trained = || {
        let mut vae = Vae::new(config.clone(), &Device::Cpu).unwrap();
        vae.train(&data, &quick_training(60), |_| {}).unwrap();
        vae
    };
    let vae = trained();
    let plain = vae.reconstruct(&data, None).unwrap();
    assert_eq!(plain, trained().reconstruct(&data, None).unwrap());

    let with_categories = |first: u32, second: u32| [vec![first; n], vec![second; n]];
    let decoded = |categorical: &[Vec<u32>], c: f32| {
        let continuous = [vec![c; n]];
        let data = Dataset::new(&view)
            .with_categorical(categorical)
            .unwrap()
            .with_continuous(&continuous)
            .unwrap();
        vae.reconstruct(&data, None).unwrap()
    };
    let base = decoded(&with_categories(0, 0), 0.0);
    let shifted = mean_difference(&decoded(&with_categories(1, 0), 0.0), &base);
    let unused_shift = mean_difference(&decoded(&with_categories(0, 1), 0.0), &base);
    let continuous_shift = mean_difference(
        &decoded(&with_categories(0, 0), 1.0),
        &decoded(&with_categories(0, 0), -1.0),
    );
    assert!(shifted > 1.5, "categorical shift {shifted}, data shift 3");
    assert!(
        continuous_shift > 2.0,
        "continuous shift {continuous_shift}, data shift 4"
    );
    assert!(
        unused_shift.abs() < 0.25 * shifted,
        "an unused covariate shifts {unused_shift}, the used one {shifted}"
    );

    assert!(vae.reconstruct(&Dataset::new(&view), None).is_err());
    let out_of_range = [shifting, vec![2; n]];
    let error = vae
        .reconstruct(
            &Dataset::new(&view)
                .with_categorical(&out_of_range)
                .unwrap()
                .with_continuous(&continuous)
                .unwrap(),
            None,
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("row 1: category 2 of categorical covariate 2"),
        "{error}"
    );
    // Generated rows decode as category 0 and value 0.
    assert_eq!(vae.generate(4, 1, None).unwrap().values().len(), 24);
}

#[test]
fn generate_is_seeded() {
    let vae = Vae::new(small_config(5), &Device::Cpu).unwrap();
    let a = vae.generate(7, 11, None).unwrap();
    assert_eq!(a, vae.generate(7, 11, None).unwrap());
    assert_ne!(a, vae.generate(7, 12, None).unwrap());
    assert_eq!(a.values().len(), 35);
}

/// A small diploid binomial model trained 3 epochs on `dosages` (rows of 6 sites).
fn trained_diploid(dosages: &[f32]) -> Vae {
    let view = DenseView::new(dosages, 6).unwrap();
    let config = VaeConfig {
        hidden: vec![8],
        latent: 2,
        ..VaeConfig::new(6, Likelihood::Binomial { trials: 2 })
    };
    let mut vae = Vae::new(config, &Device::Cpu).unwrap();
    vae.train(&Dataset::new(&view), &quick_training(3), |_| {})
        .unwrap();
    vae
}

/// Mixed ploidy: a haploid genotype's expected dosage is its allele probability times 1, a
/// diploid's times 2, so with the same encoder input the reconstruction of a value whose trials
/// are 1 is exactly half of the same value's with trials 2; the ELBO changes with them; and a
/// dosage above its own trials, or trials beyond the binomial's, is refused.
#[test]
fn per_genotype_trials_reach_the_likelihood_and_the_expected_dosage() {
    let dosages: Vec<f32> = (0..40 * 6).map(|i| ((i * 7 + i / 6) % 2) as f32).collect();
    let view = DenseView::new(&dosages, 6).unwrap();
    let vae = trained_diploid(&dosages);
    let diploid = &vec![2u8; dosages.len()];
    let haploid = &vec![1u8; dosages.len()];
    let with = |trials| Dataset::new(&view).with_trials(trials).unwrap();
    let plain = vae.reconstruct(&Dataset::new(&view), None).unwrap();
    let as_diploid = vae.reconstruct(&with(diploid), None).unwrap();
    let as_haploid = vae.reconstruct(&with(haploid), None).unwrap();
    assert_eq!(plain.values(), as_diploid.values());
    for (h, d) in as_haploid.values().iter().zip(as_diploid.values()) {
        assert_eq!(*h, d / 2.0, "haploid {h}, diploid {d}");
    }
    let elbo_diploid = vae.elbo(&with(diploid), 1, 5).unwrap();
    let elbo_haploid = vae.elbo(&with(haploid), 1, 5).unwrap();
    assert_eq!(elbo_diploid, vae.elbo(&Dataset::new(&view), 1, 5).unwrap());
    assert_ne!(elbo_diploid, elbo_haploid);

    let twos = vec![2.0f32; 6];
    let two_view = DenseView::new(&twos, 6).unwrap();
    let error = vae
        .elbo(
            &Dataset::new(&two_view)
                .with_trials(&[2, 2, 1, 2, 2, 2])
                .unwrap(),
            1,
            5,
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("observation 1 feature 3") && error.contains("exceeds its own 1 trials"),
        "{error}"
    );
    let error = vae
        .elbo(
            &Dataset::new(&two_view)
                .with_trials(&[2, 2, 3, 2, 2, 2])
                .unwrap(),
            1,
            5,
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("row 1, feature 3: 3 trials, outside 0..=2"),
        "{error}"
    );
}

/// A call of 0 trials (a missing genotype under `--missing mask`) is left out of the
/// likelihood: its fill value need not be a whole dosage (the same value at an observed call
/// is refused); rows without one keep their ELBO bit for bit, rows with one gain the call's
/// log-probability (always negative); and its reconstruction is the expected dosage at the
/// largest ploidy, exactly as if it had been observed.
#[test]
fn masked_calls_leave_the_likelihood_but_not_the_encoder() {
    let mut dosages: Vec<f32> = (0..40 * 6).map(|i| ((i * 7 + i / 6) % 3) as f32).collect();
    let vae = trained_diploid(&dosages);
    // rows 1 and 4 each have one masked call, filled with a site mean the encoder reads
    let (first, second) = (6 + 2, 4 * 6 + 5);
    dosages[first] = 0.37;
    dosages[second] = 1.25;
    let view = DenseView::new(&dosages, 6).unwrap();
    let full = vec![2u8; dosages.len()];
    let mut masked = full.clone();
    masked[first] = 0;
    masked[second] = 0;
    let with = |trials| Dataset::new(&view).with_trials(trials).unwrap();
    let error = vae.elbo(&with(&full), 1, 5).unwrap_err().to_string();
    assert!(error.contains("not an integer"), "{error}");
    let elbo = vae.elbo(&with(&masked), 1, 5).unwrap();
    // the same rows with the fills observed as whole dosages: 0 and 1 instead
    let mut whole = dosages.clone();
    whole[first] = 0.0;
    whole[second] = 1.0;
    let whole_view = DenseView::new(&whole, 6).unwrap();
    let plain = vae.elbo(&Dataset::new(&whole_view), 1, 5).unwrap();
    for (row, (m, p)) in elbo.iter().zip(&plain).enumerate() {
        if row == 1 || row == 4 {
            // the encoder's input differs (0.37 against 0): only the sign is certain when the
            // row keeps the dropped call's log-probability, so compare the masked ELBO with
            // the same masked row read from the whole dosages below
            continue;
        }
        assert_eq!(m, p, "row {row}");
    }
    let whole_masked = vae
        .elbo(
            &Dataset::new(&whole_view).with_trials(&masked).unwrap(),
            1,
            5,
        )
        .unwrap();
    for row in [1, 4] {
        assert!(
            whole_masked[row] > plain[row],
            "row {row}: {whole_masked:?} {plain:?}"
        );
    }
    // reconstruction: a masked call at the largest ploidy, as an observed one
    let reconstructed = vae.reconstruct(&with(&masked), None).unwrap();
    let observed = vae.reconstruct(&with(&full), None).unwrap();
    assert_eq!(reconstructed.values(), observed.values());
}

/// `check_data` checks blocks of rows in parallel but reports the first bad value in row
/// order: with 2¹⁸ genes a block is 4 rows, and bad counts in rows 9 and 2 (other blocks)
/// give row 2, on one thread and on four.
#[test]
fn the_first_bad_value_in_row_order_is_reported_on_any_thread_count() {
    let (rows, cols) = (12, 1 << 18);
    let mut values = vec![1.0f32; rows * cols];
    values[9 * cols + 5] = -1.0;
    values[2 * cols + 7] = 0.5;
    let view = DenseView::new(&values, cols).unwrap();
    let config = VaeConfig {
        hidden: vec![2],
        latent: 2,
        ..VaeConfig::new(cols, Likelihood::NegativeBinomial)
    };
    let vae = Vae::new(config, &Device::Cpu).unwrap();
    for threads in [1, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        match pool.install(|| vae.check_data(&Dataset::new(&view))) {
            Err(Error::OutsideSupport { row, col, .. }) => assert_eq!((row, col), (2, 7)),
            other => panic!("{threads} threads: {other:?}"),
        }
    }
}
