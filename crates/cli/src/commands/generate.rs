//! `vaebio generate`: decode draws from the prior of a saved model.

use anyhow::Result;

use crate::cli::GenerateArgs;
use crate::commands::BadInput;
use crate::model_dir::open_model;
use crate::output::write_table;

/// Runs `vaebio generate`.
pub fn run(args: GenerateArgs) -> Result<()> {
    if args.n_samples == 0 {
        return Err(BadInput("-n 0 draws nothing — ask for at least one sample".into()).into());
    }
    let (vae, _) = open_model(&args.model, "cpu")?;
    let samples = vae.generate(args.n_samples, args.seed, None)?;
    let rows = (1..=args.n_samples).map(|i| format!("sample{i}")).collect();
    write_table(
        &args.output,
        rows,
        vae.metadata().feature_names.clone(),
        samples,
    )
}
