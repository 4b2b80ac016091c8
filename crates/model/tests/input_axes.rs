//! `InputTransform::PrincipalAxes`: genotypes reach the encoder as their projections on the
//! training rows' principal axes, which are fitted once, saved beside the weights and checked
//! on load.

use candle_core::Device;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vaebio_model::{
    Dataset, DenseView, InputTransform, Likelihood, TrainConfig, Vae, VaeConfig,
    checkpoint::WEIGHTS_FILE,
};

const ROWS: usize = 40;
const COLS: usize = 30;

/// Dosages of two groups of rows with different allele frequencies at every site.
fn dosages(seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..ROWS * COLS)
        .map(|i| {
            let p = if (i / COLS).is_multiple_of(2) {
                0.2
            } else {
                0.7
            };
            (0..2).filter(|_| rng.random_bool(p)).count() as f32
        })
        .collect()
}

fn config(k: usize) -> VaeConfig {
    VaeConfig {
        hidden: vec![8],
        latent: 2,
        input_transform: InputTransform::PrincipalAxes,
        input_components: k,
        ..VaeConfig::new(COLS, Likelihood::Binomial { trials: 2 })
    }
}

fn train(values: &[f32], k: usize) -> Vae {
    let view = DenseView::new(values, COLS).unwrap();
    let mut vae = Vae::new(config(k), &Device::Cpu).unwrap();
    let train = TrainConfig {
        epochs: 3,
        batch_size: 8,
        ..TrainConfig::default()
    };
    vae.train(&Dataset::new(&view), &train, |_| {}).unwrap();
    vae
}

/// The encoder's first layer reads k inputs, not the sites; the axes are fitted on the 36
/// training rows (so at most 35 are non-zero of the 50 asked for), are saved and read back,
/// and the loaded model encodes as the trained one; the same seed trains the same model.
#[test]
fn principal_axes_feed_the_encoder_and_travel_with_the_model() {
    let values = dosages(1);
    let k = 50;
    let vae = train(&values, k);
    let first = vae
        .named_variables()
        .into_iter()
        .find(|(name, _)| name == "encoder.layers.0.weight")
        .unwrap()
        .1;
    assert_eq!(first.dims(), &[8, k]);
    let axes = vae.input_axes().unwrap();
    assert_eq!(axes.n_components(), k);
    let non_zero = (0..k)
        .filter(|&c| (0..COLS).any(|j| axes.axes()[j * k + c] != 0.0))
        .count();
    // 30 sites: the centred rows' rank is at most 30
    assert!((2..=COLS).contains(&non_zero), "{non_zero}");

    let view = DenseView::new(&values, COLS).unwrap();
    let encoded = vae.encode(&view).unwrap().mean.values().to_vec();
    let dir = tempfile::tempdir().unwrap();
    vae.save(dir.path()).unwrap();
    let loaded = Vae::load(dir.path(), &Device::Cpu).unwrap();
    assert_eq!(loaded.input_axes(), vae.input_axes());
    assert_eq!(loaded.encode(&view).unwrap().mean.values(), &encoded[..]);
    assert_eq!(
        train(&values, k).encode(&view).unwrap().mean.values(),
        &encoded[..]
    );
}

/// A weights file whose axes do not fit config.json, or that lacks them, is refused with the
/// tensor's name; principal axes are refused for a likelihood other than the binomial.
#[test]
fn axes_that_do_not_fit_are_refused() {
    let values = dosages(2);
    let vae = train(&values, 6);
    let dir = tempfile::tempdir().unwrap();
    vae.save(dir.path()).unwrap();
    let path = dir.path().join(WEIGHTS_FILE);
    let mut tensors = candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
    let axes = tensors.remove("encoder.input_axes.axes").unwrap();
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let error = Vae::load(dir.path(), &Device::Cpu)
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("`encoder.input_axes.axes` is missing"),
        "{error}"
    );
    tensors.insert(
        "encoder.input_axes.axes".to_string(),
        axes.narrow(1, 0, 5).unwrap(),
    );
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let error = Vae::load(dir.path(), &Device::Cpu)
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("has shape [30, 5]"), "{error}");

    let gaussian = VaeConfig {
        likelihood: Likelihood::Gaussian {
            learned_variance: false,
        },
        ..config(6)
    };
    let error = gaussian.validate().unwrap_err().to_string();
    assert!(
        error.contains("principal axes are for genotype dosages"),
        "{error}"
    );
    let none = config(0).validate().unwrap_err().to_string();
    assert!(none.contains("0 principal axes"), "{none}");
}
