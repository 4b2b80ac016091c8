//! Training shared by `train` and `embed`: configure from the recipe, train with a progress
//! bar, and keep what a later `encode` needs in the model's metadata.

use std::path::Path;

use anyhow::{Context, Result};
use vaebio_model::{DenseMatrix, Device, History, RowSource, Vae};

use crate::cli::{FeatureOptions, ModelArgs};
use crate::commands::evaluate::Report;
use crate::covariate::Covariate;
use crate::extra_covariates::ExtraCovariates;
use crate::load::Loaded;
use crate::progress::{TrainingBar, summarize};
use crate::recipe;

/// What the decoder is conditioned on: the batch and the extra covariates, when given.
#[derive(Clone, Copy, Default)]
pub struct Conditions<'a> {
    /// `--batch`.
    pub batch: Option<&'a Covariate>,
    /// `--covariates` / `--covariate-keys`.
    pub covariates: Option<&'a ExtraCovariates>,
}

/// Trains a model on `loaded` under `conditions` (batch and extra covariates); `resumable`
/// when a stopped run will be saved to resume ([`crate::faults::train`]).
pub fn fit(
    loaded: &Loaded,
    conditions: Conditions,
    args: &ModelArgs,
    device: &Device,
    resumable: bool,
    quiet: bool,
) -> Result<(Vae, History)> {
    let Conditions { batch, covariates } = conditions;
    let n_batches = batch.map_or(0, |b| b.names.len());
    let (mut vae_config, train_config) = recipe::configure(loaded, args, n_batches)?;
    if let Some(covariates) = covariates {
        vae_config.covariate_categories = covariates.category_counts();
        vae_config.n_continuous = covariates.continuous.len();
    }
    crate::faults::check_observations(loaded, &vae_config)?;
    let mut vae = Vae::new(vae_config, device)?;
    let metadata = vae.metadata_mut();
    metadata.feature_names = loaded.matrix.col_names().to_vec();
    metadata.batch_names = batch.map(|b| b.names.clone()).unwrap_or_default();
    if let Some(covariates) = covariates {
        covariates.store(metadata);
    }
    metadata.featurization = serde_json::to_value(&loaded.featurization)?;

    let data = loaded.dataset(batch.map(|b| b.codes.as_slice()), covariates)?;
    let bar = TrainingBar::new(train_config.epochs, quiet);
    let trained = crate::faults::train(vae, &data, &train_config, None, resumable, &bar);
    bar.finish();
    let (vae, history) = trained?;
    let last = history.epochs.last();
    summarize(
        &[
            format!(
                "trained {} epochs{}; final training loss {:.4}{}",
                history.epochs.len(),
                if history.stopped_early {
                    " (stopped early)"
                } else {
                    ""
                },
                last.map_or(f64::NAN, |r| r.train.total),
                last.and_then(|r| r.validation.as_ref())
                    .map(|v| format!(", validation {:.4}", v.total))
                    .unwrap_or_default()
            ),
            format!("training time: {}", bar.timing()),
        ],
        quiet,
    );
    Ok((vae, history))
}

/// Reads `--labels` (joined on the matrix's row names) before training, so a bad table
/// fails in microseconds rather than after an epoch.
pub fn read_labels(options: &FeatureOptions, loaded: &Loaded) -> Result<Option<Covariate>> {
    options
        .labels
        .as_ref()
        .map(|path| Covariate::from_spec(&path.to_string_lossy(), loaded.matrix.row_names()))
        .transpose()
}

/// Prints how well the latent means separate the labels (and mix the batches).
pub fn report_labels(
    latent: &DenseMatrix,
    labels: Option<&Covariate>,
    batch: Option<&Covariate>,
    quiet: bool,
) -> Result<()> {
    if let Some(labels) = labels {
        let report = Report::compute(latent.values(), latent.n_cols(), labels, batch, 15, 0)?;
        summarize(&[report.line()], quiet);
    }
    Ok(())
}

/// Saves the model and its training history (`history.tsv`) to `dir`.
pub fn save(vae: &Vae, history: &History, dir: &Path) -> Result<()> {
    vae.save(dir)
        .with_context(|| format!("saving the model to {}", dir.display()))?;
    write_history(history, dir)
}

/// Writes `history.tsv` (one line per epoch) into the model directory `dir`.
pub fn write_history(history: &History, dir: &Path) -> Result<()> {
    let path = dir.join("history.tsv");
    vaebio_fs::write_atomic(&path, |file| {
        writeln!(
            file,
            "epoch\tkl_weight\ttrain_recon\ttrain_kl\ttrain_regularizer\ttrain_total\tvalidation_recon\tvalidation_kl\tvalidation_total"
        )?;
        for record in &history.epochs {
            let t = &record.train;
            let (vr, vk, vt) = record
                .validation
                .as_ref()
                .map_or((f64::NAN, f64::NAN, f64::NAN), |v| (v.recon, v.kl, v.total));
            writeln!(
                file,
                "{}\t{}\t{}\t{}\t{}\t{}\t{vr}\t{vk}\t{vt}",
                record.epoch, record.kl_weight, t.recon, t.kl, t.regularizer, t.total
            )?;
        }
        Ok(())
    })
    .with_context(|| format!("{}: cannot write", path.display()))
}
