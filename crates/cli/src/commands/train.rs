//! `vaebio train`: featurize, train, save the model directory.

use anyhow::Result;

use crate::cli::TrainArgs;
use crate::fit::save;
use crate::pipeline::train;
use crate::progress::summarize;

/// Runs `vaebio train`.
pub fn run(args: TrainArgs, quiet: bool) -> Result<()> {
    if let Some(dir) = &args.resume {
        return crate::faults::resume(&args, dir, quiet);
    }
    if args.ensemble != 1 {
        return crate::ensemble::train(&args, quiet);
    }
    let trained = train(&args.input, &args.model, Some(&args.output), quiet)?;
    save(&trained.vae, &trained.history, &args.output)?;
    if trained.labels.is_some() {
        trained.report(&trained.encode()?, quiet)?;
    }
    trained.write_pca(&args.model)?;
    summarize(
        &[format!("model written to {}", args.output.display())],
        quiet,
    );
    Ok(())
}
