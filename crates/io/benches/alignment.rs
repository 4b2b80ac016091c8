//! DeepSequence/EVE sequence weights on a 4,000 × 500 protein alignment (seeded, with
//! clusters of close homologues so the identity threshold matters).

use std::hint::black_box;

use criterion::{Criterion, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vaebio_io::features::sequence_weights::sequence_weights;

fn weights(c: &mut Criterion) {
    let (n, length, gap) = (4_000, 500, 20u8);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let ancestors: Vec<Vec<u8>> = (0..200)
        .map(|_| (0..length).map(|_| rng.random_range(0..=gap)).collect())
        .collect();
    let states: Vec<u8> = (0..n)
        .flat_map(|_| {
            let ancestor = &ancestors[rng.random_range(0..ancestors.len())];
            ancestor
                .iter()
                .map(|&s| {
                    if rng.random_bool(0.15) {
                        rng.random_range(0..=gap)
                    } else {
                        s
                    }
                })
                .collect::<Vec<u8>>()
        })
        .collect();
    let mut group = c.benchmark_group("alignment");
    group.sample_size(10);
    group.bench_function("sequence_weights_4000x500", |b| {
        b.iter(|| black_box(sequence_weights(&states, length, gap, 0.2)))
    });
    group.finish();
}

/// `criterion_group!` generates a public function without documentation.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::weights);
}
criterion_main!(group::benches);
