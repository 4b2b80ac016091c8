//! The model: encoder, decoder, fitted input normalisation and descriptive metadata.

use std::convert::Infallible;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use crate::allele_frequency::AlleleFrequencies;
use crate::config::{TrainConfig, VaeConfig};
use crate::data::{Dataset, RowSource};
use crate::error::{Error, Result};
use crate::input_axes::InputAxes;
use crate::likelihood::Likelihood;
use crate::minibatch::{Minibatch, observed_only};
use crate::nn::decoder::Decoder;
use crate::nn::encoder::Encoder;
use crate::nn::init::SeededVarMap;
use crate::shrinkage::SiteShrinkage;

/// Rows per chunk when scanning or running inference over a whole data set.
pub(crate) const CHUNK_ROWS: usize = 1024;
/// Values per parallel block of [`Vae::check_data`] (4 MB of f32 per thread).
const CHECK_VALUES: usize = 1 << 20;
/// Values per chunk of inference over the rows of wide data (16 MB of f32 per copy).
const CHUNK_VALUES: usize = 1 << 22;

/// Rows per chunk of inference over rows of `n_cols` values: [`CHUNK_ROWS`], fewer for wide
/// rows (2,000 genotypes × 200,000 sites: 20), so that a chunk's copies in flight stay small.
pub(crate) fn chunk_rows(n_cols: usize) -> usize {
    (CHUNK_VALUES / n_cols.max(1)).clamp(1, CHUNK_ROWS)
}

/// Call `f` on consecutive chunks of row indices covering `0..n`, at most [`CHUNK_ROWS`]
/// each, in order; stops at the first error.
pub(crate) fn for_chunks<E>(
    n: usize,
    f: impl FnMut(&[usize]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    for_chunks_of(n, CHUNK_ROWS, f)
}

/// [`for_chunks`] with chunks of `chunk_rows` rows.
pub(crate) fn for_chunks_of<E>(
    n: usize,
    chunk_rows: usize,
    mut f: impl FnMut(&[usize]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut chunk = Vec::with_capacity(chunk_rows.min(n));
    let mut start = 0;
    while start < n {
        let end = (start + chunk_rows).min(n);
        chunk.clear();
        chunk.extend(start..end);
        f(&chunk)?;
        start = end;
    }
    Ok(())
}

/// `f` of consecutive chunks of row indices covering `0..n` (as [`for_chunks_of`], `chunk_rows` each), the chunks
/// run on rayon's pool when `parallel` (the CPU; a GPU's work stays on the calling thread) and
/// their results returned in order; the first error (in chunk order) is returned. What a
/// chunk gives must depend on its rows only (no shared random stream), so the results are
/// the same on any number of threads.
pub(crate) fn map_chunks_of<T: Send, E: Send>(
    n: usize,
    chunk_rows: usize,
    parallel: bool,
    f: impl Fn(&[usize]) -> std::result::Result<T, E> + Sync,
) -> std::result::Result<Vec<T>, E> {
    use rayon::prelude::*;
    let chunk = |i: usize| {
        let rows: Vec<usize> = (i * chunk_rows..((i + 1) * chunk_rows).min(n)).collect();
        f(&rows)
    };
    let chunks = 0..n.div_ceil(chunk_rows);
    if parallel {
        // every chunk's result, then the first error in chunk order (rayon's own collect into
        // a Result keeps whichever error a thread met first)
        let results: Vec<std::result::Result<T, E>> = chunks.into_par_iter().map(chunk).collect();
        results.into_iter().collect()
    } else {
        chunks.map(chunk).collect()
    }
}

/// Call `f` on consecutive chunks of `rows`: the chunk's row indices (as [`for_chunks`]) and
/// its values, row-major, read into one reused buffer; stops at the first error.
pub(crate) fn for_row_chunks<E>(
    rows: &dyn RowSource,
    mut f: impl FnMut(&[usize], &[f32]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let n_cols = rows.n_cols();
    let mut buffer = Vec::new();
    for_chunks(rows.n_rows(), |chunk| {
        buffer.resize(chunk.len() * n_cols, 0.0);
        rows.fill_rows(chunk, &mut buffer);
        f(chunk, &buffer)
    })
}

/// Mean and population standard deviation of every column of `rows`, read in chunks and
/// accumulated in f64 (the standard deviation from the sums of values and of squares).
pub(crate) fn column_moments(rows: &dyn RowSource) -> (Vec<f64>, Vec<f64>) {
    let n_cols = rows.n_cols();
    let n_rows = rows.n_rows();
    let mut sum = vec![0f64; n_cols];
    let mut sum_sq = vec![0f64; n_cols];
    let Ok(()) = for_row_chunks::<Infallible>(rows, |_, values| {
        for row in values.chunks_exact(n_cols) {
            for ((s, q), &v) in sum.iter_mut().zip(sum_sq.iter_mut()).zip(row) {
                let v = f64::from(v);
                *s += v;
                *q += v * v;
            }
        }
        Ok(())
    });
    let n = n_rows.max(1) as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let std = sum_sq
        .iter()
        .zip(&mean)
        .map(|(q, m)| (q / n - m * m).max(0.0).sqrt())
        .collect();
    (mean, std)
}

/// Per-feature z-scoring fitted on training rows (population standard deviation; a feature
/// with standard deviation 0 is divided by 1, as VAMB does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardization {
    /// Mean per feature.
    pub mean: Vec<f32>,
    /// Standard deviation per feature (never 0).
    pub std: Vec<f32>,
}

impl Standardization {
    /// Fit on every row of `rows`, in chunks, accumulating in f64.
    pub fn fit(rows: &dyn RowSource) -> Self {
        let (mean, std) = column_moments(rows);
        let mean = mean.iter().map(|&m| m as f32).collect();
        let std = std
            .iter()
            .map(|&s| {
                let std = s as f32;
                if std > 0.0 && std.is_finite() {
                    std
                } else {
                    1.0
                }
            })
            .collect();
        Self { mean, std }
    }

    /// z-score row-major `values` in place.
    pub fn apply(&self, values: &mut [f32]) {
        for row in values.chunks_exact_mut(self.mean.len()) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
    }

    /// Undo [`Standardization::apply`] in place.
    pub fn invert(&self, values: &mut [f32]) {
        for row in values.chunks_exact_mut(self.mean.len()) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = *v * s + m;
            }
        }
    }
}

/// What the model knows about its inputs besides the numbers, saved in the checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metadata {
    /// One name per input feature (may be empty).
    pub feature_names: Vec<String>,
    /// One name per batch category, index = category (may be empty).
    pub batch_names: Vec<String>,
    /// The extra categorical covariates, in the config's order: name and categories.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categorical_covariates: Vec<CategoricalCovariate>,
    /// The names of the continuous covariates, in the config's order (values are used as
    /// given, so nothing else is kept).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub continuous_covariates: Vec<String>,
    /// Whatever the caller needs to featurize new input the same way (opaque to the model).
    pub featurization: serde_json::Value,
}

/// An extra categorical covariate's name and categories (index = category), as trained.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CategoricalCovariate {
    /// The covariate's name (an obs column or table column).
    pub name: String,
    /// One name per category, index = category.
    pub categories: Vec<String>,
}

/// A variational autoencoder (Kingma & Welling) over rows of `n_features` values.
///
/// Weights live in a `VarMap` named by their `VarBuilder` paths (`encoder.layers.0.weight`,
/// `decoder.loc.bias`, …), which are also the tensor names in `model.safetensors`.
pub struct Vae {
    pub(crate) config: VaeConfig,
    pub(crate) device: Device,
    pub(crate) varmap: VarMap,
    pub(crate) encoder: Encoder,
    pub(crate) decoder: Decoder,
    pub(crate) standardization: Option<Standardization>,
    /// Allele frequencies fitted for [`crate::config::InputTransform::AlleleFrequency`] on the training rows.
    pub(crate) allele_frequencies: Option<AlleleFrequencies>,
    /// Principal axes fitted for [`crate::config::InputTransform::PrincipalAxes`].
    pub(crate) input_axes: Option<InputAxes>,
    pub(crate) metadata: Metadata,
    pub(crate) train_config: Option<TrainConfig>,
    /// Per-feature weights fitted for `gene_weight_power` / `gene_weight_neighbours` on the
    /// training rows.
    pub(crate) gene_weights: Option<Vec<f32>>,
    /// Per-feature reconstruction weights, [n_features]: `feature_groups` times
    /// `gene_weights`; `None` when every feature weighs 1.
    pub(crate) feature_weights: Option<Tensor>,
    /// The training rows' site model when [`VaeConfig::site_mixture`] (fitted for training,
    /// not saved).
    pub(crate) site_mixture: Option<SiteShrinkage>,
}

impl Vae {
    /// Build a model with weights initialised from `config.seed` (same seed ⇒ same weights).
    pub fn new(config: VaeConfig, device: &Device) -> Result<Self> {
        config.validate()?;
        let varmap = VarMap::new();
        let vb = SeededVarMap::builder(&varmap, config.seed, device);
        let encoder = Encoder::new(&config, vb.pp("encoder"))?;
        let decoder = Decoder::new(&config, vb.pp("decoder"))?;
        let feature_weights = loss_weights(&config, None, device)?;
        Ok(Self {
            config,
            device: device.clone(),
            varmap,
            encoder,
            decoder,
            standardization: None,
            allele_frequencies: None,
            input_axes: None,
            metadata: Metadata::default(),
            train_config: None,
            gene_weights: None,
            feature_weights,
            site_mixture: None,
        })
    }

    /// The per-gene reconstruction weights fitted for [`VaeConfig::gene_weight_power`] and
    /// [`VaeConfig::gene_weight_neighbours`], once trained (or loaded).
    pub fn gene_weights(&self) -> Option<&[f32]> {
        self.gene_weights.as_deref()
    }

    /// Use fitted per-gene `weights` (one per feature) in the reconstruction loss.
    pub(crate) fn set_gene_weights(&mut self, weights: Vec<f32>) -> Result<()> {
        self.feature_weights = loss_weights(&self.config, Some(&weights), &self.device)?;
        self.gene_weights = Some(weights);
        Ok(())
    }

    /// The model's configuration.
    pub fn config(&self) -> &VaeConfig {
        &self.config
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Feature names, batch names and the caller's featurization settings.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Set feature names, batch names and featurization settings (saved with the model).
    pub fn metadata_mut(&mut self) -> &mut Metadata {
        &mut self.metadata
    }

    /// The fitted input standardisation, if the config asks for one and it has been fitted.
    pub fn standardization(&self) -> Option<&Standardization> {
        self.standardization.as_ref()
    }

    /// The allele frequencies the encoder input is scaled by
    /// ([`crate::config::InputTransform::AlleleFrequency`]), once fitted.
    pub fn allele_frequencies(&self) -> Option<&AlleleFrequencies> {
        self.allele_frequencies.as_ref()
    }

    /// The principal axes the encoder reads ([`crate::config::InputTransform::PrincipalAxes`]),
    /// once fitted.
    pub fn input_axes(&self) -> Option<&InputAxes> {
        self.input_axes.as_ref()
    }

    /// The training settings of the last [`Vae::train`] call (or of the loaded checkpoint).
    pub fn train_config(&self) -> Option<&TrainConfig> {
        self.train_config.as_ref()
    }

    /// Every variable by name (sorted), including batch-norm running statistics.
    pub fn named_variables(&self) -> Vec<(String, Var)> {
        let vars = self.varmap.data().lock().unwrap_or_else(|e| e.into_inner());
        let mut named: Vec<(String, Var)> =
            vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        named
    }

    /// Check that `data` fits the model: column count, values in the likelihood's support
    /// (e.g. non-negative integer counts for nb), batch labels in range.
    pub fn check_data(&self, data: &Dataset) -> Result<()> {
        let n_cols = data.n_cols();
        if n_cols != self.config.n_features {
            return Err(Error::Data(format!(
                "{n_cols} features per row, the model has {} — select the same features as at training",
                self.config.n_features
            )));
        }
        if self.config.uses_batches() {
            let Some(batches) = data.batches() else {
                return Err(Error::Data(format!(
                    "the model has {} batch categories; give a batch label per row",
                    self.config.n_batches
                )));
            };
            if let Some(row) = batches
                .iter()
                .position(|&b| b as usize >= self.config.n_batches)
            {
                return Err(Error::Data(format!(
                    "row {}: batch label {} is not below the model's {} batch categories — check the batch column",
                    row + 1,
                    batches[row],
                    self.config.n_batches
                )));
            }
        }
        self.check_covariates(data)?;
        let trials = self.checked_trials(data)?;
        let check = |first: usize, values: &[f32]| {
            let likelihood = &self.config.likelihood;
            let Some(trials) = trials else {
                return likelihood.validate_data(values, n_cols, first);
            };
            let start = first * n_cols;
            let trials = &trials[start..start + values.len()];
            if trials.contains(&0) {
                // a call of 0 trials is not observed: its value is the encoder's fill, which
                // need not be a whole dosage
                likelihood.validate_data(&observed_only(values, trials), n_cols, first)?;
            } else {
                likelihood.validate_data(values, n_cols, first)?;
            }
            likelihood.validate_trials(values, trials, n_cols, first)
        };
        // Blocks of about a million values on rayon's pool (a CPU pass whatever the device):
        // the first bad value in row order is reported, as on one thread.
        let rows = data.rows();
        let block = (CHECK_VALUES / n_cols.max(1)).clamp(1, CHUNK_ROWS);
        map_chunks_of(rows.n_rows(), block, true, |chunk| {
            let mut values = vec![0.0; chunk.len() * n_cols];
            rows.fill_rows(chunk, &mut values);
            check(chunk[0], &values)
        })?;
        Ok(())
    }

    /// Check that `data` has the extra covariates the model was trained with: as many
    /// categorical ones, each category below the model's count, and as many continuous ones.
    pub(crate) fn check_covariates(&self, data: &Dataset) -> Result<()> {
        let counts = &self.config.covariate_categories;
        let categorical = data.categorical();
        if categorical.len() != counts.len() {
            return Err(Error::Data(format!(
                "{} categorical covariates given, the model has {} — give the covariates it was trained with",
                categorical.len(),
                counts.len()
            )));
        }
        for (k, (codes, &count)) in categorical.iter().zip(counts).enumerate() {
            if let Some(row) = codes.iter().position(|&c| c as usize >= count) {
                return Err(Error::Data(format!(
                    "row {}: category {} of categorical covariate {} is not below the model's {count} categories",
                    row + 1,
                    codes[row],
                    k + 1
                )));
            }
        }
        if data.continuous().len() != self.config.n_continuous {
            return Err(Error::Data(format!(
                "{} continuous covariates given, the model has {} — give the covariates it was trained with",
                data.continuous().len(),
                self.config.n_continuous
            )));
        }
        Ok(())
    }

    /// The dataset's per-value trials, when it has them and the likelihood is the binomial
    /// whose `trials` bound them; an error for per-value trials under another likelihood.
    fn checked_trials<'a>(&self, data: &Dataset<'a>) -> Result<Option<&'a [u8]>> {
        let Some(trials) = data.trials() else {
            return Ok(None);
        };
        let Likelihood::Binomial { trials: most } = self.config.likelihood else {
            return Err(Error::Data(format!(
                "per-value trials are for the binomial likelihood, not {} — train with the binomial or drop them",
                self.config.likelihood.name()
            )));
        };
        // 0 trials: a call left out of the likelihood (`--missing mask`)
        if let Some(at) = trials.iter().position(|&n| u32::from(n) > most) {
            let n_cols = data.n_cols();
            return Err(Error::Data(format!(
                "row {}, feature {}: {} trials, outside 0..={most} — set the binomial's trials to the largest ploidy",
                at / n_cols + 1,
                at % n_cols + 1,
                trials[at]
            )));
        }
        Ok(Some(trials))
    }

    /// The batch category tensor for `rows`: `transform_batch` for all, else each row's own.
    pub(crate) fn batch_tensor(
        &self,
        data: &Dataset,
        rows: &[usize],
        transform_batch: Option<u32>,
    ) -> Result<Option<Tensor>> {
        if !self.config.uses_batches() {
            return Ok(None);
        }
        let ids: Vec<u32> = match (transform_batch, data.batches()) {
            (Some(batch), _) => {
                if batch as usize >= self.config.n_batches {
                    return Err(Error::Data(format!(
                        "batch {batch} is not below the model's {} batch categories",
                        self.config.n_batches
                    )));
                }
                vec![batch; rows.len()]
            }
            (None, Some(batches)) => rows.iter().map(|&r| batches[r]).collect(),
            (None, None) => {
                return Err(Error::Data(format!(
                    "the model has {} batch categories; give a batch label per row",
                    self.config.n_batches
                )));
            }
        };
        Ok(Some(Tensor::from_vec(ids, rows.len(), &self.device)?))
    }

    /// log p(x | z) per row `[rows]`, each feature's term times its `feature_weights` if set
    /// (`feature_groups`, fitted gene weights).
    pub(crate) fn weighted_log_prob(
        &self,
        batch: &Minibatch,
        output: &crate::likelihood::DecoderOutput,
    ) -> Result<Tensor> {
        let likelihood = &self.config.likelihood;
        let exposure = batch.exposure();
        // the training mixture's terms, or the likelihood's, each times its feature weight
        let elements = match (&self.site_mixture, &self.feature_weights) {
            (None, None) => return likelihood.log_prob(&batch.target, output, exposure),
            (Some(mixture), _) => mixture.log_prob_elements(&batch.target, &output.loc)?,
            (None, Some(_)) => likelihood.log_prob_elements(&batch.target, output, exposure)?,
        };
        Ok(match &self.feature_weights {
            None => elements.sum(1)?,
            Some(weights) => elements.broadcast_mul(weights)?.sum(1)?,
        })
    }

    /// Blend one minibatch's batch-norm statistics (one per batch-norm layer, encoder then
    /// decoder, in forward order) into the running statistics.
    pub(crate) fn update_batch_norm(&self, moments: &[crate::nn::layer::Moments]) -> Result<()> {
        let layers = self.encoder.layers().iter().chain(self.decoder.layers());
        let normed = layers.filter(|layer| layer.has_batch_norm());
        for (layer, moments) in normed.zip(moments) {
            layer.update_running(moments)?;
        }
        Ok(())
    }

    /// Tensors whose L1/L2 penalty the loss includes.
    pub(crate) fn penalised(&self) -> Vec<Tensor> {
        let mut out = Vec::new();
        self.encoder.push_penalised(&mut out);
        self.decoder.push_penalised(&mut out);
        out
    }

    /// Undo the standardisation on decoded gaussian means.
    pub(crate) fn destandardize(&self, values: &mut [f32]) {
        if let Some(standardization) = &self.standardization {
            standardization.invert(values);
        }
    }

    /// f32 tensor → host vector.
    pub(crate) fn host(tensor: &Tensor) -> Result<Vec<f32>> {
        Ok(tensor
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?)
    }
}

/// Each feature's factor on its log-likelihood: its group's weight times its gene weight;
/// `None` when there are neither.
fn loss_weights(
    config: &VaeConfig,
    gene_weights: Option<&[f32]>,
    device: &Device,
) -> candle_core::Result<Option<Tensor>> {
    if config.feature_groups.is_empty() && gene_weights.is_none() {
        return Ok(None);
    }
    let mut weights = vec![1f32; config.n_features];
    let groups = config
        .feature_groups
        .iter()
        .flat_map(|g| std::iter::repeat_n(g.weight as f32, g.n_features));
    for (w, group) in weights.iter_mut().zip(groups) {
        *w = group;
    }
    for (w, gene) in weights.iter_mut().zip(gene_weights.unwrap_or_default()) {
        *w *= gene;
    }
    Tensor::from_vec(weights, config.n_features, device).map(Some)
}
