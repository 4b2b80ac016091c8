//! `vaebio embed`: featurize, train and write the latent means in one step.

use anyhow::Result;

use crate::cli::EmbedArgs;
use crate::fit::save;
use crate::output::{Provenance, write_latent};
use crate::pipeline::train;

/// Runs `vaebio embed`.
pub fn run(args: EmbedArgs, quiet: bool) -> Result<()> {
    let trained = train(&args.input, &args.model, args.save_model.as_deref(), quiet)?;
    let latent = trained.encode()?;
    trained.report(&latent, quiet)?;
    if let Some(dir) = &args.save_model {
        save(&trained.vae, &trained.history, dir)?;
    }
    trained.write_pca(&args.model)?;
    let provenance = Provenance {
        command: "embed",
        input: &args.input,
        config: trained.vae.config(),
        featurization: &trained.loaded.featurization,
        history: Some(&trained.history),
        model_dir: args.save_model.as_deref(),
    };
    write_latent(
        &args.output,
        trained.loaded.matrix.row_names().to_vec(),
        latent,
        &provenance,
        quiet,
    )
}
