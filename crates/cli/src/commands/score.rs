//! `vaebio score`: EVE-style mutation effects, ΔELBO = ELBO(mutant) − ELBO(wild type).

use std::path::Path;

use anyhow::{Context, Result};
use vaebio_io::{Alignment, Featurization};
use vaebio_model::{Dataset, DenseMatrix, RowSource};

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
    // Every mutation is checked before any work, so a bad line fails in microseconds.
    for (line, text) in &mutations {
        alignment
            .parse_mutations(text)
            .map_err(|e| BadInput(format!("{}:line {line}: {e}", args.mutations.display())))?;
    }
    let rows = MutantRows {
        alignment: &alignment,
        mutations: &mutations,
    };
    let elbo = vae.elbo(&Dataset::new(&rows), args.samples, args.seed)?;
    let wild_type = elbo[0];
    let deltas: Vec<f32> = elbo[1..].iter().map(|e| e - wild_type).collect();
    write_table(
        &args.output,
        mutations.into_iter().map(|(_, text)| text).collect(),
        vec!["delta_elbo".to_string()],
        DenseMatrix::new(deltas.clone(), deltas.len(), 1)?,
    )
}

/// The wild type (row 0, the focus sequence: the alignment's first row) and then one row per
/// mutant, one-hot encoded when the model asks for it, so that memory does not grow with the
/// number of mutants.
struct MutantRows<'a> {
    alignment: &'a Alignment,
    mutations: &'a [(usize, String)],
}

impl RowSource for MutantRows<'_> {
    fn n_rows(&self) -> usize {
        self.mutations.len() + 1
    }

    fn n_cols(&self) -> usize {
        self.alignment.matrix.n_cols()
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        for (&row, values) in rows.iter().zip(out.chunks_exact_mut(self.n_cols())) {
            match row.checked_sub(1) {
                None => self.alignment.matrix.fill_rows(&[0], values),
                // Each mutation was parsed and checked before scoring, so this cannot fail;
                // were it to, NaN would fail the model's data check with a clear error.
                Some(i) => match self.alignment.encode_mutant(&self.mutations[i].1) {
                    Ok(encoded) => values.copy_from_slice(&encoded),
                    Err(_) => values.fill(f32::NAN),
                },
            }
        }
    }
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
    let mut first_line = std::collections::HashMap::new();
    for (line, text) in &mutations {
        if let Some(first) = first_line.insert(text.as_str(), *line) {
            return Err(BadInput(format!(
                "{}:line {line}: '{text}' was given before, on line {first} — give each mutation once",
                path.display()
            ))
            .into());
        }
    }
    if mutations.is_empty() {
        return Err(BadInput(format!(
            "{}: no mutations found — give one per line, like A23V or A23V:G45D",
            path.display()
        ))
        .into());
    }
    Ok(mutations)
}
