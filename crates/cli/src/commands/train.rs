//! `vaebio train`: featurize, train, save the model directory.

use anyhow::Result;

use crate::cli::TrainArgs;
use crate::covariate::Covariate;
use crate::fit::{fit, read_labels, report_labels, save};
use crate::load::load;
use crate::output::write_pca;
use crate::progress::{reading_bar, summarize};
use crate::rows::Rows;

/// Runs `vaebio train`.
pub fn run(args: TrainArgs, quiet: bool) -> Result<()> {
    if let Some(dir) = &args.resume {
        return crate::faults::resume(&args, dir, quiet);
    }
    // Checked first, so an unavailable device fails before any work.
    let device = vaebio_model::device(&args.model.device)?;
    let bar = reading_bar(quiet);
    let loaded = load(&args.input, args.model.seed, &bar);
    bar.finish_and_clear();
    let loaded = loaded?;
    summarize(&loaded.summary, quiet);
    let batch = Covariate::from_args(args.input.options.batch.as_deref(), &loaded.matrix)?;
    let labels = read_labels(&args.input.options, &loaded)?;
    let (vae, history) =
        fit(&loaded, batch.as_ref(), &args.model, &device, quiet).map_err(|e| {
            crate::faults::explain(e, &loaded, args.input.source().path(), Some(&args.output))
        })?;
    save(&vae, &history, &args.output)?;
    if labels.is_some() {
        let posterior = vae.encode(&Rows(&loaded.matrix))?;
        report_labels(&posterior.mean, labels.as_ref(), batch.as_ref(), quiet)?;
    }
    if let Some(path) = &args.model.pca {
        let n_components = args.model.pca_components.unwrap_or(vae.config().latent);
        write_pca(path, &loaded.matrix, n_components, args.model.seed)?;
    }
    summarize(
        &[format!("model written to {}", args.output.display())],
        quiet,
    );
    Ok(())
}
