//! The categorical log-likelihood of decoder logits summed over each row, as one fused CPU op
//! (f32) with its analytic gradient: per block of `n_states` columns (an alignment column)
//! Σₐ xₐ (lₐ − logsumexp(l)), the one-hot target picking its state's log-softmax.
//!
//! The composite form (log-softmax as max, subtract, exp, sum, log and subtract, then a
//! product with x and a row sum) makes five `[rows, features]` tensors per call; scoring
//! mutants evaluates it once per row and posterior sample, so those passes and allocations
//! were a tenth of `vaebio score`'s time next to the decoder's matrix products. Here each
//! row is one pass over its logits, rows in parallel (each row's sum in a fixed order, so
//! the result does not depend on the thread count). The backward pass recomputes the softmax:
//! ∂/∂lₐ = upstream · (xₐ − pₐ Σ_b x_b) within each block. x gets no gradient (it is data).

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor, bail};
use rayon::prelude::*;

use crate::ops::negative_binomial::{f32_slice, with_f32};

/// Rows per parallel task: enough work per task to outweigh the scheduling.
const ROWS_PER_TASK: usize = 16;

/// The fused row log-likelihood: inputs x (one-hot blocks) and logits, `[rows, features]`.
pub(crate) struct CategoricalOp {
    n_states: usize,
}

impl CategoricalOp {
    /// The op for blocks of `n_states` columns.
    pub(crate) fn new(n_states: usize) -> Self {
        Self { n_states }
    }

    fn check(&self, x: &[f32], logits: &[f32], n_features: usize) -> candle_core::Result<()> {
        if x.len() != logits.len()
            || n_features == 0
            || self.n_states == 0
            || !x.len().is_multiple_of(n_features)
            || !n_features.is_multiple_of(self.n_states)
        {
            bail!("categorical op: x and logits differ in shape or are not rows of blocks")
        }
        Ok(())
    }
}

/// (max, ln Σ e^(l − max)) of one block: its logsumexp is their sum.
pub(crate) fn log_normaliser(block: &[f32]) -> (f32, f32) {
    let max = block.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = block.iter().map(|&l| (l - max).exp()).sum();
    (max, sum.ln())
}

/// Σ over blocks of Σₐ xₐ (lₐ − logsumexp), accumulated in f64.
fn row_log_prob(x: &[f32], logits: &[f32], n_states: usize) -> f32 {
    let mut total = 0f64;
    for (x, l) in x.chunks_exact(n_states).zip(logits.chunks_exact(n_states)) {
        let (max, log_sum) = log_normaliser(l);
        let block: f32 = x
            .iter()
            .zip(l)
            .filter(|(x, _)| **x != 0.0)
            .map(|(&x, &l)| x * (l - max - log_sum))
            .sum();
        total += f64::from(block);
    }
    total as f32
}

/// ∂(row log-likelihood)/∂logits of one row, times `upstream`, into `out`.
fn row_gradient(x: &[f32], logits: &[f32], n_states: usize, upstream: f32, out: &mut [f32]) {
    let blocks = x
        .chunks_exact(n_states)
        .zip(logits.chunks_exact(n_states))
        .zip(out.chunks_exact_mut(n_states));
    for ((x, l), out) in blocks {
        let (max, log_sum) = log_normaliser(l);
        let mass: f32 = x.iter().sum();
        for ((o, &x), &l) in out.iter_mut().zip(x).zip(l) {
            *o = upstream * (x - (l - max - log_sum).exp() * mass);
        }
    }
}

impl CustomOp2 for CategoricalOp {
    fn name(&self) -> &'static str {
        "categorical-log-prob"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        logits: &CpuStorage,
        logits_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, logits) = (f32_slice(x, x_layout)?, f32_slice(logits, logits_layout)?);
        let n_features = logits_layout.shape().dims().last().copied().unwrap_or(0);
        self.check(x, logits, n_features)?;
        let sums: Vec<f32> = x
            .par_chunks(n_features)
            .zip(logits.par_chunks(n_features))
            .with_min_len(ROWS_PER_TASK)
            .map(|(x, l)| row_log_prob(x, l, self.n_states))
            .collect();
        let rows = sums.len();
        Ok((CpuStorage::F32(sums), Shape::from(rows)))
    }

    fn bwd(
        &self,
        x: &Tensor,
        logits: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let n_features = logits.dims().last().copied().unwrap_or(0);
        let d_logits = with_f32(x, |x| {
            with_f32(logits, |logits| {
                with_f32(grad_res, |grad| {
                    self.check(x, logits, n_features)?;
                    if grad.len() * n_features != x.len() {
                        bail!("categorical op: upstream gradient of the wrong size")
                    }
                    let mut d_logits = vec![0f32; x.len()];
                    d_logits
                        .par_chunks_mut(n_features)
                        .zip(x.par_chunks(n_features))
                        .zip(logits.par_chunks(n_features))
                        .zip(grad.par_iter())
                        .with_min_len(ROWS_PER_TASK)
                        .for_each(|(((out, x), l), &upstream)| {
                            row_gradient(x, l, self.n_states, upstream, out);
                        });
                    Ok(d_logits)
                })
            })
        })?;
        let d_logits = Tensor::from_vec(d_logits, logits.shape(), logits.device())?;
        Ok((None, Some(d_logits)))
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::test_support::assert_same_gradient;
    use candle_core::{D, Device, Tensor, Var};
    use candle_nn::ops::log_softmax;

    use super::CategoricalOp;

    /// Two rows of three blocks of 4 states: one-hot targets, one soft target, and logits of
    /// both signs and large magnitude, where a naive softmax overflows.
    fn inputs() -> (Tensor, Tensor) {
        let device = Device::Cpu;
        let x = Tensor::new(
            &[
                [0f32, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
                [0.0, 0.0, 1.0, 0.0, 0.25, 0.25, 0.5, 0.0, 1.0, 0.0, 0.0, 0.0],
            ],
            &device,
        )
        .unwrap();
        let logits = Tensor::new(
            &[
                [
                    2.0f32, -1.0, 0.0, 60.0, -3.0, 0.5, -90.0, 0.25, 1.0, 1.0, 1.0, 1.0,
                ],
                [
                    0.1, 0.2, 0.3, 0.4, 95.0, -95.0, 3.0, -2.0, -0.5, 7.0, 0.0, 2.5,
                ],
            ],
            &device,
        )
        .unwrap();
        (x, logits)
    }

    /// The composite the op replaces: Σ x · log_softmax per block, summed per row.
    fn composite(x: &Tensor, logits: &Tensor) -> candle_core::Result<Tensor> {
        let log_p = log_softmax(&logits.reshape((2, 3, 4))?, D::Minus1)?;
        log_p.reshape((2, 12))?.mul(x)?.sum(1)
    }

    #[test]
    fn fused_forward_and_gradient_match_the_composite_formula() -> candle_core::Result<()> {
        let (x, logits) = inputs();
        let var = Var::from_tensor(&logits)?;
        let fused = x.apply_op2(var.as_tensor(), CategoricalOp::new(4))?;
        let reference = composite(&x, var.as_tensor())?;
        let (a, b) = (fused.to_vec1::<f32>()?, reference.to_vec1::<f32>()?);
        for (a, b) in a.iter().zip(&b) {
            assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
        }
        // Row 0 by hand in f64: block 1 picks −1 − logsumexp(2, −1, 0, 60) ≈ −61, block 2
        // −3 − logsumexp(−3, 0.5, −90, 0.25), block 3 is uniform: ln ¼.
        let lse = |v: &[f64]| {
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            max + v.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
        };
        let by_hand = (-1.0 - lse(&[2.0, -1.0, 0.0, 60.0]))
            + (-3.0 - lse(&[-3.0, 0.5, -90.0, 0.25]))
            + 0.25f64.ln();
        assert!(
            (f64::from(a[0]) - by_hand).abs() < 1e-4,
            "{} vs {by_hand}",
            a[0]
        );
        let weights = Tensor::new(&[0.5f32, 2.0], x.device())?;
        assert_same_gradient(&fused, &reference, &weights, &var)?;
        Ok(())
    }

    #[test]
    fn shapes_that_are_not_blocks_are_refused() {
        let (x, logits) = inputs();
        assert!(x.apply_op2(&logits, CategoricalOp::new(5)).is_err());
        assert!(
            x.narrow(1, 0, 8)
                .unwrap()
                .contiguous()
                .unwrap()
                .apply_op2(&logits, CategoricalOp::new(4))
                .is_err()
        );
    }
}
