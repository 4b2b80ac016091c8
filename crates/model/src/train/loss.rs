//! The terms of the training objective: −log p(x|z), β·KL(q(z|x) ‖ N(0, I)) with linear
//! warm-up, and λ-weighted L1/L2 penalties on weight matrices.

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

use crate::config::{KlWarmup, TrainConfig};

/// Loss components averaged over the (weighted) rows of a pass, as kept in the history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Losses {
    /// Mean negative log-likelihood −log p(x | z) per row.
    pub recon: f64,
    /// Mean KL(q(z | x) ‖ N(0, I)) per row, before the KL weight.
    pub kl: f64,
    /// λ-weighted L1/L2 penalty on the weights, plus a Bayesian decoder's
    /// KL(q(weights) ‖ N(0, 1)) / N_eff.
    pub regularizer: f64,
    /// recon + kl_weight · kl + regularizer: the value minimised.
    pub total: f64,
}

impl Losses {
    /// The parts of a loss and their total, recon + kl_weight · kl + regularizer.
    pub(crate) fn new(recon: f64, kl: f64, kl_weight: f64, regularizer: f64) -> Self {
        Self {
            recon,
            kl,
            regularizer,
            total: recon + kl_weight * kl + regularizer,
        }
    }

    /// Add `other` weighted by `rows`, for averaging minibatches into an epoch.
    pub(crate) fn accumulate(&mut self, other: &Losses, rows: f64) {
        self.recon += other.recon * rows;
        self.kl += other.kl * rows;
        self.regularizer += other.regularizer * rows;
        self.total += other.total * rows;
    }

    /// recon + kl_weight · kl: the total without the penalties on parameters (L1/L2, a
    /// Bayesian decoder's weight KL), which do not depend on the rows scored. On held-out
    /// rows this is what early stopping watches (the negative ELBO of the data).
    pub fn data(&self) -> f64 {
        self.total - self.regularizer
    }

    /// Divide accumulated sums by the total row weight.
    pub(crate) fn averaged(&self, rows: f64) -> Losses {
        let rows = rows.max(f64::MIN_POSITIVE);
        Losses {
            recon: self.recon / rows,
            kl: self.kl / rows,
            regularizer: self.regularizer / rows,
            total: self.total / rows,
        }
    }
}

/// KL(N(μ, e^{log_var}) ‖ N(0, I)) per row: ½ Σ_j (μ² + σ² − log σ² − 1), shape `[rows]`.
pub(crate) fn kl_standard_normal(mean: &Tensor, log_var: &Tensor) -> candle_core::Result<Tensor> {
    let latent = mean.dim(1)? as f64;
    ((mean.sqr()? + log_var.exp()?)? - log_var)?
        .sum(1)?
        .affine(0.5, -0.5 * latent)
}

/// The KL weight at a point of training: β, reached linearly from 0 over the warm-up.
/// `epoch` and `step` count from 0 (scVI: min(1, epoch / n_epochs_kl_warmup)).
pub fn kl_weight(config: &TrainConfig, epoch: usize, step: usize) -> f64 {
    let ramp = match config.kl_warmup {
        None => 1.0,
        Some(KlWarmup::Epochs(n)) => (epoch as f64 / n as f64).min(1.0),
        Some(KlWarmup::Steps(n)) => (step as f64 / n as f64).min(1.0),
        Some(KlWarmup::Fraction(f)) => {
            let n = (f * config.epochs as f64).ceil().max(1.0);
            (epoch as f64 / n).min(1.0)
        }
    };
    config.beta * ramp
}

/// λ₁ Σ|w| + λ₂ Σw² over `weights`, or `None` when both λ are 0.
pub(crate) fn penalty(weights: &[Tensor], l1: f64, l2: f64) -> candle_core::Result<Option<Tensor>> {
    let mut total: Option<Tensor> = None;
    for weight in weights {
        let mut terms = Vec::with_capacity(2);
        if l1 > 0.0 {
            terms.push((weight.abs()?.sum_all()? * l1)?);
        }
        if l2 > 0.0 {
            terms.push((weight.sqr()?.sum_all()? * l2)?);
        }
        for term in terms {
            total = Some(match total {
                None => term,
                Some(sum) => (sum + term)?,
            });
        }
    }
    Ok(total)
}

/// Sum of `per_row` `[rows]`, each row times its weight if `weights` are given.
pub(crate) fn weighted_sum(
    per_row: &Tensor,
    weights: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
    match weights {
        None => per_row.sum_all(),
        Some(weights) => per_row.mul(weights)?.sum_all(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn kl_matches_closed_form_by_hand() {
        // Row 1: μ = (0, 0), σ² = (1, 1) → 0. Row 2: μ = (1, 2), log σ² = (0, ln 2):
        // ½[(1 + 1 − 0 − 1) + (4 + 2 − ln 2 − 1)] = ½(6 − ln 2) = 2.6534264097200273 (by hand).
        let mean = Tensor::new(&[[0f32, 0.0], [1.0, 2.0]], &Device::Cpu).unwrap();
        let log_var = Tensor::new(&[[0f32, 0.0], [0.0, 2f32.ln()]], &Device::Cpu).unwrap();
        let kl = kl_standard_normal(&mean, &log_var)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(kl[0].abs() < 1e-6);
        assert!((kl[1] - 2.653_426_4).abs() < 1e-5, "{kl:?}");
    }

    #[test]
    fn warmup_is_linear_then_flat() {
        let config = TrainConfig {
            beta: 2.0,
            kl_warmup: Some(KlWarmup::Epochs(4)),
            ..TrainConfig::default()
        };
        assert_eq!(kl_weight(&config, 0, 99), 0.0);
        assert_eq!(kl_weight(&config, 1, 0), 0.5);
        assert_eq!(kl_weight(&config, 9, 0), 2.0);
        let config = TrainConfig {
            kl_warmup: Some(KlWarmup::Steps(10)),
            ..TrainConfig::default()
        };
        assert_eq!(kl_weight(&config, 5, 5), 0.5);
        // Half of 7 epochs rounds up to 4: 0, ¼, ½, ¾, then β.
        let config = TrainConfig {
            epochs: 7,
            kl_warmup: Some(KlWarmup::Fraction(0.5)),
            ..TrainConfig::default()
        };
        let weights: Vec<f64> = (0..7).map(|epoch| kl_weight(&config, epoch, 0)).collect();
        assert_eq!(weights, [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]);
        assert_eq!(kl_weight(&TrainConfig::default(), 0, 0), 1.0);
    }

    #[test]
    fn penalty_sums_abs_and_squares() {
        let w = Tensor::new(&[[1f32, -2.0], [0.5, 0.0]], &Device::Cpu).unwrap();
        // L1 = 3.5, L2 = 1 + 4 + 0.25 = 5.25 (by hand): 0.1·3.5 + 0.01·5.25 = 0.4025
        let p = penalty(std::slice::from_ref(&w), 0.1, 0.01)
            .unwrap()
            .unwrap();
        assert!((p.to_scalar::<f32>().unwrap() - 0.4025).abs() < 1e-6);
        assert!(penalty(&[w], 0.0, 0.0).unwrap().is_none());
    }
}
