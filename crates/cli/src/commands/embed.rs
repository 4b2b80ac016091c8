//! `vaebio embed`: featurize, train and write the latent means in one step.

use anyhow::Result;

use crate::cli::EmbedArgs;
use crate::covariate::Covariate;
use crate::fit::{fit, read_labels, report_labels, save};
use crate::load::load;
use crate::output::{latent_names, write_pca, write_table};
use crate::progress::{reading_bar, summarize};
use crate::rows::Rows;

/// Runs `vaebio embed`.
pub fn run(args: EmbedArgs, quiet: bool) -> Result<()> {
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
            crate::faults::explain(
                e,
                &loaded,
                args.input.source().path(),
                args.save_model.as_deref(),
            )
        })?;
    let posterior = vae.encode(&Rows(&loaded.matrix))?;
    report_labels(&posterior.mean, labels.as_ref(), batch.as_ref(), quiet)?;
    if let Some(dir) = &args.save_model {
        save(&vae, &history, dir)?;
    }
    if let Some(path) = &args.model.pca {
        let n_components = args.model.pca_components.unwrap_or(vae.config().latent);
        write_pca(path, &loaded.matrix, n_components, args.model.seed)?;
    }
    write_table(
        &args.output,
        loaded.matrix.row_names().to_vec(),
        latent_names(vae.config().latent),
        posterior.mean,
    )
}
