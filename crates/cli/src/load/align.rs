//! A model's features picked out of newly read input, in the model's order.

use std::path::Path;

use anyhow::{Context, Result};

use super::{DataKind, Loaded};
use crate::commands::BadInput;

/// Reorders (and checks) the columns of `matrix` to match a model's feature names. Genes a
/// count file lacks (at most half of the model's) are read as 0 counts, as scvi-tools'
/// `prepare_query_anndata` pads them; returns the line that says so.
pub fn align_features(
    loaded: &mut Loaded,
    expected: &[String],
    source: &Path,
) -> Result<Option<String>> {
    if loaded.matrix.col_names() == expected {
        return Ok(None);
    }
    let n_cols = loaded.matrix.n_cols();
    let index: std::collections::HashMap<&str, usize> = loaded
        .matrix
        .col_names()
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i))
        .collect();
    // a missing feature's column is where padding appends it
    let mut columns = Vec::with_capacity(expected.len());
    let mut missing = Vec::new();
    for name in expected {
        match index.get(name.as_str()) {
            Some(&i) => columns.push(i),
            None => {
                columns.push(n_cols + missing.len());
                missing.push(name.clone());
            }
        }
    }
    drop(index);
    let paddable = loaded.kind == DataKind::Counts
        && missing.len() * 2 <= expected.len()
        && !matches!(loaded.matrix.storage(), vaebio_io::Storage::Backed(_));
    let mut padded = None;
    if !missing.is_empty() && paddable {
        loaded
            .matrix
            .add_zero_columns(&missing)
            .with_context(|| format!("{}: adding the model's genes", source.display()))?;
        padded = Some(format!(
            "{} of the model's {} genes are not in {}: read as 0 counts",
            missing.len(),
            expected.len(),
            source.display()
        ));
    } else if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(3).map(String::as_str).collect();
        let fix = if loaded.kind == DataKind::Counts && missing.len() * 2 > expected.len() {
            "more than half of them: give a file with the model's genes (the same annotation), or train on this one"
        } else if loaded.kind == DataKind::Counts {
            "read the file without --backed (missing genes are then read as 0 counts), or give it every gene"
        } else {
            "featurize with the same settings and features as the training input"
        };
        return Err(BadInput(format!(
            "{}: {} of the model's {} features are missing (e.g. {}) — {fix}",
            source.display(),
            missing.len(),
            expected.len(),
            shown.join(", ")
        ))
        .into());
    }
    if let Some(ploidies) = &loaded.ploidies {
        let selected = ploidies
            .chunks_exact(n_cols)
            .flat_map(|row| columns.iter().map(|&c| row[c]))
            .collect();
        loaded.ploidies = Some(selected);
    }
    loaded.matrix = loaded
        .matrix
        .select_cols(&columns)
        .with_context(|| format!("{}: selecting the model's features", source.display()))?;
    Ok(padded)
}
