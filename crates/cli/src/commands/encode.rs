//! `vaebio encode`: latent means of new input under a saved model.

use anyhow::Result;

use crate::cli::EncodeArgs;
use crate::model_dir::open_model;
use crate::output::{latent_names, write_table};
use crate::pipeline::read_for_model;

/// Runs `vaebio encode`.
pub fn run(args: EncodeArgs, quiet: bool) -> Result<()> {
    let (vae, featurization) = open_model(&args.model, &args.device)?;
    let loaded = read_for_model(&args.input, &vae, &featurization, quiet)?;
    let posterior = vae.encode(&loaded.matrix)?;
    write_table(
        &args.output,
        loaded.matrix.row_names().to_vec(),
        latent_names(vae.config().latent),
        posterior.mean,
    )
}
