//! Resuming training exactly where it stopped: the state at an epoch boundary (optimiser
//! moments and step count, RNG position, row order, early-stopping bookkeeping, history)
//! and its place in a model directory.
//!
//! A model directory saved with a state holds, besides `model.safetensors` (the weights at
//! that boundary) and `config.json`, the file [`STATE_FILE`] (AdamW moments `adam.m.<name>`
//! and `adam.v.<name>`, the training and validation row order `rows.train` and
//! `rows.validation`, the best epoch's weights `best.<name>` when early stopping restores
//! them) and the `resume` object of config.json ([`ResumeInfo`]).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::checkpoint::CONFIG_FILE;
use crate::error::{Error, Result};
use crate::train::History;
use crate::train::optim::AdamState;
use crate::vae::Vae;

/// Name of the training-state file inside a model directory.
pub const STATE_FILE: &str = "train_state.safetensors";

/// The scalar part of a training state, stored as `resume` in config.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeInfo {
    /// Epochs completed.
    pub epochs_done: usize,
    /// Optimiser steps completed (drives a step-based KL warm-up).
    pub steps_done: usize,
    /// AdamW's step count (its bias correction).
    pub optimizer_step: u64,
    /// Position of the training RNG (ChaCha8 word position, decimal), seeded by the
    /// training config's seed.
    pub rng_word_pos: String,
    /// Rows of the data set trained on; a resumed run must give the same data.
    pub n_rows: usize,
    /// Lowest monitored loss so far (early stopping), if any epoch ran.
    pub best_loss: Option<f64>,
    /// Epochs since that best loss.
    pub epochs_since_best: usize,
    /// Early stopping put the best epoch's weights back at the end: the saved weights are not
    /// the last epoch's, so there is nothing to resume.
    pub restored_best: bool,
    /// The epochs run so far.
    pub history: History,
}

/// Everything needed to continue training bit-for-bit as if it had not stopped (on the same
/// device and thread count). Made by [`Vae::train_resumable`], saved with
/// [`Vae::save_with_state`], read back with [`TrainState::load`].
#[derive(Debug, Clone)]
pub struct TrainState {
    pub(crate) info: ResumeInfo,
    pub(crate) train_rows: Vec<u32>,
    pub(crate) validation_rows: Vec<u32>,
    pub(crate) optimizer: AdamState,
    /// Names of the optimised variables, in the order of the optimiser's moments.
    pub(crate) trainable: Vec<String>,
    /// Every model variable at this boundary (in memory only: on disk they are the weights
    /// file), to put back when a run is interrupted or diverges mid-epoch.
    pub(crate) weights: Vec<(String, Tensor)>,
    /// The best epoch's weights, kept when early stopping will restore them.
    pub(crate) best_weights: Option<Vec<(String, Tensor)>>,
    /// Whether it holds the optimiser's moments (not from [`Vae::train_stoppable`]), so that
    /// it can be saved and resumed.
    pub(crate) resumable: bool,
    /// With weights averaged over epochs, the optimised variables as trained (the model's
    /// weights being their average): what training goes on from.
    pub(crate) trained_weights: Option<Vec<(String, Tensor)>>,
}

impl TrainState {
    /// Epochs completed.
    pub fn epochs_done(&self) -> usize {
        self.info.epochs_done
    }

    /// The epochs run so far.
    pub fn history(&self) -> &History {
        &self.info.history
    }

    /// The scalar part, as stored in config.json.
    pub fn info(&self) -> &ResumeInfo {
        &self.info
    }

    /// Read the state saved in model directory `dir` for `vae` (loaded from the same
    /// directory with [`Vae::load`]).
    pub fn load(dir: impl AsRef<Path>, vae: &Vae) -> Result<Self> {
        let dir = dir.as_ref();
        let config_path = dir.join(CONFIG_FILE);
        let info = crate::checkpoint::read_config(&config_path)?
            .resume
            .ok_or_else(|| Error::Checkpoint {
                path: config_path.clone(),
                message: "holds no training state to resume — it was saved by `embed` or an older vaebio; train a new model instead".to_string(),
            })?;
        if info.restored_best {
            return Err(Error::Checkpoint {
                path: config_path,
                message: "training ended by early stopping with the best epoch's weights restored — there is nothing to resume".to_string(),
            });
        }
        let path = dir.join(STATE_FILE);
        let missing = |what: &str| Error::Checkpoint {
            path: path.clone(),
            message: format!(
                "{what} — the state file is incomplete; resume is not possible, retrain"
            ),
        };
        if !path.is_file() {
            return Err(missing("missing"));
        }
        let mut tensors =
            candle_core::safetensors::load(&path, &Device::Cpu).map_err(|e| Error::Checkpoint {
                path: path.clone(),
                message: format!(
                    "unreadable safetensors file ({e}) — resume is not possible, retrain"
                ),
            })?;
        let mut take_rows = |name: &str| -> Result<Vec<u32>> {
            match tensors.remove(name) {
                Some(rows) => Ok(rows.to_dtype(DType::U32)?.to_vec1::<u32>()?),
                None => Ok(Vec::new()),
            }
        };
        let train_rows = take_rows("rows.train")?;
        let validation_rows = take_rows("rows.validation")?;
        if train_rows.len() + validation_rows.len() != info.n_rows {
            return Err(missing("row order does not cover the data set"));
        }
        let trainable = trainable_names(vae);
        let weights = vae.variables_copy()?;
        let mut moments = Vec::with_capacity(trainable.len());
        for name in &trainable {
            let mut moment = |kind: &str| -> Result<Vec<f32>> {
                let tensor = tensors
                    .remove(&format!("adam.{kind}.{name}"))
                    .ok_or_else(|| missing(&format!("no optimizer moment `adam.{kind}.{name}`")))?;
                Ok(tensor.flatten_all()?.to_vec1::<f32>()?)
            };
            moments.push((moment("m")?, moment("v")?));
        }
        // the tensors saved as `{prefix}.{name}` for each of `names`, if any was saved so
        let device = vae.device.clone();
        let mut take_weights = |prefix: &str, what: &str, names: Vec<&String>| {
            if !tensors.keys().any(|k| k.starts_with(&format!("{prefix}."))) {
                return Ok(None);
            }
            names
                .into_iter()
                .map(|name| {
                    let key = format!("{prefix}.{name}");
                    let tensor = tensors
                        .remove(&key)
                        .ok_or_else(|| missing(&format!("no {what} `{key}`")))?;
                    Ok((name.clone(), tensor.to_device(&device)?))
                })
                .collect::<Result<Vec<_>>>()
                .map(Some)
        };
        let best_weights = take_weights(
            "best",
            "best weight",
            weights.iter().map(|(n, _)| n).collect(),
        )?;
        let trained_weights =
            take_weights("trained", "trained weight", trainable.iter().collect())?;
        Ok(Self {
            optimizer: AdamState {
                step: info.optimizer_step,
                moments,
            },
            info,
            train_rows,
            validation_rows,
            trainable,
            weights,
            best_weights,
            resumable: true,
            trained_weights,
        })
    }

    /// The tensors of [`STATE_FILE`].
    pub(crate) fn tensors(&self) -> Result<HashMap<String, Tensor>> {
        let cpu = Device::Cpu;
        let mut tensors = HashMap::new();
        for (kind, rows) in [
            ("train", &self.train_rows),
            ("validation", &self.validation_rows),
        ] {
            if !rows.is_empty() {
                tensors.insert(format!("rows.{kind}"), Tensor::new(rows.as_slice(), &cpu)?);
            }
        }
        for (name, (m, v)) in self.trainable.iter().zip(&self.optimizer.moments) {
            tensors.insert(format!("adam.m.{name}"), Tensor::new(m.as_slice(), &cpu)?);
            tensors.insert(format!("adam.v.{name}"), Tensor::new(v.as_slice(), &cpu)?);
        }
        for (prefix, weights) in [
            ("best", &self.best_weights),
            ("trained", &self.trained_weights),
        ] {
            for (name, tensor) in weights.iter().flatten() {
                tensors.insert(format!("{prefix}.{name}"), tensor.clone());
            }
        }
        Ok(tensors)
    }
}

/// Whether a variable is optimised (batch-norm running statistics are not).
pub(crate) fn is_trainable(name: &str) -> bool {
    !name.ends_with("running_mean") && !name.ends_with("running_var")
}

/// Names of the optimised variables, in the optimiser's order.
pub(crate) fn trainable_names(vae: &Vae) -> Vec<String> {
    vae.named_variables()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| is_trainable(name))
        .collect()
}
