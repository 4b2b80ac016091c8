//! The steps every command shares: read the input with a progress bar and report what was
//! read; for a saved model, read it featurized as in training; for `train` and `embed`, read,
//! check the covariates and train.

use std::path::Path;

use anyhow::Result;
use vaebio_io::Featurization;
use vaebio_model::{DenseMatrix, History, Vae};

use crate::cli::{InputArgs, ModelArgs};
use crate::covariate::Covariate;
use crate::extra_covariates::ExtraCovariates;
use crate::fit::{Conditions, fit, read_labels, report_labels};
use crate::load::{Loaded, align_features, load, load_like};
use crate::output::{check_pca_components, write_pca};
use crate::progress::{reading_bar, summarize};

/// Reads and featurizes the input (weights and imputation seeded with `seed`) behind a
/// progress bar, then prints what was read and skipped.
pub fn read(input: &InputArgs, seed: u64, quiet: bool) -> Result<Loaded> {
    let bar = reading_bar(quiet);
    let loaded = load(input, seed, &bar);
    bar.finish_and_clear();
    let loaded = loaded?;
    summarize(&loaded.summary, quiet);
    Ok(loaded)
}

/// Reads the input featurized as `vae` was trained (`featurization`, from its directory),
/// with its features in the model's order.
pub fn read_for_model(
    input: &InputArgs,
    vae: &Vae,
    featurization: &Featurization,
    quiet: bool,
) -> Result<Loaded> {
    let bar = reading_bar(quiet);
    let names = &vae.metadata().feature_names;
    let loaded = load_like(input, featurization, names, vae.config().seed, &bar);
    bar.finish_and_clear();
    let mut loaded = loaded?;
    summarize(&loaded.summary, quiet);
    let padded = align_features(&mut loaded, names, input.source().path())?;
    summarize(padded.as_slice(), quiet);
    Ok(loaded)
}

/// A model trained on the input, with what it was trained on.
pub struct Trained {
    /// The featurized input.
    pub loaded: Loaded,
    /// `--batch`, joined on the input's rows.
    pub batch: Option<Covariate>,
    /// `--labels`, joined on the input's rows.
    pub labels: Option<Covariate>,
    /// The trained model.
    pub vae: Vae,
    /// Its per-epoch losses.
    pub history: History,
}

/// `train` and `embed`: check the device, read the input and its covariates (so a bad
/// table fails before an epoch), then train with the recipe and flags. A failed or
/// interrupted run is explained, and what it learnt is kept in `save_to` when given.
pub fn train(
    input: &InputArgs,
    model: &ModelArgs,
    save_to: Option<&Path>,
    quiet: bool,
) -> Result<Trained> {
    // Checked first, so an unavailable device fails before any work.
    let device = vaebio_model::device(&model.device)?;
    let loaded = read(input, model.seed, quiet)?;
    let batch = Covariate::from_args(input.options.batch.as_deref(), &loaded.matrix)?;
    let covariates = ExtraCovariates::from_args(
        input.options.covariates.as_deref(),
        loaded.matrix.row_names(),
    )?;
    let labels = read_labels(&input.options, &loaded)?;
    check_pca_components(model, &loaded.matrix)?;
    let conditions = Conditions {
        batch: batch.as_ref(),
        covariates: covariates.as_ref(),
    };
    let (vae, history) = fit(
        &loaded,
        conditions,
        model,
        &device,
        save_to.is_some(),
        quiet,
    )
    .map_err(|e| crate::faults::explain(e, &loaded, input.source().path(), save_to))?;
    // A `--backed` read that failed where it could not be reported (the weight fits).
    loaded.matrix.check_reads()?;
    Ok(Trained {
        loaded,
        batch,
        labels,
        vae,
        history,
    })
}

impl Trained {
    /// The latent means of the training input.
    pub fn encode(&self) -> Result<DenseMatrix> {
        Ok(self.vae.encode(&self.loaded.matrix)?.mean)
    }

    /// Prints how well `latent` separates `--labels` (and mixes `--batch`).
    pub fn report(&self, latent: &DenseMatrix, quiet: bool) -> Result<()> {
        report_labels(latent, self.labels.as_ref(), self.batch.as_ref(), quiet)
    }

    /// `--pca FILE`: PCA scores of the same features, as many components as the latent
    /// unless `--pca-components` says otherwise.
    pub fn write_pca(&self, model: &ModelArgs) -> Result<()> {
        let config = self.vae.config();
        write_pca(model, &self.loaded.matrix, config.latent, config.likelihood)
    }
}
