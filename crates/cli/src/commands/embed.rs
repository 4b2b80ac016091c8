//! `vaebio embed`: featurize, train and write the latent means in one step.

use anyhow::Result;

use crate::cli::EmbedArgs;
use crate::fit::save;
use crate::output::{latent_names, write_table};
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
    write_table(
        &args.output,
        trained.loaded.matrix.row_names().to_vec(),
        latent_names(trained.vae.config().latent),
        latent,
    )
}
