//! The neighbourhood autocorrelation behind count data's default gene weights, at its row
//! cap: 10,000 cells × 2,000 genes of synthetic counts (Poisson around gene- and
//! cell-type-specific means, 20 cell types, most entries 0 as in droplet data). Its cost is
//! paid once per training run, before the first epoch. Single-threaded except the neighbour
//! search (rayon).
//!
//! Run: `cargo bench -p vaebio-model --bench gene_weights`

use criterion::{Criterion, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Poisson};

use vaebio_model::DenseMatrix;
use vaebio_model::neighbour_autocorrelation;

const CELLS: usize = 10_000;
const GENES: usize = 2_000;
const TYPES: usize = 20;

fn synthetic_counts(seed: u64) -> DenseMatrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let spread = LogNormal::new(-1.5f64, 1.5).expect("valid log-normal");
    let base: Vec<f64> = (0..GENES).map(|_| spread.sample(&mut rng)).collect();
    // Each type raises a tenth of the genes fourfold.
    let markers: Vec<Vec<bool>> = (0..TYPES)
        .map(|_| (0..GENES).map(|_| rng.random_bool(0.1)).collect())
        .collect();
    let mut values = Vec::with_capacity(CELLS * GENES);
    for cell in 0..CELLS {
        let kind = cell % TYPES;
        for (gene, &mean) in base.iter().enumerate() {
            let mean = if markers[kind][gene] {
                4.0 * mean
            } else {
                mean
            };
            let count: f64 = Poisson::new(mean.max(1e-6))
                .expect("positive mean")
                .sample(&mut rng);
            values.push(count as f32);
        }
    }
    DenseMatrix::new(values, CELLS, GENES).expect("cells × genes")
}

fn bench_autocorrelation(c: &mut Criterion) {
    let counts = synthetic_counts(3);
    let mut group = c.benchmark_group("gene_weights");
    group.sample_size(10);
    group.bench_function("neighbour_autocorrelation_10000x2000", |b| {
        b.iter(|| neighbour_autocorrelation(&counts, 0));
    });
    group.finish();
}

/// `criterion_group!` generates a public function without documentation.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench_autocorrelation);
}
criterion_main!(group::benches);
