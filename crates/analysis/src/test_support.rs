//! What the PCA routes' tests share: seeded data, a thread pool of a given size, and the
//! comparison of scores with an exact route's.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// n × d values, value i made from a standard normal draw x by `shape(i, x)`.
pub(crate) fn drawn(n: usize, d: usize, seed: u64, shape: impl Fn(usize, f32) -> f32) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n * d)
        .map(|i| shape(i, StandardNormal.sample(&mut rng)))
        .collect()
}

/// `f` run on a pool of `threads` threads.
pub(crate) fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// Every score within `tolerance` × the largest |exact score| of the exact one.
pub(crate) fn assert_close(got: &[f32], exact: &[f32], tolerance: f32) {
    assert_eq!(got.len(), exact.len());
    let scale = exact.iter().fold(0f32, |m, v| m.max(v.abs()));
    for (a, e) in got.iter().zip(exact) {
        assert!((a - e).abs() < tolerance * scale, "{a} vs {e}");
    }
}
