//! Minibatch assembly: rows of a [`Dataset`] read into host buffers and made into the tensors
//! one step needs (target, encoder input, library sizes, trials, weights, covariates).

use candle_core::Tensor;

use crate::data::{Dataset, WeightScope};
use crate::error::{Error, Result};
use crate::likelihood::Exposure;
use crate::nn::layer::Covariates;
use crate::ops::negative_binomial::sum_f64;
use crate::ops::special::log1p_nonnegative_f32;
use crate::vae::Vae;

impl Vae {
    /// Assemble rows into tensors: the target (standardised if fitted), the encoder input
    /// (log1p if configured) and, for count likelihoods, the library sizes.
    pub(crate) fn assemble(
        &self,
        data: &Dataset,
        rows: &[usize],
        buffers: &mut Buffers,
    ) -> Result<Minibatch> {
        self.assemble_from(data, rows, buffers, None)
    }

    /// [`Vae::assemble`] with every row's encoder input given (`encoder_inputs`, rows ×
    /// principal axes, projected before training) instead of projected here.
    pub(crate) fn assemble_from(
        &self,
        data: &Dataset,
        rows: &[usize],
        buffers: &mut Buffers,
        encoder_inputs: Option<&[f32]>,
    ) -> Result<Minibatch> {
        let n_cols = self.config.n_features;
        let n = rows.len();
        buffers.raw.resize(n * n_cols, 0.0);
        data.rows()
            .try_fill_rows(rows, &mut buffers.raw)
            .map_err(Error::ReadRows)?;
        if let Some(standardization) = &self.standardization {
            standardization.apply(&mut buffers.raw);
        }
        let trials = match data.trials() {
            Some(trials) => {
                buffers.trials.clear();
                for &row in rows {
                    let values = &trials[row * n_cols..(row + 1) * n_cols];
                    buffers.trials.extend(values.iter().map(|&n| f32::from(n)));
                }
                Some(Tensor::from_slice(
                    &buffers.trials,
                    (n, n_cols),
                    &self.device,
                )?)
            }
            None => None,
        };
        // A call of 0 trials was not observed (a missing genotype under `--missing mask`): the
        // encoder reads its filled value, the likelihood a dosage of 0 out of 0, which is
        // certain, so the call adds nothing to the loss or its gradient.
        let masked = trials.is_some() && buffers.trials.contains(&0.0);
        let target = if masked {
            let observed = observed_only(&buffers.raw, &buffers.trials);
            Tensor::from_vec(observed, (n, n_cols), &self.device)?
        } else {
            Tensor::from_slice(&buffers.raw, (n, n_cols), &self.device)?
        };
        let input = if let Some(axes) = &self.input_axes {
            let k = axes.n_components();
            match encoder_inputs {
                Some(all) => {
                    buffers.input.clear();
                    for &row in rows {
                        buffers
                            .input
                            .extend_from_slice(&all[row * k..(row + 1) * k]);
                    }
                }
                None => axes.project(&buffers.raw, &mut buffers.input),
            }
            Tensor::from_slice(&buffers.input, (n, k), &self.device)?
        } else if let Some(frequencies) = &self.allele_frequencies {
            let per_value = trials.as_ref().map(|_| buffers.trials.as_slice());
            let ploidy = self.config.likelihood.trials().unwrap_or(2);
            frequencies.scale(&buffers.raw, per_value, ploidy, &mut buffers.input);
            Tensor::from_slice(&buffers.input, (n, n_cols), &self.device)?
        } else if self.config.encoder_log1p() && !self.device.is_cpu() {
            // on a GPU from the counts already there: half the minibatch's upload
            crate::ops::special::log1p(&target)?
        } else if self.config.encoder_log1p() {
            log1p_counts(&buffers.raw, &mut buffers.input);
            Tensor::from_slice(&buffers.input, (n, n_cols), &self.device)?
        } else if masked {
            Tensor::from_slice(&buffers.raw, (n, n_cols), &self.device)?
        } else {
            target.clone()
        };
        let library = if self.config.likelihood.is_count() {
            let sums: Vec<f32> = buffers
                .raw
                .chunks_exact(n_cols)
                .map(|row| sum_f64(row) as f32)
                .collect();
            Some(Tensor::from_vec(sums, (n, 1), &self.device)?)
        } else {
            None
        };
        let weights = match data.weights() {
            Some(weights) => {
                let chosen: Vec<f32> = rows.iter().map(|&r| weights[r]).collect();
                let sum = data.divisor(rows);
                Some((Tensor::from_vec(chosen, n, &self.device)?, sum))
            }
            None => None,
        };
        let categorical = data
            .categorical()
            .iter()
            .map(|codes| {
                let chosen: Vec<u32> = rows.iter().map(|&r| codes[r]).collect();
                Tensor::from_vec(chosen, n, &self.device)
            })
            .collect::<candle_core::Result<_>>()?;
        let continuous = match data.continuous() {
            [] => None,
            covariates => {
                let values: Vec<f32> = rows
                    .iter()
                    .flat_map(|&r| covariates.iter().map(move |values| values[r]))
                    .collect();
                Some(Tensor::from_vec(
                    values,
                    (n, covariates.len()),
                    &self.device,
                )?)
            }
        };
        Ok(Minibatch {
            target,
            input,
            library,
            trials,
            batches: match data.batches() {
                Some(_) => self.batch_tensor(data, rows, None)?,
                None => None,
            },
            categorical,
            continuous,
            weights,
            weight_scope: data.weight_scope(),
            rows: n,
        })
    }
}

/// ln(1 + v) of every value, into `out`: branch-free and vectorised
/// ([`log1p_nonnegative_f32`], relative error < 3e-7; compiled for AVX2 where the CPU has
/// it) when all values are finite and non-negative, as validated counts are; `f32::ln_1p`
/// value by value otherwise (NaN stays NaN). A per-value libm call was ~8% of an NB
/// training step, a lookup table ~4%.
fn log1p_counts(values: &[f32], out: &mut Vec<f32>) {
    out.clear();
    let counts = values
        .iter()
        .fold(true, |ok, v| ok & (0.0..f32::INFINITY).contains(v));
    if counts {
        pulp::Arch::new().dispatch(Log1pCounts { values, out });
    } else {
        out.extend(values.iter().map(|&v| v.ln_1p()));
    }
}

/// The vectorised loop of [`log1p_counts`] as a pulp operation (one build per instruction
/// set, chosen at run time; the same bits on each).
struct Log1pCounts<'a> {
    values: &'a [f32],
    out: &'a mut Vec<f32>,
}

impl pulp::WithSimd for Log1pCounts<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.out.resize(self.values.len(), 0.0);
        for (out, &v) in self.out.iter_mut().zip(self.values) {
            *out = log1p_nonnegative_f32(v);
        }
    }
}

/// Reusable host buffers for minibatch assembly.
#[derive(Default)]
pub(crate) struct Buffers {
    raw: Vec<f32>,
    input: Vec<f32>,
    trials: Vec<f32>,
}

/// `values` with each value of 0 `trials` (a masked call, not observed) set to 0: what the
/// binomial likelihood sees, a dosage of 0 out of 0, certain and without gradient.
pub(crate) fn observed_only<T: Copy + Default + PartialOrd>(
    values: &[f32],
    trials: &[T],
) -> Vec<f32> {
    (values.iter().zip(trials))
        .map(|(&x, &n)| if n > T::default() { x } else { 0.0 })
        .collect()
}

/// One minibatch on the device.
pub(crate) struct Minibatch {
    pub(crate) target: Tensor,
    pub(crate) input: Tensor,
    pub(crate) library: Option<Tensor>,
    /// Per-value binomial trials `[rows, features]`, when the dataset has them.
    pub(crate) trials: Option<Tensor>,
    pub(crate) batches: Option<Tensor>,
    /// Each extra categorical covariate's category per row, u32 `[rows]` each.
    pub(crate) categorical: Vec<Tensor>,
    /// The continuous covariates `[rows, n_continuous]`, when the dataset has them.
    pub(crate) continuous: Option<Tensor>,
    /// The rows' loss weights and their sum.
    pub(crate) weights: Option<(Tensor, f64)>,
    /// What the weights scale.
    pub(crate) weight_scope: WeightScope,
    pub(crate) rows: usize,
}

impl Minibatch {
    /// What the decoder is conditioned on: the rows' batches and covariates.
    pub(crate) fn covariates(&self) -> Covariates<'_> {
        Covariates {
            batches: self.batches.as_ref(),
            categorical: &self.categorical,
            continuous: self.continuous.as_ref(),
        }
    }

    /// The library sizes and trials of the rows, for the likelihood.
    pub(crate) fn exposure(&self) -> Exposure<'_> {
        Exposure {
            library_size: self.library.as_ref(),
            trials: self.trials.as_ref(),
        }
    }

    /// What the loss is divided by: the sum of the row weights when they scale the whole
    /// ELBO, else the row count.
    pub(crate) fn divisor(&self) -> f64 {
        match (&self.weights, self.weight_scope) {
            (Some((_, sum)), WeightScope::Elbo) => *sum,
            _ => self.rows as f64,
        }
    }

    /// The row weights of the KL term: the row weights unless they scale the reconstruction
    /// only.
    pub(crate) fn kl_weights(&self) -> Option<&Tensor> {
        match (&self.weights, self.weight_scope) {
            (Some((weights, _)), WeightScope::Elbo) => Some(weights),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::log1p_counts;

    /// Against f64 `ln_1p` (IEEE-accurate): relative error below 3e-7 for whole and
    /// fractional counts; a negative or NaN value sends the whole row through `ln_1p`.
    #[test]
    fn log1p_of_counts_is_accurate() {
        let values: Vec<f32> = (0..2000)
            .map(|k| k as f32)
            .chain([0.5, 3.25, 1023.5, 1e6, 0.0, 1e-30])
            .collect();
        let mut out = Vec::new();
        log1p_counts(&values, &mut out);
        for (&v, &got) in values.iter().zip(&out) {
            let expected = f64::from(v).ln_1p();
            assert!(
                (f64::from(got) - expected).abs() <= 3e-7 * expected,
                "{v}: {got}"
            );
        }
        log1p_counts(&[2.0, -0.5, f32::NAN], &mut out);
        assert_eq!(out[0].to_bits(), 2f32.ln_1p().to_bits());
        assert_eq!(out[1].to_bits(), (-0.5f32).ln_1p().to_bits());
        assert!(out[2].is_nan());
    }
}
