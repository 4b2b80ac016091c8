//! `vaebio featurize`: the feature matrix alone.

use anyhow::Result;

use crate::cli::FeaturizeArgs;
use crate::output::write_matrix;
use crate::pipeline::read;

/// Runs `vaebio featurize`.
pub fn run(args: FeaturizeArgs, quiet: bool) -> Result<()> {
    let loaded = read(&args.input, 0, quiet)?;
    write_matrix(&args.output, &loaded.matrix)
}
