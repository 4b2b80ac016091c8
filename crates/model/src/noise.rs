//! Seeded randomness used while training and sampling: dropout masks and N(0, 1) draws.
//!
//! Candle's CPU RNG cannot be seeded, so noise is drawn on the host from ChaCha and copied to
//! the device; the same seed gives the same numbers on every run and platform.

use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A seeded source of noise tensors.
pub(crate) struct Noise {
    rng: ChaCha8Rng,
    buffer: Vec<f32>,
}

impl Noise {
    /// A noise source for `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            buffer: Vec::new(),
        }
    }

    /// The RNG, for index shuffles that must follow the same seed.
    pub(crate) fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// A `rows × cols` tensor of standard normal draws.
    pub(crate) fn standard_normal(
        &mut self,
        rows: usize,
        cols: usize,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        self.buffer.clear();
        let rng = &mut self.rng;
        self.buffer
            .extend((0..rows * cols).map(|_| -> f32 { StandardNormal.sample(rng) }));
        Tensor::from_slice(&self.buffer, (rows, cols), device)
    }

    /// Inverted-dropout mask: each entry 0 with probability `p`, else 1 / (1 − p).
    pub(crate) fn dropout_mask(
        &mut self,
        rows: usize,
        cols: usize,
        p: f32,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let keep = 1.0 / (1.0 - p);
        self.buffer.clear();
        let rng = &mut self.rng;
        self.buffer
            .extend((0..rows * cols).map(|_| if rng.random::<f32>() < p { 0.0 } else { keep }));
        Tensor::from_slice(&self.buffer, (rows, cols), device)
    }
}
