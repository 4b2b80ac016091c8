//! Scoring an alignment model through a predictive shrunk toward the family's
//! site-independent model (issue 18).
//!
//! The decoder's column distribution p(· | z) is a point estimate fitted to a family of N_eff
//! effective sequences. The site-independent model estimates each column's frequencies from
//! the same sequences with a pseudocount of 0.5 per state, i.e. it mixes the observed
//! frequencies with the uniform distribution at weight 0.5·K / (N_eff + 0.5·K). The same prior
//! centred on the family's column frequencies s gives the decoder the predictive
//! p' = (1 − ε)·p + ε·s with ε = 0.5·K / (N_eff + 0.5·K): where the decoder is sure a residue
//! never occurs (p far below ε·s), the family's own frequency of it decides, as in the site
//! model; elsewhere p does. `vaebio score` ranks mutants by the ELBO under p'
//! ([`crate::Vae::elbo_shrunk`]); training keeps the decoder's own p unless
//! [`crate::VaeConfig::site_mixture`] (measured on the protein panel: no gain, not the default).

use candle_core::{D, Tensor};
use candle_nn::ops::log_softmax;
use rayon::prelude::*;

use crate::data::RowSource;
use crate::error::{Error, Result};
use crate::ops::categorical::log_normaliser;
use crate::train::site_init::{SITE_PSEUDOCOUNT, site_log_frequencies};

/// A categorical model's column distributions shrunk toward fixed ones (the family's site
/// model): p' = (1 − weight)·p + weight·s, per block of `n_states` features.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteShrinkage {
    /// s: each feature's frequency within its block (each block sums to 1).
    frequencies: Vec<f32>,
    /// ε, in [0, 1).
    weight: f64,
    n_states: usize,
}

impl SiteShrinkage {
    /// The site model of `rows` (one-hot blocks of `n_states`) under sequence `weights` (1
    /// each when `None`): s = (c + 0.5) / (Σ c + 0.5·K) per column, c the weighted counts,
    /// and ε = 0.5·K / (N_eff + 0.5·K), N_eff the sum of the weights.
    pub fn site_model(
        rows: &dyn RowSource,
        weights: Option<&[f32]>,
        n_states: usize,
    ) -> Result<Self> {
        if n_states < 2 || !rows.n_cols().is_multiple_of(n_states) {
            return Err(Error::Data(format!(
                "site shrinkage: {} columns are not blocks of {n_states} states",
                rows.n_cols()
            )));
        }
        if weights.is_some_and(|w| w.len() != rows.n_rows()) {
            return Err(Error::Data(format!(
                "site shrinkage: {} weights for {} rows",
                weights.map_or(0, <[f32]>::len),
                rows.n_rows()
            )));
        }
        let n_eff = weights.map_or(rows.n_rows() as f64, |w| {
            w.iter().map(|&w| f64::from(w)).sum()
        });
        let prior = SITE_PSEUDOCOUNT * n_states as f64;
        let frequencies = site_log_frequencies(rows, weights, n_states)
            .into_iter()
            .map(f32::exp)
            .collect();
        Ok(Self {
            frequencies,
            weight: prior / (n_eff + prior),
            n_states,
        })
    }

    /// ε, the weight of the site model in the predictive.
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// The same frequencies at another weight (clamped to [0, 1)).
    #[cfg(test)]
    pub(crate) fn with_weight(&self, weight: f64) -> Self {
        Self {
            weight: weight.clamp(0.0, 1.0 - f64::EPSILON),
            ..self.clone()
        }
    }

    /// Features (blocks × states) the shrinkage covers.
    pub fn n_features(&self) -> usize {
        self.frequencies.len()
    }

    /// States per block.
    pub fn n_states(&self) -> usize {
        self.n_states
    }

    /// Σ over blocks and states of xₐ · ln((1 − ε)·softmax(l)ₐ + ε·sₐ), per row of
    /// `x` and `logits` (`[rows, features]`, row-major), rows in parallel, each row summed in
    /// f64 in a fixed order.
    pub(crate) fn row_log_probs(&self, x: &[f32], logits: &[f32]) -> Vec<f32> {
        let n_features = self.frequencies.len();
        x.par_chunks(n_features)
            .zip(logits.par_chunks(n_features))
            .map(|(x, logits)| self.row_log_prob(x, logits))
            .collect()
    }

    /// The terms of that sum, xₐ · ln((1 − ε)·softmax(l)ₐ + ε·sₐ), as a differentiable
    /// tensor `[rows, features]` of `x` and `logits` (candle's ops: for training through the
    /// mixture, where autograd needs it and feature weights may scale the terms).
    pub(crate) fn log_prob_elements(&self, x: &Tensor, logits: &Tensor) -> Result<Tensor> {
        let (rows, n_features) = logits.dims2()?;
        let blocks = n_features / self.n_states;
        let shape = (rows, blocks, self.n_states);
        let site = Tensor::from_slice(&self.frequencies, (blocks, self.n_states), logits.device())?
            .affine(self.weight, 0.0)?;
        let mixed = log_softmax(&logits.reshape(shape)?, D::Minus1)?
            .exp()?
            .affine(1.0 - self.weight, 0.0)?
            .broadcast_add(&site)?
            .log()?;
        Ok(mixed.mul(&x.reshape(shape)?)?.reshape((rows, n_features))?)
    }

    fn row_log_prob(&self, x: &[f32], logits: &[f32]) -> f32 {
        let keep = 1.0 - self.weight;
        let mut total = 0f64;
        let blocks = x
            .chunks_exact(self.n_states)
            .zip(logits.chunks_exact(self.n_states))
            .zip(self.frequencies.chunks_exact(self.n_states));
        for ((x, l), s) in blocks {
            let (max, log_sum) = log_normaliser(l);
            for ((&x, &l), &s) in x.iter().zip(l).zip(s) {
                if x != 0.0 {
                    let p = f64::from((l - max - log_sum).exp());
                    total += f64::from(x) * (keep * p + self.weight * f64::from(s)).ln();
                }
            }
        }
        total as f32
    }
}

#[cfg(test)]
mod tests {
    use super::SiteShrinkage;
    use crate::DenseMatrix;

    /// Three rows of one column of three states, weights 1, 1, 2: weighted counts (1, 3, 0),
    /// N_eff 4, K 3: s = (1.5, 3.5, 0.5) / 5.5 and ε = 1.5 / 5.5; worked by hand.
    #[test]
    fn site_model_is_the_pseudocounted_weighted_frequencies() {
        let rows = DenseMatrix::new(vec![1., 0., 0., 0., 1., 0., 0., 1., 0.], 3, 3).unwrap();
        let shrinkage = SiteShrinkage::site_model(&rows, Some(&[1.0, 1.0, 2.0]), 3).unwrap();
        assert!((shrinkage.weight() - 1.5 / 5.5).abs() < 1e-12);
        for (got, want) in shrinkage.frequencies.iter().zip([1.5, 3.5, 0.5]) {
            assert!((f64::from(*got) - want / 5.5).abs() < 1e-6, "{got}");
        }
    }

    /// One row, two blocks of two states, logits (0, ln 3) and (0, 0), target states 2 and
    /// 1, s = (0.5, 0.5) then (0.9, 0.1), ε = 0.2: ln(0.8·0.75 + 0.2·0.5) + ln(0.8·0.5 +
    /// 0.2·0.9) = ln 0.7 + ln 0.58, by hand.
    #[test]
    fn row_log_prob_mixes_softmax_and_site_frequencies() {
        let shrinkage = SiteShrinkage {
            frequencies: vec![0.5, 0.5, 0.9, 0.1],
            weight: 0.2,
            n_states: 2,
        };
        let got = shrinkage.row_log_probs(&[0., 1., 1., 0.], &[0., 3f32.ln(), 0., 0.]);
        let want = (0.7f64.ln() + 0.58f64.ln()) as f32;
        assert!((got[0] - want).abs() < 1e-6, "{got:?} vs {want}");
    }

    /// The tensor form (training) gives the host form's sums (scoring) on random logits.
    #[test]
    fn tensor_and_host_forms_agree() {
        use candle_core::{Device, Tensor};
        let shrinkage = SiteShrinkage {
            frequencies: vec![0.2, 0.3, 0.5, 0.6, 0.3, 0.1],
            weight: 0.05,
            n_states: 3,
        };
        let logits: Vec<f32> = (0..4 * 6)
            .map(|i| ((i * 7919) % 23) as f32 / 3.0 - 3.5)
            .collect();
        let x: Vec<f32> = (0..4 * 6)
            .map(|i| {
                if (i / 3 + i % 3 + i / 6) % 3 == 0 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let host = shrinkage.row_log_probs(&x, &logits);
        let device = Device::Cpu;
        let tensor = shrinkage
            .log_prob_elements(
                &Tensor::from_slice(&x, (4, 6), &device).unwrap(),
                &Tensor::from_slice(&logits, (4, 6), &device).unwrap(),
            )
            .unwrap()
            .sum(1)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for (a, b) in host.iter().zip(&tensor) {
            assert!((a - b).abs() < 1e-5, "{host:?} vs {tensor:?}");
        }
    }

    #[test]
    fn ragged_blocks_and_weights_are_errors() {
        let rows = DenseMatrix::new(vec![1., 0., 0., 1.], 1, 4).unwrap();
        assert!(SiteShrinkage::site_model(&rows, None, 3).is_err());
        assert!(SiteShrinkage::site_model(&rows, Some(&[1.0, 2.0]), 2).is_err());
    }
}
