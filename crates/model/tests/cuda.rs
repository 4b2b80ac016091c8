//! Training on an NVIDIA GPU (`--features cuda`; needs a GPU and its driver, so the CPU build
//! and CI never compile this file). The CPU takes vaebio's fused kernels (linear layers,
//! batch-norm, AdamW, the count likelihoods), CUDA candle's composite ops and vaebio's NB and
//! AdamW kernels; both draw their noise from the same seeded host RNG. So the same seed must give the CPU's training
//! curve and latent space on the GPU, up to float rounding, and repeat itself exactly there.
#![cfg(feature = "cuda")]

use candle_core::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};
use vaebio_model::{
    Dataset, DenseView, History, KlWarmup, Likelihood, LrSchedule, Norm, TrainConfig, Vae,
    VaeConfig, device,
};

const ROWS: usize = 96;
const COLS: usize = 12;

/// Counts of three cell types: type t has rate 20 on its own four genes and 2 elsewhere.
fn counts() -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let high = Poisson::new(20.0f64).unwrap();
    let low = Poisson::new(2.0f64).unwrap();
    (0..ROWS * COLS)
        .map(|i| {
            let (row, col) = (i / COLS, i % COLS);
            let draw = if col / 4 == row % 3 { high } else { low };
            draw.sample(&mut rng) as f32
        })
        .collect()
}

/// Row `r` is in batch `r % 2`.
fn batches() -> Vec<u32> {
    (0..ROWS as u32).map(|r| r % 2).collect()
}

/// Every part the single-cell default uses: batch-norm (here, to cover its GPU path), input
/// and hidden dropout, a batch covariate, KL warm-up, cosine learning rate, validation rows.
fn config(likelihood: Likelihood) -> (VaeConfig, TrainConfig) {
    let vae = VaeConfig {
        hidden: vec![16],
        latent: 3,
        dropout: 0.1,
        input_dropout: 0.2,
        norm: Norm::Batch,
        n_batches: 2,
        ..VaeConfig::new(COLS, likelihood)
    };
    let train = TrainConfig {
        epochs: 4,
        batch_size: 32,
        learning_rate: 1e-3,
        lr_schedule: LrSchedule::Cosine,
        kl_warmup: Some(KlWarmup::Fraction(0.5)),
        validation_fraction: 0.1,
        ..TrainConfig::default()
    };
    (vae, train)
}

/// Train on `values` (`COLS` columns, the batches of [`batches`]) on `device`; return the
/// history and the posterior means.
fn train_on(device: &Device, likelihood: Likelihood, values: &[f32]) -> (History, Vec<f32>) {
    let labels = batches();
    let view = DenseView::new(values, COLS).unwrap();
    let data = Dataset::new(&view).with_batches(&labels).unwrap();
    let (vae_config, train_config) = config(likelihood);
    let mut vae = Vae::new(vae_config, device).unwrap();
    let history = vae.train(&data, &train_config, |_| {}).unwrap();
    let latent = vae.encode(&view).unwrap().mean.values().to_vec();
    (history, latent)
}

/// Every epoch's training and validation losses within a relative `1e-3`, the latents
/// within `1e-3`.
fn assert_close(what: &str, cpu: &(History, Vec<f32>), gpu: &(History, Vec<f32>)) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-3 * a.abs().max(1.0);
    assert_eq!(cpu.0.epochs.len(), gpu.0.epochs.len(), "{what}: epochs run");
    for (c, g) in cpu.0.epochs.iter().zip(&gpu.0.epochs) {
        let (cv, gv) = (c.validation.unwrap(), g.validation.unwrap());
        assert!(
            close(c.train.total, g.train.total)
                && close(c.train.kl, g.train.kl)
                && close(cv.total, gv.total),
            "{what}, epoch {}: CPU {:?} / {:?} vs CUDA {:?} / {:?}",
            c.epoch,
            c.train,
            cv,
            g.train,
            gv
        );
    }
    for (c, g) in cpu.1.iter().zip(&gpu.1) {
        assert!((c - g).abs() < 1e-3, "{what} latent: CPU {c} vs CUDA {g}");
    }
}

#[test]
fn cuda_opens_and_a_missing_gpu_is_a_one_line_error() {
    assert!(device("cuda").unwrap().is_cuda());
    let err = device("cuda:99").unwrap_err().to_string();
    assert!(err.contains("nvidia-smi") && !err.contains('\n'), "{err}");
}

#[test]
fn each_count_likelihood_trains_on_cuda_as_on_the_cpu_and_repeats_exactly() {
    let gpu = device("cuda").unwrap();
    let values = counts();
    for likelihood in [
        Likelihood::NegativeBinomial,
        Likelihood::ZeroInflatedNegativeBinomial,
        Likelihood::Poisson,
    ] {
        let on_gpu = train_on(&gpu, likelihood, &values);
        assert_close(
            &format!("{likelihood:?}"),
            &train_on(&Device::Cpu, likelihood, &values),
            &on_gpu,
        );
        assert_eq!(
            train_on(&gpu, likelihood, &values),
            on_gpu,
            "{likelihood:?}: a second CUDA run differs"
        );
    }
}

#[test]
fn genotype_alignment_and_gaussian_likelihoods_train_on_cuda_as_on_the_cpu() {
    let gpu = device("cuda").unwrap();
    // Counts clipped to 0–2 serve as dosages (and as Gaussian values); for the categorical
    // case each block of four columns becomes a one-hot of its largest count.
    let dosages: Vec<f32> = counts().iter().map(|v| v.min(2.0)).collect();
    let one_hot: Vec<f32> = counts()
        .chunks(4)
        .flat_map(|block| {
            let top = (0..4).fold(0, |best, i| if block[i] > block[best] { i } else { best });
            (0..4).map(move |i| if i == top { 1.0 } else { 0.0 })
        })
        .collect();
    for (likelihood, values) in [
        (Likelihood::Binomial { trials: 2 }, &dosages),
        (Likelihood::Categorical { n_states: 4 }, &one_hot),
        (
            Likelihood::Gaussian {
                learned_variance: true,
            },
            &dosages,
        ),
    ] {
        assert_close(
            &format!("{likelihood:?}"),
            &train_on(&Device::Cpu, likelihood, values),
            &train_on(&gpu, likelihood, values),
        );
    }
}

/// The CUDA negative binomial kernels (f32 in and out, double inside) against the composite
/// tensor ops in f64 on the CPU, scVI's formula: per-value log-likelihoods, row sums, and the
/// gradients of the logits and θ through both (per-value weights, so each value's gradient
/// counts). 300 genes span more than one 256-thread block; counts include zeros, small values
/// and 250; θ from 0.05 to 36.
#[test]
fn negative_binomial_kernels_match_the_f64_formula() {
    use candle_core::{DType, Tensor, Var};
    use vaebio_model::likelihood::count::{
        negative_binomial_log_prob_from_logits, negative_binomial_row_log_prob_from_logits,
    };
    let (rows, genes) = (5, 300);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let small = Poisson::new(3.0f64).unwrap();
    let x: Vec<f32> = (0..rows * genes)
        .map(|i| match i % 7 {
            0 => 0.0,
            1 => 250.0,
            _ => small.sample(&mut rng) as f32,
        })
        .collect();
    let logits: Vec<f32> = (0..rows * genes)
        .map(|i| (i * 37 % 101) as f32 / 25.0 - 2.0)
        .collect();
    let theta: Vec<f32> = (0..genes).map(|j| 0.05 + (j % 13) as f32 * 3.0).collect();
    let library: Vec<f32> = (0..rows).map(|r| 500.0 + 1000.0 * r as f32).collect();
    let weights: Vec<f32> = (0..rows * genes).map(|i| (i % 5) as f32 * 0.25).collect();
    let run = |device: &Device, dtype: DType| {
        let t = |v: &[f32], shape: &[usize]| {
            Tensor::from_slice(v, shape, device)
                .unwrap()
                .to_dtype(dtype)
                .unwrap()
        };
        let logits = Var::from_tensor(&t(&logits, &[rows, genes])).unwrap();
        let theta = Var::from_tensor(&t(&theta, &[genes])).unwrap();
        let (x, library) = (t(&x, &[rows, genes]), t(&library, &[rows, 1]));
        let values = negative_binomial_log_prob_from_logits(&x, &logits, &library, &theta).unwrap();
        let sums =
            negative_binomial_row_log_prob_from_logits(&x, &logits, &library, &theta).unwrap();
        let weighted = values.mul(&t(&weights, &[rows, genes])).unwrap();
        let half_sums = (sums.sum_all().unwrap() * 0.5).unwrap();
        let loss = (weighted.sum_all().unwrap() + half_sums).unwrap();
        let grads = loss.backward().unwrap();
        let host = |t: &Tensor| -> Vec<f64> {
            t.flatten_all()
                .unwrap()
                .to_dtype(DType::F64)
                .unwrap()
                .to_vec1()
                .unwrap()
        };
        [
            host(&values),
            host(&sums),
            host(grads.get(logits.as_tensor()).unwrap()),
            host(grads.get(theta.as_tensor()).unwrap()),
        ]
    };
    let gpu = run(&device("cuda").unwrap(), DType::F32);
    let cpu = run(&Device::Cpu, DType::F64);
    for (what, (g, c)) in ["values", "row sums", "d logits", "d theta"]
        .iter()
        .zip(gpu.iter().zip(&cpu))
    {
        assert_eq!(g.len(), c.len(), "{what}");
        for (i, (a, b)) in g.iter().zip(c).enumerate() {
            assert!(
                (a - b).abs() <= 2e-5 * b.abs().max(1.0),
                "{what}[{i}]: CUDA {a} vs f64 {b}"
            );
        }
    }
}
