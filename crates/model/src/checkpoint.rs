//! Save and load a model directory: `model.safetensors` (tensor names are the `VarBuilder`
//! paths, e.g. `encoder.layers.0.weight`) and `config.json` (format version, configs,
//! feature and batch names, fitted standardisation, the caller's featurization settings).
//!
//! Writing goes to a temporary sibling directory that is renamed into place, so a crash never
//! leaves a half-written checkpoint under the final name.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};
use vaebio_fs::StagedDir;

use crate::allele_frequency::AlleleFrequencies;
use crate::config::{InputTransform, TrainConfig, VaeConfig};
use crate::error::{Error, Result};
use crate::input_axes::{AXES_TENSOR, InputAxes, MEAN_TENSOR};
use crate::train::resume::{ResumeInfo, STATE_FILE, TrainState};
use crate::vae::{Metadata, Standardization, Vae};

/// Name of the weights file inside a checkpoint directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Name of the settings file inside a checkpoint directory.
pub const CONFIG_FILE: &str = "config.json";
/// `format` value written to config.json.
pub const FORMAT: &str = "vaebio-model";
/// Checkpoint layout version written to config.json; loading accepts this version only.
pub const FORMAT_VERSION: u32 = 1;

/// The contents of config.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointConfig {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub version: u32,
    /// The model's shape, likelihood included.
    pub vae: VaeConfig,
    /// How it was trained, if it was.
    pub train: Option<TrainConfig>,
    /// Per-feature z-scoring fitted at training, if any.
    pub standardization: Option<Standardization>,
    /// Allele frequencies the encoder input of genotypes is scaled by
    /// ([`crate::config::InputTransform::AlleleFrequency`]), fitted at training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allele_frequencies: Option<AlleleFrequencies>,
    /// Per-gene reconstruction weights fitted at training (`gene_weight_power`, `gene_weight_neighbours`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gene_weights: Option<Vec<f32>>,
    /// Feature names, batch names and the caller's featurization settings.
    #[serde(flatten)]
    pub metadata: Metadata,
    /// Where training stopped, when the directory was saved with a training state
    /// ([`Vae::save_with_state`]); the rest of the state is in [`STATE_FILE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumeInfo>,
}

impl Vae {
    /// Write the model to directory `dir` (created; an existing checkpoint there is replaced).
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        self.save_checkpoint(dir.as_ref(), None)
    }

    /// Write the model and the training `state` it is at to directory `dir`, so that
    /// training can continue from it ([`TrainState::load`], [`Vae::train_resumable`]).
    /// The model's weights must be the state's (as `train_resumable` leaves them).
    /// A state from [`Vae::train_stoppable`] holds no optimiser moments: an error.
    pub fn save_with_state(&self, dir: impl AsRef<Path>, state: &TrainState) -> Result<()> {
        if !state.resumable {
            return Err(Error::Checkpoint {
                path: dir.as_ref().to_path_buf(),
                message: "the training state holds no optimiser moments (the run was not resumable) — train with `train_resumable` to save a state that can be resumed".to_string(),
            });
        }
        self.save_checkpoint(dir.as_ref(), Some(state))
    }

    fn save_checkpoint(&self, dir: &Path, state: Option<&TrainState>) -> Result<()> {
        let config = CheckpointConfig {
            format: FORMAT.to_string(),
            version: FORMAT_VERSION,
            vae: self.config.clone(),
            train: self.train_config.clone(),
            standardization: self.standardization.clone(),
            allele_frequencies: self.allele_frequencies.clone(),
            gene_weights: self.gene_weights.clone(),
            metadata: self.metadata.clone(),
            resume: state.map(|state| state.info().clone()),
        };
        let state_tensors = state.map(TrainState::tensors).transpose()?;
        let json = serde_json::to_string_pretty(&config).map_err(|e| Error::Checkpoint {
            path: dir.join(CONFIG_FILE),
            message: format!("cannot serialise the settings ({e})"),
        })?;
        let mut tensors: HashMap<String, Tensor> = self
            .named_variables()
            .into_iter()
            .map(|(name, var)| (name, var.as_tensor().clone()))
            .collect();
        if let Some(axes) = &self.input_axes {
            let sites = axes.mean().len();
            let k = axes.n_components();
            tensors.insert(
                MEAN_TENSOR.to_string(),
                Tensor::from_slice(axes.mean(), sites, &Device::Cpu)?,
            );
            tensors.insert(
                AXES_TENSOR.to_string(),
                Tensor::from_slice(axes.axes(), (sites, k), &Device::Cpu)?,
            );
        }

        check_replaceable(dir)?;
        let staged = StagedDir::create(dir).map_err(|e| io_error(dir, e))?;
        let temp = staged.path();
        write_tensors(&tensors, &temp.join(WEIGHTS_FILE))?;
        if let Some(state_tensors) = &state_tensors {
            write_tensors(state_tensors, &temp.join(STATE_FILE))?;
        }
        fs::write(temp.join(CONFIG_FILE), json).map_err(|e| io_error(temp, e))?;
        staged.commit().map_err(|e| io_error(dir, e))
    }

    /// Read a checkpoint directory written by [`Vae::save`] onto `device`.
    pub fn load(dir: impl AsRef<Path>, device: &Device) -> Result<Self> {
        let dir = dir.as_ref();
        let config_path = dir.join(CONFIG_FILE);
        let config = read_config(&config_path)?;
        let mut vae = Vae::new(config.vae, device)?;
        let weights_path = dir.join(WEIGHTS_FILE);
        if !weights_path.is_file() {
            return Err(Error::Checkpoint {
                path: weights_path,
                message: "missing — the directory is incomplete; save the model again".to_string(),
            });
        }
        let mut stored = candle_core::safetensors::load(&weights_path, device).map_err(|e| {
            Error::Checkpoint {
                path: weights_path.clone(),
                message: format!("unreadable safetensors file ({e})"),
            }
        })?;
        for (name, var) in vae.named_variables() {
            let tensor = take_tensor(&mut stored, &name, var.dims(), &weights_path)?;
            var.set(&tensor.to_dtype(var.dtype())?)?;
        }
        if vae.config.input_transform == InputTransform::PrincipalAxes {
            vae.input_axes = Some(read_input_axes(&mut stored, &vae.config, &weights_path)?);
        }
        if let Some(extra) = stored.keys().min() {
            return Err(Error::Checkpoint {
                path: weights_path,
                message: format!(
                    "unexpected tensor `{extra}` — config.json and the weights do not match"
                ),
            });
        }
        if let Some(standardization) = &config.standardization
            && (standardization.mean.len() != vae.config.n_features
                || standardization.std.len() != vae.config.n_features)
        {
            return Err(Error::Checkpoint {
                path: config_path,
                message: format!(
                    "standardization has {} means for {} features",
                    standardization.mean.len(),
                    vae.config.n_features
                ),
            });
        }
        if let Some(frequencies) = &config.allele_frequencies
            && (frequencies.frequency.len() != vae.config.n_features
                || frequencies
                    .frequency
                    .iter()
                    .any(|p| !(0.0..=1.0).contains(p)))
        {
            return Err(Error::Checkpoint {
                path: config_path,
                message: format!(
                    "allele_frequencies has {} frequencies for {} features, or one outside 0 to 1 — save the model again",
                    frequencies.frequency.len(),
                    vae.config.n_features
                ),
            });
        }
        if let Some(weights) = config.gene_weights {
            if weights.len() != vae.config.n_features
                || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
            {
                return Err(Error::Checkpoint {
                    path: config_path,
                    message: format!(
                        "gene_weights has {} weights for {} features, or one that is not a finite number ≥ 0 — save the model again",
                        weights.len(),
                        vae.config.n_features
                    ),
                });
            }
            vae.set_gene_weights(weights)?;
        }
        check_feature_names(&config.metadata.feature_names, vae.config.n_features).map_err(
            |message| Error::Checkpoint {
                path: config_path.clone(),
                message,
            },
        )?;
        vae.standardization = config.standardization;
        vae.allele_frequencies = config.allele_frequencies;
        vae.metadata = config.metadata;
        vae.train_config = config.train;
        Ok(vae)
    }
}

/// `feature_names` of a loaded config.json: none, or one distinct name per feature (new input
/// is matched to the model's features by name, so a repeated name would pick one column twice).
fn check_feature_names(names: &[String], n_features: usize) -> std::result::Result<(), String> {
    if names.is_empty() {
        return Ok(());
    }
    if names.len() != n_features {
        return Err(format!(
            "feature_names has {} names for {n_features} features — save the model again",
            names.len()
        ));
    }
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    match names.iter().find(|name| !seen.insert(name.as_str())) {
        Some(name) => Err(format!(
            "feature '{name}' is named twice in feature_names — save the model again"
        )),
        None => Ok(()),
    }
}

/// The stored tensor `name` (removed from `stored`), which config.json says has shape `dims`.
fn take_tensor(
    stored: &mut HashMap<String, Tensor>,
    name: &str,
    dims: &[usize],
    path: &Path,
) -> Result<Tensor> {
    let tensor = stored.remove(name).ok_or_else(|| Error::Checkpoint {
        path: path.to_path_buf(),
        message: format!("tensor `{name}` is missing — config.json and the weights do not match"),
    })?;
    if tensor.dims() != dims {
        return Err(Error::Checkpoint {
            path: path.to_path_buf(),
            message: format!(
                "tensor `{name}` has shape {:?}, config.json implies {dims:?}",
                tensor.dims()
            ),
        });
    }
    Ok(tensor)
}

/// The principal axes of a [`InputTransform::PrincipalAxes`] model from its stored tensors.
fn read_input_axes(
    stored: &mut HashMap<String, Tensor>,
    config: &VaeConfig,
    path: &Path,
) -> Result<InputAxes> {
    let shapes = [
        (MEAN_TENSOR, vec![config.n_features]),
        (
            AXES_TENSOR,
            vec![config.n_features, config.input_components],
        ),
    ];
    let mut parts = Vec::new();
    for (name, shape) in shapes {
        parts.push(
            take_tensor(stored, name, &shape, path)?
                .flatten_all()?
                .to_dtype(DType::F32)?
                .to_vec1::<f32>()?,
        );
    }
    let axes = parts.pop().unwrap_or_default();
    let mean = parts.pop().unwrap_or_default();
    InputAxes::from_parts(mean, axes, config.input_components).map_err(|e| Error::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Read and check the `config.json` at `path` (format and version).
pub(crate) fn read_config(path: &Path) -> Result<CheckpointConfig> {
    let text = fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Checkpoint {
            path: path.to_path_buf(),
            message: "missing — give a model directory written by `vaebio train` or `embed --save-model`".to_string(),
        },
        std::io::ErrorKind::InvalidData => Error::Checkpoint {
            path: path.to_path_buf(),
            message: "not a vaebio config.json (not UTF-8 text) — give a model directory written by vaebio".to_string(),
        },
        _ => io_error(path, e),
    })?;
    // Format and version first: a newer writer's fields would not parse here.
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Checkpoint {
        path: path.to_path_buf(),
        message: format!("line {}: {e} — is this a vaebio model directory?", e.line()),
    })?;
    let format = value.get("format").and_then(serde_json::Value::as_str);
    if format != Some(FORMAT) {
        return Err(Error::Checkpoint {
            path: path.to_path_buf(),
            message: format!(
                "format {} — this build reads `{FORMAT}` model directories; give one written by vaebio",
                format.map_or("missing".to_string(), |f| format!("`{f}`"))
            ),
        });
    }
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        let (writer, fix) = match version {
            Some(v) if v > u64::from(FORMAT_VERSION) => {
                ("a newer vaebio", "upgrade vaebio to read it")
            }
            _ => ("an older vaebio", "retrain with this vaebio"),
        };
        return Err(Error::Checkpoint {
            path: path.to_path_buf(),
            message: format!(
                "written by {writer} (format version {}); this build reads version {FORMAT_VERSION} — {fix}",
                version.map_or("missing".to_string(), |v| v.to_string())
            ),
        });
    }
    let config: CheckpointConfig =
        serde_json::from_value(value).map_err(|e| Error::Checkpoint {
            path: path.to_path_buf(),
            message: format!("{e} — the settings do not fit this vaebio; retrain the model"),
        })?;
    Ok(config)
}

/// Writes `tensors` as a safetensors file with the permissions the umask gives (the
/// safetensors crate's own writer goes through an owner-only temporary file); the whole
/// directory is renamed into place afterwards, so the file needs no atomic write of its own.
fn write_tensors(tensors: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    let bytes = safetensors::serialize(tensors, None).map_err(candle_core::Error::from)?;
    fs::write(path, bytes).map_err(|e| io_error(path, e))
}

/// A model directory may replace an existing model directory or an empty directory, never
/// a directory of other files.
fn check_replaceable(dir: &Path) -> Result<()> {
    if dir.file_name().is_none() {
        return Err(Error::Checkpoint {
            path: dir.to_path_buf(),
            message: "not a directory name — give a path such as `model/`".to_string(),
        });
    }
    if dir.is_dir()
        && !dir.join(CONFIG_FILE).exists()
        && fs::read_dir(dir)
            .map_err(|e| io_error(dir, e))?
            .next()
            .is_some()
    {
        return Err(Error::Checkpoint {
            path: dir.to_path_buf(),
            message: "exists and is not a vaebio model directory — choose another output path"
                .to_string(),
        });
    }
    Ok(())
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::{Likelihood, VaeConfig};

    /// A config.json whose feature names repeat one, or do not match the features, is refused
    /// naming the file (new input is matched to the features by name).
    #[test]
    fn feature_names_that_repeat_or_miscount_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut vae = Vae::new(VaeConfig::new(3, Likelihood::Bernoulli), &Device::Cpu).unwrap();
        vae.metadata.feature_names = vec!["a".into(), "b".into(), "c".into()];
        let model = dir.path().join("model");
        vae.save(&model).unwrap();
        assert!(Vae::load(&model, &Device::Cpu).is_ok());
        let json = fs::read_to_string(model.join(CONFIG_FILE)).unwrap();
        for (edited, expected) in [
            (json.replace("\"c\"", "\"a\""), "feature 'a' is named twice"),
            (
                json.replace("\"c\"", "\"b\", \"c\""),
                "feature_names has 4 names for 3",
            ),
        ] {
            fs::write(model.join(CONFIG_FILE), edited).unwrap();
            let error = Vae::load(&model, &Device::Cpu).err().unwrap().to_string();
            assert!(
                error.contains(CONFIG_FILE) && error.contains(expected),
                "{error}"
            );
        }
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn saved_files_get_the_permissions_the_umask_gives() {
        let dir = tempfile::tempdir().unwrap();
        // A file created the ordinary way shows what the umask allows.
        let reference = dir.path().join("reference");
        fs::write(&reference, b"x").unwrap();
        let vae = Vae::new(
            VaeConfig {
                hidden: vec![3],
                latent: 2,
                ..VaeConfig::new(
                    4,
                    Likelihood::Gaussian {
                        learned_variance: false,
                    },
                )
            },
            &Device::Cpu,
        )
        .unwrap();
        let model = dir.path().join("model");
        vae.save(&model).unwrap();
        for file in [WEIGHTS_FILE, CONFIG_FILE] {
            assert_eq!(mode(&model.join(file)), mode(&reference), "{file}");
        }
        fs::create_dir(dir.path().join("reference_dir")).unwrap();
        assert_eq!(mode(&model), mode(&dir.path().join("reference_dir")));
    }
}
