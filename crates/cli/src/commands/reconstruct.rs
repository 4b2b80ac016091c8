//! `vaebio reconstruct`: expected values of the input under a saved model (for counts the
//! normalised expression), optionally decoded as if from another batch or with another value
//! of an extra covariate.

use anyhow::Result;

use crate::cli::ReconstructArgs;
use crate::commands::BadInput;
use crate::covariate::Covariate;
use crate::extra_covariates::ExtraCovariates;
use crate::model_dir::open_model;
use crate::output::{Provenance, write_expression};
use crate::pipeline::read_for_model;

/// Runs `vaebio reconstruct`.
pub fn run(args: ReconstructArgs, quiet: bool) -> Result<()> {
    let (vae, featurization) = open_model(&args.model, "cpu")?;
    let loaded = read_for_model(&args.input, &vae, &featurization, quiet)?;
    let batch_names = &vae.metadata().batch_names;
    let transform = match &args.transform_batch {
        None => None,
        Some(name) => Some(batch_index(batch_names, name)?),
    };
    let batch = match Covariate::from_args(args.input.options.batch.as_deref(), &loaded.matrix)? {
        Some(batch) => Some(batch.recode(batch_names)?),
        None if vae.config().uses_batches() && transform.is_none() => {
            return Err(BadInput(
                "the model was trained with --batch: give --batch for this input, or --transform-batch NAME"
                    .into(),
            )
            .into());
        }
        None => None,
    };
    let mut covariates = ExtraCovariates::for_model(
        args.input.options.covariates.as_deref(),
        loaded.matrix.row_names(),
        vae.metadata(),
    )?;
    for assignment in &args.transform_covariate {
        let Some(covariates) = covariates.as_mut() else {
            return Err(BadInput(format!(
                "--transform-covariate {assignment}: the model was trained without --covariates"
            ))
            .into());
        };
        covariates.set_everywhere(assignment)?;
    }
    let data = loaded.dataset(
        batch.as_ref().map(|b| b.codes.as_slice()),
        covariates.as_ref(),
    )?;
    let values = vae.reconstruct(&data, transform)?;
    let provenance = Provenance {
        command: "reconstruct",
        input: &args.input,
        config: vae.config(),
        featurization: &featurization,
        history: None,
        model_dir: Some(&args.model),
    };
    write_expression(
        &args.output,
        loaded.matrix.row_names().to_vec(),
        loaded.matrix.col_names().to_vec(),
        values,
        &provenance,
        quiet,
    )
}

fn batch_index(names: &[String], name: &str) -> Result<u32> {
    if names.is_empty() {
        return Err(BadInput(format!(
            "--transform-batch {name}: the model was trained without --batch"
        ))
        .into());
    }
    names
        .iter()
        .position(|n| n == name)
        .map(|i| i as u32)
        .ok_or_else(|| {
            BadInput(format!(
                "--transform-batch {name}: not a batch of this model — use one of {}",
                names.join(", ")
            ))
            .into()
        })
}
