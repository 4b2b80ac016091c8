//! Minibatch training: seeded split and shuffling, AdamW, KL warm-up, gradient clipping,
//! validation, early stopping and a per-epoch history.

use candle_core::{Tensor, Var};
use candle_nn::ParamsAdamW;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::config::{Norm, TrainConfig};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::loss::{Losses, kl_standard_normal, kl_weight, penalty, weighted_mean};
use crate::noise::Noise;
use crate::optim::AdamW;
use crate::vae::{Buffers, Minibatch, Standardization, Vae};

/// Offset between the training seed and the seed of validation noise, so validation draws
/// do not shift the training stream and are the same every epoch.
const VALIDATION_SEED_OFFSET: u64 = 0x05ee_d0f7_a11d;

/// What the progress callback is told.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// An optimiser step finished.
    Step {
        /// Epoch, from 1.
        epoch: usize,
        /// Step within the epoch, from 1.
        step: usize,
        /// Steps in each epoch.
        steps_per_epoch: usize,
        /// This minibatch's losses.
        losses: &'a Losses,
    },
    /// An epoch finished (after validation).
    Epoch {
        /// The maximum number of epochs.
        epochs: usize,
        /// The epoch's record.
        record: &'a EpochRecord,
    },
}

/// Losses of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch, from 1.
    pub epoch: usize,
    /// KL weight used for training in this epoch (β times the warm-up ramp).
    pub kl_weight: f64,
    /// Mean over the epoch's minibatches (training mode: dropout on, KL weight as used).
    pub train: Losses,
    /// On the held-out rows in evaluation mode, with the full β so epochs compare.
    pub validation: Option<Losses>,
}

/// The record of a training run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// One record per epoch run.
    pub epochs: Vec<EpochRecord>,
    /// The epoch with the lowest monitored loss (validation total, else training total).
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training before the last epoch.
    pub stopped_early: bool,
}

/// A training session over one data set, one epoch at a time. [`Vae::train`] drives it; a
/// benchmark can call [`Trainer::run_epoch`] directly.
pub struct Trainer<'a> {
    vae: &'a mut Vae,
    data: Dataset<'a>,
    config: TrainConfig,
    optimizer: AdamW,
    trainable: Vec<Var>,
    train_rows: Vec<usize>,
    validation_rows: Vec<usize>,
    noise: Noise,
    buffers: Buffers,
    epochs_done: usize,
    steps_done: usize,
}

impl<'a> Trainer<'a> {
    /// Validate the settings and the data, fit the standardisation if the model asks for one,
    /// split off the validation rows and set up the optimiser.
    pub fn new(vae: &'a mut Vae, data: Dataset<'a>, config: &TrainConfig) -> Result<Self> {
        config.validate()?;
        vae.check_data(&data)?;
        let n_rows = data.n_rows();
        if n_rows < 2 {
            return Err(Error::Data(format!(
                "{n_rows} rows — training needs at least 2 observations"
            )));
        }
        let mut noise = Noise::new(config.seed);
        let mut rows: Vec<usize> = (0..n_rows).collect();
        rows.shuffle(noise.rng());
        let n_validation = ((n_rows as f64) * config.validation_fraction).floor() as usize;
        let n_validation = n_validation.min(n_rows - 1);
        let train_rows = rows.split_off(n_validation);
        let validation_rows = rows;
        if vae.config.standardize && vae.standardization.is_none() {
            let view = SelectedRows {
                data: &data,
                rows: &train_rows,
            };
            vae.standardization = Some(Standardization::fit(&view));
        }
        let trainable: Vec<Var> = vae
            .named_variables()
            .into_iter()
            .filter(|(name, _)| !name.ends_with("running_mean") && !name.ends_with("running_var"))
            .map(|(_, var)| var)
            .collect();
        let optimizer = AdamW::new(
            trainable.clone(),
            ParamsAdamW {
                lr: config.learning_rate,
                beta1: 0.9,
                beta2: 0.999,
                eps: config.adam_eps,
                weight_decay: config.weight_decay,
            },
        )?;
        vae.train_config = Some(config.clone());
        Ok(Self {
            vae,
            data,
            config: config.clone(),
            optimizer,
            trainable,
            train_rows,
            validation_rows,
            noise,
            buffers: Buffers::default(),
            epochs_done: 0,
            steps_done: 0,
        })
    }

    /// Row indices used for training.
    pub fn train_rows(&self) -> &[usize] {
        &self.train_rows
    }

    /// Row indices held out for validation.
    pub fn validation_rows(&self) -> &[usize] {
        &self.validation_rows
    }

    /// One pass over the training rows in a fresh seeded order, then validation.
    pub fn run_epoch(&mut self, progress: &mut dyn FnMut(&Progress)) -> Result<EpochRecord> {
        let epoch = self.epochs_done + 1;
        self.train_rows.shuffle(self.noise.rng());
        let bounds = minibatch_bounds(
            self.train_rows.len(),
            self.config.batch_size,
            self.vae.config.norm == Norm::Batch,
        );
        let epoch_kl_weight = kl_weight(&self.config, self.epochs_done, self.steps_done);
        let mut sums = Losses::default();
        let mut weight_total = 0.0;
        let rows = std::mem::take(&mut self.train_rows);
        let result = (|| {
            for (index, &(start, end)) in bounds.iter().enumerate() {
                let step_kl_weight = kl_weight(&self.config, self.epochs_done, self.steps_done);
                let batch = self
                    .vae
                    .assemble(&self.data, &rows[start..end], &mut self.buffers)?;
                let (total, losses) = self.loss(&batch, step_kl_weight, true)?;
                if !losses.total.is_finite() {
                    return Err(self.diverged(epoch, index + 1, losses.total));
                }
                let mut grads = total.backward()?;
                if let Some(clip) = self.config.grad_clip {
                    clip_gradients(&self.trainable, &mut grads, clip)?;
                }
                self.optimizer.step(&grads)?;
                self.steps_done += 1;
                let rows_weight = batch
                    .weights
                    .as_ref()
                    .map_or(batch.rows as f64, |(_, sum)| *sum);
                sums.accumulate(&losses, rows_weight);
                weight_total += rows_weight;
                progress(&Progress::Step {
                    epoch,
                    step: index + 1,
                    steps_per_epoch: bounds.len(),
                    losses: &losses,
                });
            }
            Ok(())
        })();
        self.train_rows = rows;
        result?;
        let validation = self.validate()?;
        self.epochs_done += 1;
        let record = EpochRecord {
            epoch,
            kl_weight: epoch_kl_weight,
            train: sums.averaged(weight_total),
            validation,
        };
        progress(&Progress::Epoch {
            epochs: self.config.epochs,
            record: &record,
        });
        Ok(record)
    }

    /// Losses on the validation rows in evaluation mode (None without validation rows).
    fn validate(&mut self) -> Result<Option<Losses>> {
        if self.validation_rows.is_empty() {
            return Ok(None);
        }
        let mut noise = Noise::new(self.config.seed.wrapping_add(VALIDATION_SEED_OFFSET));
        std::mem::swap(&mut noise, &mut self.noise);
        let rows = std::mem::take(&mut self.validation_rows);
        let result = (|| {
            let mut sums = Losses::default();
            let mut weight_total = 0.0;
            for chunk in rows.chunks(self.config.batch_size.max(256)) {
                let batch = self.vae.assemble(&self.data, chunk, &mut self.buffers)?;
                let (_, losses) = self.loss(&batch, self.config.beta, false)?;
                let rows_weight = batch
                    .weights
                    .as_ref()
                    .map_or(batch.rows as f64, |(_, sum)| *sum);
                sums.accumulate(&losses, rows_weight);
                weight_total += rows_weight;
            }
            Ok(sums.averaged(weight_total))
        })();
        self.validation_rows = rows;
        std::mem::swap(&mut noise, &mut self.noise);
        result.map(Some)
    }

    /// The minimised loss as a tensor (for backward) and its parts as numbers.
    fn loss(&mut self, batch: &Minibatch, kl_weight: f64, train: bool) -> Result<(Tensor, Losses)> {
        let vae = &*self.vae;
        let noise = &mut self.noise;
        let (mean, log_var) = vae
            .encoder
            .forward(&batch.input, if train { Some(&mut *noise) } else { None })?;
        let (rows, latent) = mean.dims2()?;
        let epsilon = noise.standard_normal(rows, latent, &vae.device)?;
        let z = (&mean + (&log_var * 0.5)?.exp()?.mul(&epsilon)?)?;
        let output = vae.decoder.forward(&z, batch.batches.as_ref(), train)?;
        let log_px = vae.weighted_log_prob(batch, &output)?;
        let kl = kl_standard_normal(&mean, &log_var)?;
        let weights = batch.weights.as_ref().map(|(w, sum)| (w, *sum));
        let recon = weighted_mean(&log_px.neg()?, weights)?;
        let kl_mean = weighted_mean(&kl, weights)?;
        let mut total = (&recon + (&kl_mean * kl_weight)?)?;
        let mut regularizer = 0.0;
        if let Some(penalty) = penalty(&vae.penalised(), self.config.l1, self.config.l2)? {
            regularizer = f64::from(penalty.to_scalar::<f32>()?);
            total = (total + penalty)?;
        }
        let losses = Losses {
            recon: f64::from(recon.to_scalar::<f32>()?),
            kl: f64::from(kl_mean.to_scalar::<f32>()?),
            regularizer,
            total: f64::from(total.to_scalar::<f32>()?),
        };
        Ok((total, losses))
    }

    fn diverged(&self, epoch: usize, step: usize, value: f64) -> Error {
        let mut cause = format!(
            "the learning rate {} is probably too high: lower it (e.g. ÷10) or set grad_clip",
            self.config.learning_rate
        );
        let likelihood = &self.vae.config.likelihood;
        if likelihood.is_count() {
            cause.push_str(
                "; for count likelihoods also check that the input is raw counts, not normalised or log values",
            );
        } else if matches!(likelihood, crate::Likelihood::Gaussian { .. })
            && !self.vae.config.standardize
        {
            cause.push_str("; features on very different scales also diverge: set standardize");
        }
        Error::NonFiniteLoss {
            epoch,
            step,
            value: value as f32,
            likely_cause: cause,
        }
    }
}

impl Vae {
    /// Train on `data` with `config`, calling `progress` after every step and epoch.
    ///
    /// Early stopping (if configured) monitors the validation total (the training total
    /// without validation rows) and can restore the best epoch's weights.
    pub fn train(
        &mut self,
        data: &Dataset,
        config: &TrainConfig,
        mut progress: impl FnMut(&Progress),
    ) -> Result<History> {
        let mut trainer = Trainer::new(self, *data, config)?;
        let mut history = History::default();
        let mut best = f64::INFINITY;
        let mut since_best = 0;
        let mut snapshot: Option<Vec<(Var, Tensor)>> = None;
        for _ in 0..config.epochs {
            let record = trainer.run_epoch(&mut progress)?;
            let monitored = record
                .validation
                .as_ref()
                .map_or(record.train.total, |v| v.total);
            let min_delta = config.early_stopping.map_or(0.0, |s| s.min_delta);
            if monitored < best - min_delta {
                best = monitored;
                history.best_epoch = Some(record.epoch);
                since_best = 0;
                if config.early_stopping.is_some_and(|s| s.restore_best) {
                    snapshot = Some(trainer.vae.snapshot()?);
                }
            } else {
                since_best += 1;
            }
            history.epochs.push(record);
            if let Some(stop) = config.early_stopping
                && since_best >= stop.patience
            {
                history.stopped_early = true;
                break;
            }
        }
        if let Some(snapshot) = snapshot {
            for (var, value) in snapshot {
                var.set(&value)?;
            }
        }
        Ok(history)
    }

    /// A copy of every variable's current value.
    fn snapshot(&self) -> Result<Vec<(Var, Tensor)>> {
        self.named_variables()
            .into_iter()
            .map(|(_, var)| {
                let value = var.as_tensor().copy()?;
                Ok((var, value))
            })
            .collect()
    }
}

/// Minibatch [start, end) ranges over `n` rows; with batch-norm a trailing single row joins
/// the previous minibatch (batch statistics of one row are meaningless).
fn minibatch_bounds(n: usize, batch_size: usize, batch_norm: bool) -> Vec<(usize, usize)> {
    let mut bounds: Vec<(usize, usize)> = (0..n)
        .step_by(batch_size)
        .map(|start| (start, (start + batch_size).min(n)))
        .collect();
    if batch_norm && bounds.len() > 1 && bounds.last().is_some_and(|(s, e)| e - s == 1) {
        bounds.pop();
        if let Some(last) = bounds.last_mut() {
            last.1 = n;
        }
    }
    bounds
}

/// Scale all gradients down together when their global L2 norm exceeds `max_norm`.
fn clip_gradients(
    vars: &[Var],
    grads: &mut candle_core::backprop::GradStore,
    max_norm: f64,
) -> Result<()> {
    let mut sum_sq = 0.0f64;
    for var in vars {
        if let Some(grad) = grads.get(var) {
            sum_sq += f64::from(grad.sqr()?.sum_all()?.to_scalar::<f32>()?);
        }
    }
    let norm = sum_sq.sqrt();
    if norm > max_norm {
        let scale = max_norm / (norm + 1e-6);
        for var in vars {
            if let Some(grad) = grads.remove(var) {
                grads.insert(var, (grad * scale)?);
            }
        }
    }
    Ok(())
}

/// The training rows of a data set, as a row source (for fitting the standardisation).
struct SelectedRows<'a> {
    data: &'a Dataset<'a>,
    rows: &'a [usize],
}

impl crate::data::RowSource for SelectedRows<'_> {
    fn n_rows(&self) -> usize {
        self.rows.len()
    }

    fn n_cols(&self) -> usize {
        self.data.n_cols()
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        let mapped: Vec<usize> = rows.iter().map(|&r| self.rows[r]).collect();
        self.data.rows().fill_rows(&mapped, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_trailing_row_joins_the_previous_minibatch_under_batch_norm() {
        assert_eq!(minibatch_bounds(5, 2, true), vec![(0, 2), (2, 5)]);
        assert_eq!(minibatch_bounds(5, 2, false), vec![(0, 2), (2, 4), (4, 5)]);
        assert_eq!(minibatch_bounds(4, 2, true), vec![(0, 2), (2, 4)]);
        assert_eq!(minibatch_bounds(1, 2, true), vec![(0, 1)]);
    }
}
