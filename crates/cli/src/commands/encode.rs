//! `vaebio encode`: latent means of new input under a saved model.

use anyhow::Result;

use crate::cli::EncodeArgs;
use crate::load::{align_features, load_like};
use crate::model_dir::open_model;
use crate::output::{latent_names, write_table};
use crate::progress::{reading_bar, summarize};
use crate::rows::Rows;

/// Runs `vaebio encode`.
pub fn run(args: EncodeArgs, quiet: bool) -> Result<()> {
    let (vae, featurization) = open_model(&args.model, &args.device)?;
    let bar = reading_bar(quiet);
    let loaded = load_like(&args.input, &featurization, vae.config().seed, &bar);
    bar.finish_and_clear();
    let mut loaded = loaded?;
    summarize(&loaded.summary, quiet);
    loaded.matrix = align_features(
        loaded.matrix,
        &vae.metadata().feature_names,
        args.input.source().path(),
    )?;
    let posterior = vae.encode(&Rows(&loaded.matrix))?;
    write_table(
        &args.output,
        loaded.matrix.row_names().to_vec(),
        latent_names(vae.config().latent),
        posterior.mean,
    )
}
