//! The training entry points of [`Vae`]: the loop over epochs of a [`Trainer`], early
//! stopping and the best epoch's weights, and the rollback to the last completed epoch when a
//! run is stopped or diverges, with the state that lets it resume.

use std::sync::atomic::{AtomicBool, Ordering};

use candle_core::Tensor;

use crate::config::TrainConfig;
use crate::data::Dataset;
use crate::denormals::FlushToZero;
use crate::error::{Error, Result};
use crate::train::loss::Losses;
use crate::train::optim::AdamState;
use crate::train::resume::TrainState;
use crate::train::snapshot::Snapshot;
use crate::train::trainer::{History, Progress, Trainer};
use crate::vae::Vae;

/// How a [`Vae::train_resumable`] or [`Vae::train_stoppable`] run ended.
#[derive(Debug)]
pub enum TrainEnd {
    /// Every epoch ran, or early stopping ended training.
    Finished,
    /// The stop flag was raised; the model is back at the last completed epoch.
    Interrupted,
    /// The loss stopped being finite ([`Error::NonFiniteLoss`]); the model is back at the
    /// last completed epoch.
    Diverged(Error),
}

/// The result of [`Vae::train_resumable`] or [`Vae::train_stoppable`].
#[derive(Debug)]
pub struct Training {
    /// The epochs completed, resumed ones included.
    pub history: History,
    /// The state at the last completed epoch, which the model's weights are at (from
    /// [`Vae::train_stoppable`]: without the optimiser's moments, so it cannot be saved).
    pub state: TrainState,
    /// Why training ended.
    pub end: TrainEnd,
}

impl Vae {
    /// Train on `data` with `config`, calling `progress` after every step and epoch.
    ///
    /// Early stopping (if configured) monitors the validation rows' [`Losses::data`] (the
    /// training total without validation rows) and can restore the best epoch's weights. A
    /// non-finite loss is an [`Error::NonFiniteLoss`]; the model is then at the last
    /// completed epoch.
    pub fn train(
        &mut self,
        data: &Dataset,
        config: &TrainConfig,
        progress: impl FnMut(&Progress) + Send,
    ) -> Result<History> {
        let training = self.train_run(data, config, None, None, false, progress)?;
        match training.end {
            TrainEnd::Diverged(error) => Err(error),
            TrainEnd::Finished | TrainEnd::Interrupted => Ok(training.history),
        }
    }

    /// [`Vae::train`], continuing from `resume` (a state saved with this model and the same
    /// data) and checking `stop` after every step. When `stop` is raised or the loss stops
    /// being finite, the model goes back to the last completed epoch and the returned
    /// [`Training`] says so; its state can be saved ([`Vae::save_with_state`]) and resumed,
    /// giving the same weights as a run that never stopped (same device and threads).
    /// With `resume`, `config.epochs` is the total, epochs already run included. Subnormal
    /// floats are flushed to zero while it runs ([`FlushToZero`]).
    pub fn train_resumable(
        &mut self,
        data: &Dataset,
        config: &TrainConfig,
        resume: Option<TrainState>,
        stop: Option<&AtomicBool>,
        progress: impl FnMut(&Progress) + Send,
    ) -> Result<Training> {
        self.train_run(data, config, resume, stop, true, progress)
    }

    /// [`Vae::train_resumable`] from the start, for a run that will not be resumed: the same
    /// steps and weights, stopping and rolling back alike, but the optimiser's moments are not
    /// copied at every epoch boundary (two copies of the weights' size less in memory, and
    /// their copying time), so the returned state cannot be saved with
    /// [`Vae::save_with_state`].
    pub fn train_stoppable(
        &mut self,
        data: &Dataset,
        config: &TrainConfig,
        stop: Option<&AtomicBool>,
        progress: impl FnMut(&Progress) + Send,
    ) -> Result<Training> {
        self.train_run(data, config, None, stop, false, progress)
    }

    /// [`Vae::train_resumable`], keeping the optimiser's moments at each boundary only when
    /// `resumable`.
    fn train_run(
        &mut self,
        data: &Dataset,
        config: &TrainConfig,
        resume: Option<TrainState>,
        stop: Option<&AtomicBool>,
        resumable: bool,
        mut progress: impl FnMut(&Progress) + Send,
    ) -> Result<Training> {
        let _flushed = FlushToZero::on();
        let mut trainer = Trainer::new(self, *data, config)?;
        trainer.resumable = resumable;
        let (mut history, mut best, mut since_best, mut best_weights) = match &resume {
            Some(state) => {
                trainer.restore(state)?;
                (
                    state.info.history.clone(),
                    state.info.best_loss.unwrap_or(f64::INFINITY),
                    state.info.epochs_since_best,
                    state
                        .best_weights
                        .as_deref()
                        .map(Snapshot::from_values)
                        .transpose()?,
                )
            }
            None => (History::default(), f64::INFINITY, 0, None),
        };
        let restore_best = config.early_stopping.is_some_and(|s| s.restore_best);
        // Taken once, refreshed in place at every epoch boundary but those of a new best
        // epoch, whose state shares the best copy (one copy of the weights per boundary).
        let last_weights = Snapshot::take(trainer.vae)?;
        let mut last = trainer.state(
            &history,
            best,
            since_best,
            &last_weights,
            best_weights.as_ref(),
            AdamState::default(),
        )?;
        progress(&Progress::Fitted);
        let mut end = TrainEnd::Finished;
        while trainer.epochs_done < config.epochs && !history.stopped_early {
            if stop.is_some_and(|stop| stop.load(Ordering::Relaxed)) {
                end = TrainEnd::Interrupted;
                break;
            }
            let record = match trainer.run_epoch_until(&mut progress, stop) {
                Ok(Some(record)) => record,
                Ok(None) => {
                    end = TrainEnd::Interrupted;
                    break;
                }
                Err(error @ Error::NonFiniteLoss { .. }) => {
                    end = TrainEnd::Diverged(error);
                    break;
                }
                Err(error) => return Err(error),
            };
            // held out: the data's negative ELBO; the penalties on parameters would let a
            // Bayesian decoder's shrinking weight KL "improve" every epoch, whatever the fit
            let monitored = record
                .validation
                .as_ref()
                .map_or(record.train.total, Losses::data);
            let min_delta = config.early_stopping.map_or(0.0, |s| s.min_delta);
            let improved = monitored < best - min_delta;
            if improved {
                best = monitored;
                history.best_epoch = Some(record.epoch);
                since_best = 0;
                if restore_best {
                    match &best_weights {
                        Some(snapshot) => snapshot.refresh(trainer.vae)?,
                        None => best_weights = Some(Snapshot::take(trainer.vae)?),
                    }
                }
            } else {
                since_best += 1;
            }
            history.epochs.push(record);
            if config
                .early_stopping
                .is_some_and(|stop| since_best >= stop.patience)
            {
                history.stopped_early = true;
            }
            let optimizer = std::mem::take(&mut last.optimizer);
            // an epoch that became the best one: its weights are the fresh best copy
            let weights = match &best_weights {
                Some(snapshot) if improved && restore_best => snapshot,
                _ => {
                    last_weights.refresh(trainer.vae)?;
                    &last_weights
                }
            };
            last = trainer.state(
                &history,
                best,
                since_best,
                weights,
                best_weights.as_ref(),
                optimizer,
            )?;
        }
        drop(trainer);
        match end {
            TrainEnd::Finished => {
                if restore_best && let Some(weights) = &best_weights {
                    self.set_variables(&weights.values())?;
                    last.info.restored_best = true;
                }
            }
            TrainEnd::Interrupted | TrainEnd::Diverged(_) => self.set_variables(&last.weights)?,
        }
        last.info.history.clone_from(&history);
        Ok(Training {
            history,
            state: last,
            end,
        })
    }

    /// A copy of every variable's current value, by name.
    pub(crate) fn variables_copy(&self) -> Result<Vec<(String, Tensor)>> {
        self.named_variables()
            .into_iter()
            .map(|(name, var)| Ok((name, var.as_tensor().copy()?)))
            .collect()
    }

    /// Put back values taken with [`Vae::variables_copy`].
    fn set_variables(&self, values: &[(String, Tensor)]) -> Result<()> {
        for ((name, var), (saved_name, value)) in self.named_variables().iter().zip(values) {
            debug_assert_eq!(name, saved_name);
            var.set(value)?;
        }
        Ok(())
    }
}
