//! Unit-test helper: paths of the workspace's committed `testdata/` files.

use std::path::{Path, PathBuf};

/// A file or directory under the workspace's `testdata/`.
pub(crate) fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

/// `rounds` copies of the file `name` under `testdata/`, each with 8 bytes past the 8-byte
/// signature overwritten by a seeded LCG (the same mutants on every run), for readers that
/// must fail cleanly on corrupt input: round number and bytes.
pub(crate) fn mutants(name: &str, seed: u64, rounds: usize) -> Vec<(usize, Vec<u8>)> {
    let whole = std::fs::read(testdata(name)).unwrap();
    let mut state = seed;
    (0..rounds)
        .map(|round| {
            let mut bytes = whole.clone();
            for _ in 0..8 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let at = 8 + (state >> 33) as usize % (bytes.len() - 8);
                bytes[at] = (state >> 13) as u8;
            }
            (round, bytes)
        })
        .collect()
}
