//! How the model is trained: [`TrainConfig`] with its KL warm-up, learning-rate schedule and
//! early stopping, validated before any work starts.

use serde::{Deserialize, Serialize};

use super::{non_negative, positive_finite, share_below_one};
use crate::error::{Result, invalid};

/// When the KL weight reaches β: it grows linearly from 0 over this span.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KlWarmup {
    /// Over this many epochs (scVI: 400).
    Epochs(usize),
    /// Over this many optimiser steps.
    Steps(usize),
    /// Over this fraction of the training epochs (`TrainConfig::epochs`), rounded up to whole
    /// epochs: 0.5 trains the second half at the full KL weight, whatever the epoch count.
    Fraction(f64),
}

/// How the learning rate moves over training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LrSchedule {
    /// `learning_rate` throughout (scVI).
    #[default]
    Constant,
    /// Half a cosine from `learning_rate` at the first epoch towards 0 after the last
    /// (Loshchilov & Hutter's annealing, without restarts), set per epoch:
    /// lr · ½(1 + cos(π · epoch / epochs)), epochs counted from 0.
    Cosine,
}

/// Stop when the validation loss has not improved by `min_delta` for `patience` epochs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EarlyStopping {
    /// Epochs without improvement before stopping (scVI 45, popvae 50).
    pub patience: usize,
    /// Smallest decrease of the validation loss that counts as improvement.
    pub min_delta: f64,
    /// Put back the weights of the best epoch when training ends.
    pub restore_best: bool,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        Self {
            patience: 45,
            min_delta: 0.0,
            restore_best: true,
        }
    }
}

/// How the model is trained. Defaults follow scVI (Adam lr 1e-3, ε 0.01, weight decay 1e-6,
/// batch 128, 10% validation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Maximum number of passes over the training rows.
    pub epochs: usize,
    /// Rows per minibatch.
    pub batch_size: usize,
    /// AdamW learning rate (the peak, under a schedule).
    pub learning_rate: f64,
    /// How the learning rate moves over the epochs.
    pub lr_schedule: LrSchedule,
    /// Linear learning-rate warm-up over the first this many optimiser steps (0: none): step
    /// `s` (from 0) uses the schedule's rate × (s + 1) / `lr_warmup_steps`. Adam's first
    /// steps move every weight by about the learning rate whatever its gradient, before the
    /// second moments are estimated; a ramp keeps those steps small.
    pub lr_warmup_steps: usize,
    /// AdamW (decoupled) weight decay.
    pub weight_decay: f64,
    /// AdamW ε (scVI uses 0.01, far above PyTorch's 1e-8, for stability).
    pub adam_eps: f64,
    /// Weight of the KL term once warm-up is over (β-VAE; VAMB uses 200 on its own scale).
    pub beta: f64,
    /// Linear KL warm-up; `None` uses β from the first step.
    pub kl_warmup: Option<KlWarmup>,
    /// λ of the L1 penalty on the weight matrices (not biases or norms).
    pub l1: f64,
    /// λ of the L2 penalty (sum of squares) on the weight matrices (EVE-style).
    pub l2: f64,
    /// Fraction of rows held out for validation (0 for none).
    pub validation_fraction: f64,
    /// Early stopping on the validation loss (on the training loss if there is no validation).
    pub early_stopping: Option<EarlyStopping>,
    /// Rescale gradients whose global L2 norm exceeds this.
    pub grad_clip: Option<f64>,
    /// Seed for the validation split, minibatch order, dropout and posterior noise.
    pub seed: u64,
    /// Weights averaged over epochs (Polyak; 0: off): at each epoch's end the model becomes
    /// a · its previous average + (1 − a) · the weights just trained, is validated (and kept
    /// by early stopping) as such, and training goes on from the trained weights, so the
    /// optimiser's path is that of a run without averaging. Absent in older config.json: off.
    #[serde(skip_serializing_if = "is_zero")]
    pub weight_averaging: f64,
    /// How an epoch's minibatches take the training rows when rows carry weights (sequence
    /// weights). Absent in older config.json: [`RowSampling::Uniform`].
    #[serde(skip_serializing_if = "RowSampling::is_uniform")]
    pub sampling: RowSampling,
}

/// How an epoch's minibatches take the training rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowSampling {
    /// Every training row once an epoch in a fresh seeded order; a row's weight scales its
    /// loss (a minibatch's loss divided by the sum of its weights).
    #[default]
    Uniform,
    /// As EVE and DeepSequence: an epoch is as many draws, with replacement and in
    /// proportion to the row weights, as there are training rows, and every draw counts
    /// once in the loss. The same expected gradient as `Uniform`, with less noise where
    /// most weights are small. Needs row weights.
    Weighted,
}

impl RowSampling {
    fn is_uniform(&self) -> bool {
        *self == RowSampling::Uniform
    }
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 100,
            batch_size: 128,
            learning_rate: 1e-3,
            lr_schedule: LrSchedule::Constant,
            lr_warmup_steps: 0,
            weight_decay: 1e-6,
            adam_eps: 0.01,
            beta: 1.0,
            kl_warmup: None,
            l1: 0.0,
            l2: 0.0,
            validation_fraction: 0.1,
            early_stopping: None,
            grad_clip: None,
            seed: 0,
            weight_averaging: 0.0,
            sampling: RowSampling::Uniform,
        }
    }
}

impl TrainConfig {
    /// scVI's epoch rule for `n_rows` observations: min(round(20000 / n × 400), 400), at least 1.
    pub fn scvi_epochs(n_rows: usize) -> usize {
        if n_rows == 0 {
            return 400;
        }
        let epochs = (20_000.0 / n_rows as f64 * 400.0).round() as usize;
        epochs.clamp(1, 400)
    }

    /// The learning rate of `epoch` (counted from 0) under the schedule. Past `epochs` (a
    /// resumed run given more) the cosine stays at its end.
    pub fn learning_rate_at(&self, epoch: usize) -> f64 {
        match self.lr_schedule {
            LrSchedule::Constant => self.learning_rate,
            LrSchedule::Cosine => {
                let progress = (epoch as f64 / self.epochs.max(1) as f64).min(1.0);
                self.learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }

    /// The learning rate of optimiser step `step` (counted from 0 over the whole run) in
    /// `epoch`: [`TrainConfig::learning_rate_at`] times the warm-up ramp.
    pub fn learning_rate_at_step(&self, epoch: usize, step: usize) -> f64 {
        let rate = self.learning_rate_at(epoch);
        let warmup = self.lr_warmup_steps;
        if step < warmup {
            rate * (step + 1) as f64 / warmup as f64
        } else {
            rate
        }
    }

    /// Check every field; the error names the field and the fix.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(invalid("epochs", "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(invalid("batch_size", "must be at least 1 (e.g. 128)"));
        }
        positive_finite("learning_rate", self.learning_rate, "e.g. 1e-3")?;
        positive_finite("adam_eps", self.adam_eps, "e.g. 0.01 or 1e-8")?;
        non_negative("weight_decay", self.weight_decay)?;
        non_negative("beta", self.beta)?;
        non_negative("l1", self.l1)?;
        non_negative("l2", self.l2)?;
        if !(0.0..1.0).contains(&self.validation_fraction) {
            return Err(invalid(
                "validation_fraction",
                format!(
                    "{} is outside [0, 1) — use e.g. 0.1, or 0 for no validation",
                    self.validation_fraction
                ),
            ));
        }
        match self.kl_warmup {
            Some(KlWarmup::Epochs(0)) | Some(KlWarmup::Steps(0)) => {
                return Err(invalid(
                    "kl_warmup",
                    "a warm-up of 0 is no warm-up — leave it out or give ≥ 1",
                ));
            }
            Some(KlWarmup::Fraction(f)) if !(f > 0.0 && f <= 1.0) => {
                return Err(invalid(
                    "kl_warmup",
                    format!("fraction {f} is outside (0, 1] — use e.g. 0.5 for half the epochs"),
                ));
            }
            _ => {}
        }
        if let Some(stop) = &self.early_stopping {
            if stop.patience == 0 {
                return Err(invalid("early_stopping.patience", "must be at least 1"));
            }
            non_negative("early_stopping.min_delta", stop.min_delta)?;
        }
        if let Some(clip) = self.grad_clip {
            positive_finite("grad_clip", clip, "e.g. 10")?;
        }
        share_below_one(
            "weight_averaging",
            self.weight_averaging,
            "0.8 (each epoch adds a fifth)",
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learning_rate_warms_up_linearly_by_step_then_follows_the_schedule() {
        // by hand: lr 1e-3 over 4 steps is 1e-3 × 1/4, 2/4, 3/4, 4/4, then 1e-3
        let config = TrainConfig {
            learning_rate: 1e-3,
            lr_warmup_steps: 4,
            ..TrainConfig::default()
        };
        let rates: Vec<f64> = (0..6).map(|s| config.learning_rate_at_step(0, s)).collect();
        let expected = [2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3];
        for (rate, want) in rates.iter().zip(expected) {
            assert!((rate - want).abs() < 1e-15, "{rates:?}");
        }
        // under a cosine over 10 epochs, epoch 5 is at half the rate: the ramp scales that
        let cosine = TrainConfig {
            lr_schedule: LrSchedule::Cosine,
            epochs: 10,
            ..config.clone()
        };
        assert!((cosine.learning_rate_at_step(5, 1) - 0.5e-3 * 0.5).abs() < 1e-15);
        // no warm-up: the schedule's rate from the first step
        let plain = TrainConfig {
            lr_warmup_steps: 0,
            ..config
        };
        assert_eq!(plain.learning_rate_at_step(0, 0), 1e-3);
    }
}
