//! `vaebio score`: EVE-style mutation effects, ΔELBO = ELBO(mutant) − ELBO(wild type), and
//! with `--classify` EVE's pathogenic probability and class from a two-component mixture
//! fitted to the evolutionary indices (−ΔELBO) of every single mutant of the focus.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};
use vaebio_analysis::mixture::{
    MixtureOptions, TwoGaussians, binary_entropy, eve_uncertainty_cutoff,
};
use vaebio_io::{Alignment, Featurization};
use vaebio_model::{Dataset, DenseMatrix, RowSource, SiteShrinkage};

use crate::cli::{ScoreArgs, ShrinkageArg};
use crate::commands::BadInput;
use crate::ensemble;
use crate::load::read_msa;
use crate::model_dir::open_model;
use crate::output::{refuse_h5ad, write_table};
use crate::progress::summarize;

/// Runs `vaebio score`.
pub fn run(args: ScoreArgs, quiet: bool) -> Result<()> {
    if args.samples == 0 {
        return Err(
            BadInput("--samples 0 averages nothing — use at least 1 (EVE: 200+)".into()).into(),
        );
    }
    refuse_h5ad(&args.output)?;
    // One model, or every member of an ensemble (`train --ensemble`), whose ΔELBO are averaged.
    let dirs = ensemble::members(&args.model)?.unwrap_or_else(|| vec![args.model.clone()]);
    let models = dirs
        .iter()
        .map(|dir| open_model(dir, "cpu"))
        .collect::<Result<Vec<_>>>()?;
    let featurization = &models[0].1;
    let &Featurization::Msa {
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
    for ((vae, member_featurization), dir) in models.iter().zip(&dirs) {
        if member_featurization != featurization
            || alignment.matrix.col_names() != vae.metadata().feature_names.as_slice()
        {
            return Err(BadInput(format!(
                "{}: its focus columns differ from those of the model in {} — score with the alignment the model was trained on",
                args.msa.display(),
                dir.display()
            ))
            .into());
        }
    }
    let retained_cutoff = match args.classify {
        false => None,
        true => Some(eve_uncertainty_cutoff(args.retained).ok_or_else(|| {
            BadInput(format!(
                "--retained {}: EVE has cut-offs for 10, 20, …, 90, 25, 75 and 100 percent — use one of those",
                args.retained
            ))
        })?),
    };
    let mut mutations = read_mutations(&args.mutations)?;
    // Every mutation is checked before any work, so a bad line fails in microseconds.
    for (line, text) in &mutations {
        alignment
            .parse_mutations(text)
            .map_err(|e| BadInput(format!("{}:line {line}: {e}", args.mutations.display())))?;
    }
    let given = mutations.len();
    if retained_cutoff.is_some() {
        // every single mutant joins the rows once; those given keep their place
        let known: HashSet<String> = mutations.iter().map(|(_, t)| t.clone()).collect();
        let singles = alignment.single_mutants();
        mutations.extend(
            singles
                .into_iter()
                .filter(|s| !known.contains(s))
                .map(|s| (0, s)),
        );
    }
    let rows = MutantRows {
        alignment: &alignment,
        mutations: &mutations,
    };
    let shrinkage = match args.shrinkage {
        ShrinkageArg::None => None,
        ShrinkageArg::Site => Some(SiteShrinkage::site_model(
            &alignment.matrix,
            Some(&alignment.weights),
            alignment.n_states,
        )?),
    };
    let mut deltas = vec![0f32; mutations.len()];
    for (vae, _) in &models {
        let data = Dataset::new(&rows);
        let elbo = match &shrinkage {
            None => vae.elbo(&data, args.samples, args.seed)?,
            Some(shrinkage) => vae.elbo_shrunk(&data, args.samples, args.seed, shrinkage)?,
        };
        for (delta, e) in deltas.iter_mut().zip(&elbo[1..]) {
            *delta += (e - elbo[0]) / models.len() as f32;
        }
    }
    let Some(cutoff) = retained_cutoff else {
        return write_table(
            &args.output,
            mutations.into_iter().map(|(_, text)| text).collect(),
            vec!["delta_elbo".to_string()],
            DenseMatrix::new(deltas.clone(), deltas.len(), 1)?,
        );
    };
    let is_single = |text: &str| !text.contains(':');
    let indices: Vec<f64> = mutations
        .iter()
        .zip(&deltas)
        .filter(|((_, text), _)| is_single(text))
        .map(|(_, &delta)| -f64::from(delta))
        .collect();
    let mixture = TwoGaussians::fit(&indices, &MixtureOptions::default())
        .context("fitting EVE's mixture to the evolutionary indices of the single mutants")?;
    summarize(
        &[format!(
            "mixture on {} single mutants' evolutionary indices: benign mean {:.3} (sd {:.3}, weight {:.3}), pathogenic mean {:.3} (sd {:.3}, weight {:.3}){}",
            indices.len(),
            mixture.means[0],
            mixture.variances[0].sqrt(),
            mixture.weights[0],
            mixture.means[1],
            mixture.variances[1].sqrt(),
            mixture.weights[1],
            if mixture.converged {
                ""
            } else {
                "; EM did not converge in 1000 iterations"
            }
        )],
        quiet,
    );
    vaebio_fs::write_atomic(&args.output, |out| {
        writeln!(out, "id\tdelta_elbo\teve_score\tuncertainty\tclass")?;
        for ((_, text), &delta) in mutations.iter().zip(&deltas).take(given) {
            let score = mixture.posterior_high(-f64::from(delta));
            let uncertainty = binary_entropy(score);
            let class = if uncertainty > cutoff {
                "Uncertain"
            } else if score > 0.5 {
                "Pathogenic"
            } else {
                "Benign"
            };
            writeln!(out, "{text}\t{delta}\t{score}\t{uncertainty}\t{class}")?;
        }
        Ok(())
    })
    .with_context(|| format!("{}: cannot write", args.output.display()))
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
