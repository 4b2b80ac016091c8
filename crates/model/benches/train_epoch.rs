//! One training epoch of the scVI-default shape (1,000 genes → 128 → 10, batch-norm,
//! dropout 0.1, negative binomial with per-gene dispersion, Adam, batch 128) on 4,096
//! synthetic cells, plus the pieces of a step: the NB log-likelihood forward + backward and
//! `lgamma` alone. Threads follow `RAYON_NUM_THREADS`.
//!
//! Run: `RAYON_NUM_THREADS=1 cargo bench -p vaebio-model --bench train_epoch`

use criterion::{Criterion, Throughput, criterion_main};
use mimalloc::MiMalloc;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

use candle_core::{Device, Tensor, Var};
use vaebio_model::special::lgamma;
use vaebio_model::{
    Dataset, DecoderOutput, DenseView, Exposure, Likelihood, TrainConfig, Trainer, Vae, VaeConfig,
};

/// candle allocates a buffer per op; mimalloc reuses them where glibc returns them to the OS.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

const CELLS: usize = 4096;
const GENES: usize = 1000;
const BATCH: usize = 128;

/// Poisson counts around gene means spread over three orders of magnitude (mostly zeros).
fn synthetic_counts(rows: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let means: Vec<f64> = (0..GENES)
        .map(|_| 10f64.powf(rng.random_range(-2.0..1.0)))
        .collect();
    (0..rows)
        .flat_map(|_| means.clone())
        .map(|mean| match Poisson::new(mean) {
            Ok(poisson) => poisson.sample(&mut rng) as f32,
            Err(_) => 0.0,
        })
        .collect()
}

fn train_epoch(c: &mut Criterion) {
    let counts = synthetic_counts(CELLS, 1);
    let rows = DenseView::new(&counts, GENES).expect("whole rows");
    let config = VaeConfig::new(GENES, Likelihood::NegativeBinomial);
    let mut vae = Vae::new(config, &Device::Cpu).expect("valid config");
    let training = TrainConfig {
        batch_size: BATCH,
        validation_fraction: 0.0,
        kl_warmup: None,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(&mut vae, Dataset::new(&rows), &training).expect("trainer");
    let mut group = c.benchmark_group("train_epoch");
    group.sample_size(10);
    group.throughput(Throughput::Elements(CELLS as u64));
    group.bench_function("scvi_default_nb_4096x1000", |b| {
        b.iter(|| trainer.run_epoch(&mut |_| {}).expect("epoch"))
    });
    group.finish();
}

fn likelihood_step(c: &mut Criterion) {
    let device = Device::Cpu;
    let counts = synthetic_counts(BATCH, 2);
    let x = Tensor::from_vec(counts, (BATCH, GENES), &device).expect("x");
    let loc = Var::rand(-1f32, 1f32, (BATCH, GENES), &device).expect("loc");
    let log_theta = Var::rand(-1f32, 1f32, GENES, &device).expect("theta");
    let zero_logits = Var::rand(-3f32, 1f32, (BATCH, GENES), &device).expect("zero logits");
    let library = x.sum_keepdim(1).expect("library");
    let mut group = c.benchmark_group("likelihood");
    group.throughput(Throughput::Elements(BATCH as u64));
    let count_likelihoods = [
        ("nb", Likelihood::NegativeBinomial),
        ("zinb", Likelihood::ZeroInflatedNegativeBinomial),
    ];
    for (name, likelihood) in count_likelihoods {
        group.bench_function(format!("{name}_forward_backward_128x1000"), |b| {
            b.iter(|| {
                let output = DecoderOutput {
                    loc: loc.as_tensor().clone(),
                    log_scale: Some(log_theta.as_tensor().clone()),
                    zero_logits: (likelihood.decoder_heads() > 1)
                        .then(|| zero_logits.as_tensor().clone()),
                };
                likelihood
                    .log_prob(&x, &output, Exposure::library(Some(&library)))
                    .and_then(|lp| Ok(lp.sum_all()?.backward()?))
                    .expect(name)
            })
        });
    }
    let shifted = (&x + 0.5).expect("x + 0.5");
    group.bench_function("lgamma_128x1000", |b| {
        b.iter(|| lgamma(&shifted).expect("lgamma"))
    });
    group.finish();
}

/// `criterion_group!` generates a public function without documentation.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::train_epoch, super::likelihood_step);
}
criterion_main!(group::benches);
