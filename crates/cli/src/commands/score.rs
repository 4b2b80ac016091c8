//! `vaebio score`: EVE-style mutation effects, ΔELBO = ELBO(mutant) − ELBO(wild type).

use std::path::Path;

use anyhow::{Context, Result};
use vaebio_io::Featurization;
use vaebio_model::{Dataset, DenseMatrix};

use crate::cli::ScoreArgs;
use crate::commands::BadInput;
use crate::load::read_msa;
use crate::model_dir::open_model;
use crate::output::write_table;

/// Runs `vaebio score`.
pub fn run(args: ScoreArgs) -> Result<()> {
    if args.samples == 0 {
        return Err(
            BadInput("--samples 0 averages nothing — use at least 1 (EVE: 200+)".into()).into(),
        );
    }
    let (vae, featurization) = open_model(&args.model, "cpu")?;
    let Featurization::Msa {
        max_gap_frac,
        theta,
        format,
    } = featurization
    else {
        return Err(BadInput(format!(
            "{}: this model was not trained on an alignment — train it with --msa",
            args.model.display()
        ))
        .into());
    };
    let alignment = read_msa(&args.msa, max_gap_frac, theta, format)?;
    if alignment.matrix.col_names() != vae.metadata().feature_names.as_slice() {
        return Err(BadInput(format!(
            "{}: its focus columns differ from the model's — score with the alignment the model was trained on",
            args.msa.display()
        ))
        .into());
    }
    let mutations = read_mutations(&args.mutations)?;
    let n_cols = alignment.matrix.n_cols();
    // Row 0: the wild type (the focus sequence, first row of the alignment); then mutants.
    let mut rows = vec![0.0f32; n_cols];
    alignment.matrix.fill_rows(&[0], &mut rows);
    for (line, text) in &mutations {
        let row = alignment
            .encode_mutant(text)
            .map_err(|e| BadInput(format!("{}:line {line}: {e}", args.mutations.display())))?;
        rows.extend(row);
    }
    let matrix = DenseMatrix::new(rows, mutations.len() + 1, n_cols)?;
    let elbo = vae.elbo(&Dataset::new(&matrix), args.samples, args.seed)?;
    let wild_type = elbo[0];
    let deltas: Vec<f32> = elbo[1..].iter().map(|e| e - wild_type).collect();
    write_table(
        &args.output,
        mutations.into_iter().map(|(_, text)| text).collect(),
        vec!["delta_elbo".to_string()],
        DenseMatrix::new(deltas.clone(), deltas.len(), 1)?,
    )
}

/// Mutation lines with their 1-based line numbers; `#` comments and blanks skipped, and a
/// header line `mutant`/`mutation` (as in ProteinGym tables) too. Only the first field of a
/// line (tab, comma or space separated) is read.
fn read_mutations(path: &Path) -> Result<Vec<(usize, String)>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        BadInput(format!(
            "{}: byte {} is not UTF-8 — write mutations as plain text like A23V",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    let mutations: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let field = line
                .split(['\t', ',', ' '])
                .next()
                .unwrap_or_default()
                .trim();
            let header = i == 0 && matches!(field, "mutant" | "mutation" | "mutations");
            (!field.is_empty() && !field.starts_with('#') && !header)
                .then(|| (i + 1, field.to_string()))
        })
        .collect();
    if mutations.is_empty() {
        return Err(BadInput(format!(
            "{}: no mutations found — give one per line, like A23V or A23V:G45D",
            path.display()
        ))
        .into());
    }
    Ok(mutations)
}
