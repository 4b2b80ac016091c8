//! `vaebio encode`: latent means of new input under a saved model.

use anyhow::Result;

use crate::cli::EncodeArgs;
use crate::model_dir::open_model;
use crate::output::{Provenance, write_latent};
use crate::pipeline::read_for_model;

/// Runs `vaebio encode`.
pub fn run(args: EncodeArgs, quiet: bool) -> Result<()> {
    let (vae, featurization) = open_model(&args.model, &args.device)?;
    let loaded = read_for_model(&args.input, &vae, &featurization, quiet)?;
    let posterior = vae.encode(&loaded.matrix)?;
    let provenance = Provenance {
        command: "encode",
        input: &args.input,
        config: vae.config(),
        featurization: &featurization,
        history: None,
        model_dir: Some(&args.model),
    };
    write_latent(
        &args.output,
        loaded.matrix.row_names().to_vec(),
        posterior.mean,
        &provenance,
        quiet,
    )
}
