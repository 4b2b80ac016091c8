//! VAMB's iterative medoid clustering on synthetic latent points: 20,000 points in 16
//! dimensions from 50 Gaussian clusters of unequal size and spread, lengths 2–50 kb.
//! Single-threaded (the search is sequential; one distance pass is O(points × dims)).
//!
//! Run: `cargo bench -p vaebio-analysis --bench medoids`

use criterion::{Criterion, Throughput, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use vaebio_analysis::{DenseView, MedoidParams, iterative_medoids};

const POINTS: usize = 20_000;
const DIMS: usize = 16;
const CLUSTERS: usize = 50;

/// Row-major points and contig lengths.
fn synthetic_latent(seed: u64) -> (Vec<f32>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let unit = Normal::new(0.0f32, 1.0).expect("valid normal");
    let centres: Vec<Vec<f32>> = (0..CLUSTERS)
        .map(|_| (0..DIMS).map(|_| 3.0 * unit.sample(&mut rng)).collect())
        .collect();
    let mut values = Vec::with_capacity(POINTS * DIMS);
    let mut lengths = Vec::with_capacity(POINTS);
    for _ in 0..POINTS {
        // Squared index: a few large clusters and many small ones, as in real samples.
        let pick: f64 = rng.random();
        let cluster = ((pick * pick) * CLUSTERS as f64) as usize;
        let spread = 0.2 + 0.1 * (cluster % 5) as f32;
        values.extend(
            centres[cluster]
                .iter()
                .map(|c| c + spread * unit.sample(&mut rng)),
        );
        lengths.push(f64::from(rng.random_range(2_000u32..50_000)));
    }
    (values, lengths)
}

fn bench_cluster(c: &mut Criterion) {
    let (values, lengths) = synthetic_latent(7);
    let points = DenseView::new(&values, DIMS).expect("rows of DIMS values");
    let params = MedoidParams::default();
    let mut group = c.benchmark_group("cluster");
    group.sample_size(10);
    group.throughput(Throughput::Elements(POINTS as u64));
    group.bench_function("iterative_medoids_20000x16", |b| {
        b.iter(|| iterative_medoids(points, &lengths, &params).expect("clusters"));
    });
    group.finish();
}

/// `criterion_group!` generates a public function without documentation.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench_cluster);
}
criterion_main!(group::benches);
