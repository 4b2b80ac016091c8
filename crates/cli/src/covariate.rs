//! Per-observation categories from a table joined by id: the batch covariate (`--batch`)
//! and labels (`--labels`). The table may also be an obs column of an AnnData file,
//! `FILE.h5ad:COLUMN` (what `--batch-key` / `--labels-key` become), joined by obs name.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use vaebio_io::FeatureMatrix;

use crate::commands::BadInput;

/// A categorical value per observation: `codes[i]` indexes `names`.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariate {
    /// Category of each observation.
    pub codes: Vec<u32>,
    /// Category names, sorted.
    pub names: Vec<String>,
}

impl Covariate {
    /// Reads `FILE[:COLUMN]` (when given) and joins it onto the matrix's row names.
    pub fn from_args(spec: Option<&str>, matrix: &FeatureMatrix) -> Result<Option<Self>> {
        spec.map(|spec| Self::from_spec(spec, matrix.row_names()))
            .transpose()
    }

    /// Reads `FILE[:COLUMN]` and joins it onto `ids`.
    pub fn from_spec(spec: &str, ids: &[String]) -> Result<Self> {
        let (file, column) = split_spec(spec);
        Self::read(Path::new(file), column, ids)
    }

    /// Reads a table and takes `column` (default: the first after the id) for each id.
    pub fn read(path: &Path, column: Option<&str>, ids: &[String]) -> Result<Self> {
        if vaebio_io::formats::h5ad::is_hdf5(path) {
            return Self::read_obs(path, column, ids);
        }
        let table = vaebio_io::formats::labels::read_labels(path)?;
        let joined = table.join(ids)?;
        let name = match column {
            Some(name) => name,
            None => joined
                .columns
                .first()
                .map(String::as_str)
                .unwrap_or_default(),
        };
        let values: Vec<String> = match joined.column(name) {
            Some(values) => values.into_iter().map(str::to_string).collect(),
            None => {
                return Err(BadInput(format!(
                    "{}: no column '{name}' — the table has {}",
                    path.display(),
                    joined.columns.join(", ")
                ))
                .into());
            }
        };
        Ok(Self::from_values(&values))
    }

    /// Takes obs column `column` of an AnnData file for each id (an obs name).
    fn read_obs(path: &Path, column: Option<&str>, ids: &[String]) -> Result<Self> {
        let file = vaebio_io::AnnData::open(path)?;
        let Some(column) = column else {
            return Err(BadInput(format!(
                "{}: an AnnData file needs the obs column: FILE.h5ad:COLUMN (or --batch-key / --labels-key COLUMN) — the file has {}",
                path.display(),
                file.obs_columns()?.join(", ")
            ))
            .into());
        };
        let values = file.obs_column(column)?;
        let rows = obs_rows(&file, path, ids)?;
        let joined: Vec<String> = rows.iter().map(|&row| values[row].clone()).collect();
        Ok(Self::from_values(&joined))
    }

    /// Codes values by their sorted distinct names.
    pub fn from_values(values: &[String]) -> Self {
        let mut names: Vec<String> = values.to_vec();
        names.sort();
        names.dedup();
        let codes = values
            .iter()
            .map(|v| names.binary_search(v).unwrap_or(0) as u32)
            .collect();
        Self { codes, names }
    }

    /// Re-codes onto a saved model's batch names; unknown batches are an error.
    pub fn recode(&self, model_names: &[String]) -> Result<Self> {
        self.recode_as(model_names, "batch")
    }

    /// Re-codes onto a saved model's category names; an unknown category is an error that
    /// calls it `what` (e.g. "batch") and lists the known ones.
    pub fn recode_as(&self, model_names: &[String], what: &str) -> Result<Self> {
        let mut codes = Vec::with_capacity(self.codes.len());
        for &code in &self.codes {
            let name = &self.names[code as usize];
            match model_names.iter().position(|n| n == name) {
                Some(i) => codes.push(i as u32),
                None => {
                    return Err(BadInput(format!(
                        "{what} '{name}' was not seen in training — the model knows {}",
                        model_names.join(", ")
                    ))
                    .into());
                }
            }
        }
        Ok(Self {
            codes,
            names: model_names.to_vec(),
        })
    }
}

/// The obs row of each of `ids` (obs names) in the AnnData file at `path`; an id not in obs
/// is an error naming it.
pub fn obs_rows(file: &vaebio_io::AnnData, path: &Path, ids: &[String]) -> Result<Vec<usize>> {
    let by_name: HashMap<String, usize> = file
        .obs_names()?
        .into_iter()
        .enumerate()
        .map(|(row, name)| (name, row))
        .collect();
    let mut rows = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        match by_name.get(id) {
            Some(&row) => rows.push(row),
            None => missing.push(id.as_str()),
        }
    }
    if let Some(first) = missing.first() {
        return Err(BadInput(format!(
            "{}: {} of {} observations are not in obs (e.g. '{first}') — give the AnnData file these observations came from",
            path.display(),
            missing.len(),
            ids.len()
        ))
        .into());
    }
    Ok(rows)
}

/// Splits `FILE[:COLUMN]`; a colon that belongs to the path (no column after it, or a
/// Windows drive letter) is kept. After `.h5ad:` the rest is the obs column, whatever it holds.
pub fn split_spec(spec: &str) -> (&str, Option<&str>) {
    if let Some(at) = spec.find(".h5ad:") {
        let (file, column) = spec.split_at(at + ".h5ad".len());
        if column.len() > 1 {
            return (file, Some(&column[1..]));
        }
    }
    match spec.rsplit_once(':') {
        Some((file, column)) if !file.is_empty() && !column.is_empty() && !column.contains('/') => {
            (file, Some(column))
        }
        _ => (spec, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_splits_file_and_column() {
        assert_eq!(split_spec("b.tsv"), ("b.tsv", None));
        assert_eq!(split_spec("b.tsv:donor"), ("b.tsv", Some("donor")));
        assert_eq!(split_spec("dir:x/b.tsv"), ("dir:x/b.tsv", None));
        assert_eq!(
            split_spec("d.h5ad:leiden:res/1"),
            ("d.h5ad", Some("leiden:res/1"))
        );
        assert_eq!(split_spec("d.h5ad"), ("d.h5ad", None));
    }

    #[test]
    fn categories_are_sorted_and_recoded() {
        let values: Vec<String> = ["b", "a", "b"].iter().map(|s| s.to_string()).collect();
        let c = Covariate::from_values(&values);
        assert_eq!(c.names, ["a", "b"]);
        assert_eq!(c.codes, [1, 0, 1]);
        let model = vec!["b".to_string(), "a".to_string()];
        assert_eq!(c.recode(&model).unwrap().codes, [0, 1, 0]);
        assert!(c.recode(&["a".to_string()]).is_err());
    }
}
