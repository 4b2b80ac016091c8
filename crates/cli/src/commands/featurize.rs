//! `vaebio featurize`: the feature matrix alone.

use anyhow::Result;

use crate::cli::FeaturizeArgs;
use crate::load::load;
use crate::output::write_matrix;
use crate::progress::{reading_bar, summarize};

/// Runs `vaebio featurize`.
pub fn run(args: FeaturizeArgs, quiet: bool) -> Result<()> {
    let bar = reading_bar(quiet);
    let loaded = load(&args.input, 0, &bar);
    bar.finish_and_clear();
    let loaded = loaded?;
    write_matrix(&args.output, &loaded.matrix)?;
    summarize(&loaded.summary, quiet);
    Ok(())
}
