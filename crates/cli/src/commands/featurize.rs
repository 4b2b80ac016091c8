//! `vaebio featurize`: the feature matrix alone.

use anyhow::Result;

use crate::cli::FeaturizeArgs;
use crate::load::load;
use crate::output::write_matrix;
use crate::progress::{spinner, summarize};

/// Runs `vaebio featurize`.
pub fn run(args: FeaturizeArgs, quiet: bool) -> Result<()> {
    let bar = spinner("featurizing", quiet);
    let loaded = load(&args.input, 0);
    bar.finish_and_clear();
    let loaded = loaded?;
    write_matrix(&args.output, &loaded.matrix)?;
    summarize(&loaded.summary, quiet);
    Ok(())
}
