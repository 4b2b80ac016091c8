//! One training session's epochs ([`Trainer`]): seeded split and shuffling, AdamW, KL
//! warm-up, gradient clipping, validation and the per-epoch record; its state at an epoch
//! boundary and resuming from one bit-for-bit. The loop over epochs, early stopping and the
//! rollback are in [`crate::train::run`].

use std::sync::atomic::{AtomicBool, Ordering};

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use candle_nn::ParamsAdamW;
use rand::RngCore;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{Norm, RowSampling, TrainConfig};
use crate::data::{Dataset, WeightScope};
use crate::error::{Error, Result};
use crate::minibatch::Buffers;
use crate::noise::Noise;
use crate::ops::factored_gradient::FactoredGradient;
use crate::train::averaging::{WeightAverage, resume_averaging};
use crate::train::fit::{SelectedRows, fit_input_scaling, library_scales, split_rows};
use crate::train::loss::{Losses, kl_weight, penalty};
use crate::train::optim::{AdamState, AdamW};
use crate::train::readback::{PendingLosses, StepTerms, read_scalars};
use crate::train::reduce::{GradientReduce, OrderedSum, add_gradients};
use crate::train::resume::{ResumeInfo, TrainState, is_trainable, trainable_names};
use crate::train::sampling::draw_by_weight;
use crate::train::shards::{self, LossSettings, terms};
use crate::train::snapshot::Snapshot;
use crate::vae::Vae;

/// A step's gradients: those in the store and the weight gradients left factored.
type Gradients = (GradStore, Vec<FactoredGradient>);

/// Offset between the training seed and the seed of validation noise, so validation draws
/// do not shift the training stream and are the same every epoch.
const VALIDATION_SEED_OFFSET: u64 = 0x05ee_d0f7_a11d;

/// What the progress callback is told.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// Everything fitted before the first epoch (standardisation, likelihood weights, the
    /// site-model start, a resumed state) is in place; the epochs start now.
    Fitted,
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
    /// The epoch with the lowest monitored loss: on validation rows their
    /// [`Losses::data`] (the total without penalties on parameters), else the training total.
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training before the last epoch.
    pub stopped_early: bool,
}

/// A training session over one data set, one epoch at a time. [`Vae::train`] drives it; a
/// benchmark can call [`Trainer::run_epoch`] directly.
pub struct Trainer<'a> {
    pub(super) vae: &'a mut Vae,
    data: Dataset<'a>,
    config: TrainConfig,
    optimizer: AdamW,
    /// The optimiser adds the L2 penalty's gradient ([`AdamW::fuse_l2`]); the loss keeps
    /// only its value.
    l2_in_optimizer: bool,
    trainable: Vec<Var>,
    /// How the shards' gradients become the step's ([`OrderedSum`] on one process).
    reduce: Box<dyn GradientReduce>,
    trainable_names: Vec<String>,
    train_rows: Vec<usize>,
    validation_rows: Vec<usize>,
    /// [`library_weight_scales`] of the training rows per batch `[n_batches]`, when cells are
    /// weighted by library size.
    library_weight_scales: Option<Tensor>,
    noise: Noise,
    /// Every row's encoder input when the model reads principal axes, projected once.
    encoder_inputs: Option<Vec<f32>>,
    /// The effective number of training rows: the sum of their weights (EVE's `Neff`), or
    /// their count when rows are unweighted.
    n_eff: f64,
    pub(super) epochs_done: usize,
    steps_done: usize,
    /// The weights averaged over epochs, when the config asks for it.
    averaging: Option<WeightAverage>,
    /// Whether the states taken at epoch boundaries can be saved and resumed: they hold the
    /// optimiser's moments and the averaging's trained weights. Without, each boundary copies
    /// two weights' worth less, and the averaging keeps one copy of the trained weights.
    pub(super) resumable: bool,
}

impl<'a> Trainer<'a> {
    /// Validate the settings and the data, fit the standardisation if the model asks for one,
    /// split off the validation rows and set up the optimiser.
    pub fn new(vae: &'a mut Vae, data: Dataset<'a>, config: &TrainConfig) -> Result<Self> {
        config.validate()?;
        vae.check_data(&data)?;
        let n_rows = data.n_rows();
        // One observation trains (without validation rows); none cannot.
        if n_rows == 0 {
            return Err(Error::Data(
                "0 rows — training needs at least 1 observation".to_string(),
            ));
        }
        if config.sampling == RowSampling::Weighted
            && (data.weights().is_none() || data.weight_scope() != WeightScope::Elbo)
        {
            return Err(Error::Data(
                "rows drawn by weight need row weights (an alignment's sequence weights) — \
                 train with uniform sampling"
                    .to_string(),
            ));
        }
        let mut noise = Noise::new(config.seed);
        let (train_rows, validation_rows) = split_rows(n_rows, config, &mut noise);
        let n_eff = data.divisor(&train_rows);
        if config.sampling == RowSampling::Weighted && n_eff <= 0.0 {
            return Err(Error::Data(
                "every training row weighs 0 — nothing to draw minibatches from".to_string(),
            ));
        }
        // What is fitted on the training rows (and kept from a loaded checkpoint).
        let training_view = SelectedRows {
            data: &data,
            rows: &train_rows,
        };
        fit_input_scaling(vae, &training_view, config.seed)?;
        let library_weight_scales = library_scales(vae, &data, &training_view, &train_rows)?;
        let encoder_inputs = match &vae.input_axes {
            Some(axes) => Some(axes.project_rows(data.rows())?),
            None => None,
        };
        let trainable: Vec<Var> = vae
            .named_variables()
            .into_iter()
            .filter(|(name, _)| is_trainable(name))
            .map(|(_, var)| var)
            .collect();
        let trainable_names = trainable_names(vae);
        let mut optimizer = AdamW::new(
            trainable.clone(),
            ParamsAdamW {
                lr: config.learning_rate,
                beta1: 0.9,
                beta2: 0.999,
                eps: config.adam_eps,
                weight_decay: config.weight_decay,
            },
        )?;
        // Gradient clipping must see the penalty's gradient, and L1 stays with autograd.
        let l2_in_optimizer = config.l2 > 0.0
            && config.l1 == 0.0
            && config.grad_clip.is_none()
            && optimizer.fuse_l2(&vae.penalised(), config.l2);
        vae.train_config = Some(config.clone());
        Ok(Self {
            vae,
            data,
            config: config.clone(),
            optimizer,
            l2_in_optimizer,
            trainable,
            reduce: Box::new(OrderedSum),
            trainable_names,
            train_rows,
            validation_rows,
            library_weight_scales,
            noise,
            encoder_inputs,
            n_eff: n_eff.max(f64::MIN_POSITIVE),
            epochs_done: 0,
            steps_done: 0,
            averaging: WeightAverage::new(config.weight_averaging),
            resumable: true,
        })
    }

    /// The divisors of the library-size weights per batch, fitted on the training rows
    /// ([`crate::train::library_weights`]); `None` when every cell weighs 1.
    pub fn library_weight_scales(&self) -> Option<Vec<f32>> {
        self.library_weight_scales
            .as_ref()
            .and_then(|scales| scales.to_vec1().ok())
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
    pub fn run_epoch(
        &mut self,
        progress: &mut (dyn FnMut(&Progress) + Send),
    ) -> Result<EpochRecord> {
        let record = self.run_epoch_until(progress, None)?;
        record.ok_or_else(|| Error::Data("training was stopped".to_string()))
    }

    /// The state at this epoch boundary, with the caller's early-stopping bookkeeping:
    /// `weights` (holding the model's current values), the moments written over `optimizer`
    /// (the previous state's, so that no buffer is allocated again) when the session is
    /// resumable, left empty otherwise.
    pub(super) fn state(
        &mut self,
        history: &History,
        best: f64,
        since_best: usize,
        weights: &Snapshot,
        best_weights: Option<&Snapshot>,
        mut optimizer: AdamState,
    ) -> Result<TrainState> {
        let to_u32 = |rows: &[usize]| rows.iter().map(|&r| r as u32).collect();
        if self.resumable {
            self.optimizer.state_into(&mut optimizer)?;
        }
        Ok(TrainState {
            info: ResumeInfo {
                epochs_done: self.epochs_done,
                steps_done: self.steps_done,
                optimizer_step: optimizer.step,
                rng_word_pos: self.noise.rng().get_word_pos().to_string(),
                n_rows: self.data.n_rows(),
                best_loss: best.is_finite().then_some(best),
                epochs_since_best: since_best,
                restored_best: false,
                history: history.clone(),
            },
            train_rows: to_u32(&self.train_rows),
            validation_rows: to_u32(&self.validation_rows),
            optimizer,
            trainable: self.trainable_names.clone(),
            weights: weights.values(),
            best_weights: best_weights.map(Snapshot::values),
            resumable: self.resumable,
            // shared with the averaging's copy, which only a resumable run keeps as it is
            trained_weights: self
                .averaging
                .as_ref()
                .filter(|_| self.resumable)
                .and_then(|a| a.named_trained(&self.trainable_names)),
        })
    }

    /// Continue from `state`: row order, RNG position, counters and optimiser moments.
    pub(super) fn restore(&mut self, state: &TrainState) -> Result<()> {
        let info = &state.info;
        if info.n_rows != self.data.n_rows() {
            return Err(Error::Data(format!(
                "{} rows, the interrupted run trained on {} — resume with the same input",
                self.data.n_rows(),
                info.n_rows
            )));
        }
        if state.trainable != self.trainable_names {
            return Err(Error::Data(
                "the saved optimizer state does not match the model's variables — resume with the model it was saved with".to_string(),
            ));
        }
        let word_pos: u128 = info.rng_word_pos.parse().map_err(|_| {
            Error::Data(format!(
                "RNG position `{}` is not a number — the saved state is corrupt",
                info.rng_word_pos
            ))
        })?;
        self.noise.rng().set_word_pos(word_pos);
        self.train_rows = state.train_rows.iter().map(|&r| r as usize).collect();
        self.validation_rows = state.validation_rows.iter().map(|&r| r as usize).collect();
        self.epochs_done = info.epochs_done;
        self.steps_done = info.steps_done;
        self.optimizer.set_state(&state.optimizer)?;
        resume_averaging(
            &mut self.averaging,
            &self.trainable,
            state.trained_weights.as_deref(),
            info.epochs_done,
        )?;
        Ok(())
    }

    /// [`Trainer::run_epoch`], giving up after the current step when `stop` is raised
    /// (`Ok(None)`; the model is then mid-epoch).
    ///
    /// The epoch runs on one of rayon's worker threads, the calling thread waiting: the
    /// shards' fork-joins are then joins inside the pool, the other workers stealing the
    /// shards, rather than jobs injected from outside that the caller blocks on and is woken
    /// from at every step — and a caller doing the serial part of a step (gradient sums,
    /// optimiser) no longer competes for the cores with workers spinning for the next
    /// shards (two busy cores, not three threads on two). On a GPU (one shard per step) the
    /// epoch stays on the calling thread, which holds the device's context.
    pub(super) fn run_epoch_until(
        &mut self,
        progress: &mut (dyn FnMut(&Progress) + Send),
        stop: Option<&AtomicBool>,
    ) -> Result<Option<EpochRecord>> {
        if self.vae.device.is_cpu() {
            rayon::scope(|_| self.run_epoch_here(progress, stop))
        } else {
            self.run_epoch_here(progress, stop)
        }
    }

    /// [`Trainer::run_epoch_until`] on the thread it is called on.
    fn run_epoch_here(
        &mut self,
        progress: &mut (dyn FnMut(&Progress) + Send),
        stop: Option<&AtomicBool>,
    ) -> Result<Option<EpochRecord>> {
        let epoch = self.epochs_done + 1;
        if let Some(averaging) = &mut self.averaging {
            averaging.begin_epoch(&self.trainable)?;
        }
        let rows = match self.config.sampling {
            RowSampling::Uniform => {
                self.train_rows.shuffle(self.noise.rng());
                std::mem::take(&mut self.train_rows)
            }
            RowSampling::Weighted => draw_by_weight(
                &self.train_rows,
                self.data.weights().unwrap_or_default(),
                self.train_rows.len(),
                self.noise.rng(),
            ),
        };
        let bounds = minibatch_bounds(
            rows.len(),
            self.config.batch_size,
            self.vae.config.norm == Norm::Batch,
        );
        let epoch_kl_weight = kl_weight(&self.config, self.epochs_done, self.steps_done);
        self.optimizer
            .set_learning_rate(self.config.learning_rate_at(self.epochs_done));
        let mut sums = Losses::default();
        let mut weight_total = 0.0;
        let mut pending = PendingLosses::new(&self.vae.device);
        let result = (|| {
            for (index, &(start, end)) in bounds.iter().enumerate() {
                let step_kl_weight = kl_weight(&self.config, self.epochs_done, self.steps_done);
                if self.steps_done < self.config.lr_warmup_steps {
                    self.optimizer.set_learning_rate(
                        self.config
                            .learning_rate_at_step(self.epochs_done, self.steps_done),
                    );
                }
                let ((mut grads, factored), terms) =
                    self.train_step(&rows[start..end], step_kl_weight)?;
                // the losses of this step and the unread ones before it (`readback`)
                let read = if pending.push(terms, index + 1 == bounds.len()) {
                    pending.read()?
                } else {
                    Vec::new()
                };
                let first_step = index + 2 - read.len().max(1);
                if let Some(n) = read.iter().position(|(l, _)| !l.total.is_finite()) {
                    return Err(self.diverged(epoch, first_step + n, read[n].0.total));
                }
                if let Some(clip) = self.config.grad_clip {
                    clip_gradients(&self.trainable, &mut grads, clip)?;
                }
                self.optimizer.step(&grads, &factored)?;
                self.steps_done += 1;
                for (n, (losses, rows_weight)) in read.iter().enumerate() {
                    sums.accumulate(losses, *rows_weight);
                    weight_total += rows_weight;
                    progress(&Progress::Step {
                        epoch,
                        step: first_step + n,
                        steps_per_epoch: bounds.len(),
                        losses,
                    });
                }
                if stop.is_some_and(|stop| stop.load(Ordering::Relaxed)) {
                    return Ok(false);
                }
            }
            Ok(true)
        })();
        if self.config.sampling == RowSampling::Uniform {
            self.train_rows = rows;
        }
        if !result? {
            return Ok(None);
        }
        if let Some(averaging) = &mut self.averaging {
            averaging.end_epoch(&self.trainable, self.resumable)?;
        }
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
        Ok(Some(record))
    }

    /// Losses on the validation rows in evaluation mode (None without validation rows).
    fn validate(&mut self) -> Result<Option<Losses>> {
        if self.validation_rows.is_empty() {
            return Ok(None);
        }
        let mut noise = Noise::new(self.config.seed.wrapping_add(VALIDATION_SEED_OFFSET));
        let rows = std::mem::take(&mut self.validation_rows);
        let result = (|| {
            let mut sums = Losses::default();
            let mut weight_total = 0.0;
            let regularizer = self.regularization()?.map_or(Ok(0.0), |r| scalar(&r))?;
            let settings = LossSettings {
                library_scales: self.library_weight_scales.as_ref(),
                kl_weight: self.config.beta,
                factored_gradients: false,
                encoder_inputs: self.encoder_inputs.as_deref(),
            };
            // Chunks on the pool, each with its own noise seeded from the validation stream
            // in chunk order, summed in chunk order: the same on any number of threads.
            let size = self.config.batch_size.max(256);
            let seeds: Vec<u64> = rows.chunks(size).map(|_| noise.rng().next_u64()).collect();
            let (vae, data) = (&*self.vae, &self.data);
            let evaluate = |(chunk, seed): (&[usize], u64)| {
                let inputs = settings.encoder_inputs;
                let batch = vae.assemble_from(data, chunk, &mut Buffers::default(), inputs)?;
                let rows_weight = batch.divisor();
                let mut noise = Noise::new(seed);
                let terms = terms(vae, &batch, &settings, rows_weight, &mut noise, None)?;
                Ok((terms.recon, terms.kl, rows_weight))
            };
            // on a GPU the chunks stay on the calling thread, their losses read at once
            let parts: Vec<(Tensor, Tensor, f64)> = if vae.device.is_cpu() {
                rows.par_chunks(size)
                    .zip(seeds)
                    .map(evaluate)
                    .collect::<Result<_>>()?
            } else {
                rows.chunks(size)
                    .zip(seeds)
                    .map(evaluate)
                    .collect::<Result<_>>()?
            };
            let tensors: Vec<&Tensor> = parts.iter().flat_map(|(r, k, _)| [r, k]).collect();
            let values = read_scalars(&tensors)?;
            for (recon_kl, (_, _, rows_weight)) in values.chunks(2).zip(&parts) {
                let losses = Losses::new(recon_kl[0], recon_kl[1], settings.kl_weight, regularizer);
                sums.accumulate(&losses, *rows_weight);
                weight_total += rows_weight;
            }
            Ok(sums.averaged(weight_total))
        })();
        self.validation_rows = rows;
        result.map(Some)
    }

    /// Forward and backward of the training minibatch `rows` ([`shards::step`]) plus the
    /// gradient of the once-per-minibatch terms ([`Trainer::regularization`]): the gradients
    /// of the minimised loss and its terms, to be read ([`PendingLosses`]).
    fn train_step(&mut self, rows: &[usize], kl_weight: f64) -> Result<(Gradients, StepTerms)> {
        let settings = LossSettings {
            library_scales: self.library_weight_scales.as_ref(),
            kl_weight,
            // clipping needs every gradient's norm
            factored_gradients: self.config.grad_clip.is_none(),
            encoder_inputs: self.encoder_inputs.as_deref(),
        };
        // drawn by weight, each draw counts once
        let data = match self.config.sampling {
            RowSampling::Uniform => self.data,
            RowSampling::Weighted => self.data.without_weights(),
        };
        let step = shards::step(
            self.vae,
            &data,
            rows,
            &settings,
            &mut self.noise,
            &self.trainable,
            self.reduce.as_ref(),
        )?;
        let (mut grads, mut factored) = (step.grads, step.factored);
        let mut regularizer = 0.0;
        if let Some(regularization) = self.regularization()? {
            regularizer = scalar(&regularization)?;
            if regularization.track_op() {
                for gradient in factored.drain(..) {
                    grads.insert(&gradient.weight, gradient.dense()?);
                }
                add_gradients(&mut grads, &regularization.backward()?, &self.trainable)?;
            }
        }
        let terms = StepTerms {
            recon: step.recon,
            kl: step.kl,
            kl_weight,
            regularizer,
            rows_weight: step.divisor,
        };
        Ok(((grads, factored), terms))
    }

    /// The loss terms taken once per minibatch, not per shard: the L1/L2 penalty on the
    /// weights (detached, a value only, when the optimiser adds the L2 gradient itself) and
    /// a Bayesian decoder's weight KL; `None` without either.
    fn regularization(&self) -> Result<Option<Tensor>> {
        let mut penalised = self.vae.penalised();
        if self.l2_in_optimizer {
            penalised = penalised.iter().map(Tensor::detach).collect();
        }
        let mut total = penalty(&penalised, self.config.l1, self.config.l2)?;
        // EVE (`VAE_model.loss_function`): the decoder weights' KL once per data set, so
        // divided by N_eff next to a loss that is a mean over rows.
        if let Some(weight_kl) = self.vae.decoder.weight_kl()? {
            let weight_kl = (weight_kl / self.n_eff)?;
            total = Some(match total {
                Some(penalty) => (penalty + weight_kl)?,
                None => weight_kl,
            });
        }
        Ok(total)
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

/// A scalar tensor's value.
fn scalar(value: &Tensor) -> Result<f64> {
    Ok(f64::from(value.to_scalar::<f32>()?))
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
