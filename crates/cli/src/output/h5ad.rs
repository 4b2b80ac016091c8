//! `.h5ad` outputs: the latent means (`embed`, `encode`) or expression values
//! (`reconstruct`) as an AnnData file, with the obs columns of an `--h5ad` input and what
//! vaebio did in `uns["vaebio"]`. The layout is documented in docs/formats/h5ad.md.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use vaebio_io::formats::h5ad::{AnnDataWriter, Column, Uns};
use vaebio_io::{AnnData, FeatureMatrix, Featurization};
use vaebio_model::{History, VaeConfig};

use crate::cli::InputArgs;
use crate::input::InputSource;
use crate::progress::summarize;

/// The `obsm` key of the latent means (scanpy's `X_<method>` convention).
const LATENT_KEY: &str = "X_vaebio";

/// What an `.h5ad` output records besides its values.
pub struct Provenance<'a> {
    /// The subcommand: `embed`, `encode` or `reconstruct`.
    pub command: &'static str,
    /// The input; an `--h5ad` input's obs columns are carried into the output.
    pub input: &'a InputArgs,
    /// The model's settings.
    pub config: &'a VaeConfig,
    /// How the input was featurized.
    pub featurization: &'a Featurization,
    /// The training record, when this run trained the model.
    pub history: Option<&'a History>,
    /// The model directory, when a saved model was used.
    pub model_dir: Option<&'a Path>,
}

/// Writes `matrix` as `X` of an AnnData file at `path`, with the input's obs columns,
/// `matrix`'s values also in `obsm["X_vaebio"]` when `latent`, and `uns["vaebio"]`.
pub fn write_h5ad(
    path: &Path,
    matrix: &FeatureMatrix,
    latent: bool,
    provenance: &Provenance<'_>,
    quiet: bool,
) -> Result<()> {
    let mut writer = AnnDataWriter::new(matrix);
    let mut notes = Vec::new();
    for (name, values) in obs_columns(provenance.input, matrix.row_names(), &mut notes)? {
        writer.obs_column(&name, values)?;
    }
    if latent {
        writer.obsm(LATENT_KEY, matrix.n_cols(), matrix.to_dense())?;
    }
    writer.uns("vaebio", vaebio_uns(provenance)?);
    writer.write(path)?;
    summarize(&notes, quiet);
    Ok(())
}

/// The obs columns of an `--h5ad` input, on the output's rows (filters may have dropped
/// cells). A column the reader cannot take (e.g. a nullable integer) is left out with a note.
fn obs_columns(
    input: &InputArgs,
    rows: &[String],
    notes: &mut Vec<String>,
) -> Result<Vec<(String, Column)>> {
    let InputSource::H5ad(path) = input.source() else {
        return Ok(Vec::new());
    };
    let file = AnnData::open(&path)?;
    let names = file.obs_names()?;
    let position: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(index, name)| (name.as_str(), index))
        .collect();
    let Some(rows) = rows
        .iter()
        .map(|row| position.get(row.as_str()).copied())
        .collect::<Option<Vec<usize>>>()
    else {
        notes.push(format!(
            "{}: the obs names changed since it was read; its obs columns are not in the output",
            path.display()
        ));
        return Ok(Vec::new());
    };
    let mut columns = Vec::new();
    for name in file.obs_columns()? {
        match file.obs_values(&name) {
            Ok(values) => columns.push((name, values.select(&rows))),
            Err(error) => notes.push(format!(
                "obs column '{name}' left out of the output: {error}"
            )),
        }
    }
    Ok(columns)
}

/// `uns["vaebio"]`: the command, version, input, model settings, featurization, and the
/// training record or the model directory.
fn vaebio_uns(provenance: &Provenance<'_>) -> Result<Uns> {
    let mut entries = vec![
        ("command".to_string(), Uns::Text(provenance.command.into())),
        (
            "version".to_string(),
            Uns::Text(env!("CARGO_PKG_VERSION").into()),
        ),
        (
            "input".to_string(),
            Uns::Text(format!(
                "{} {}",
                provenance.input.source().flag(),
                provenance.input.source().path().display()
            )),
        ),
    ];
    let settings = [
        ("config", serde_json::to_value(provenance.config)?),
        (
            "featurization",
            serde_json::to_value(provenance.featurization)?,
        ),
    ];
    for (name, value) in settings {
        entries.extend(from_json(value).map(|value| (name.to_string(), value)));
    }
    if let Some(history) = provenance.history {
        entries.push(("training".to_string(), training(history)?));
    }
    if let Some(dir) = provenance.model_dir {
        entries.push(("model".to_string(), Uns::Text(dir.display().to_string())));
    }
    Ok(Uns::Dict(entries))
}

/// Epochs run, the best epoch, early stopping, the final epoch's losses, and the final
/// ELBO per observation, −(reconstruction + KL), on the validation rows when held out.
fn training(history: &History) -> Result<Uns> {
    let mut entries = vec![
        (
            "epochs".to_string(),
            Uns::Integer(history.epochs.len() as i64),
        ),
        (
            "stopped_early".to_string(),
            Uns::Bool(history.stopped_early),
        ),
    ];
    if let Some(best) = history.best_epoch {
        entries.push(("best_epoch".to_string(), Uns::Integer(best as i64)));
    }
    if let Some(last) = history.epochs.last() {
        let losses = last.validation.as_ref().unwrap_or(&last.train);
        entries.push(("elbo".to_string(), Uns::Float(-(losses.recon + losses.kl))));
        entries.extend(
            from_json(serde_json::to_value(last)?).map(|value| ("final_epoch".to_string(), value)),
        );
    }
    Ok(Uns::Dict(entries))
}

/// A JSON value as `uns` holds it: objects as dicts, arrays of one kind as arrays, anything
/// else as its JSON text; nulls are left out (`None`).
fn from_json(value: serde_json::Value) -> Option<Uns> {
    use serde_json::Value;
    Some(match value {
        Value::Null => return None,
        Value::Bool(flag) => Uns::Bool(flag),
        Value::Number(number) => match number.as_i64() {
            Some(integer) => Uns::Integer(integer),
            None => Uns::Float(number.as_f64()?),
        },
        Value::String(text) => Uns::Text(text),
        Value::Object(map) => Uns::Dict(
            map.into_iter()
                .filter_map(|(key, value)| from_json(value).map(|value| (key, value)))
                .collect(),
        ),
        Value::Array(items) => {
            if !items.is_empty() && items.iter().all(Value::is_i64) {
                Uns::Integers(items.iter().filter_map(Value::as_i64).collect())
            } else if !items.is_empty() && items.iter().all(Value::is_number) {
                Uns::Floats(items.iter().filter_map(Value::as_f64).collect())
            } else if !items.is_empty() && items.iter().all(Value::is_string) {
                Uns::Texts(
                    items
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_string))
                        .collect(),
                )
            } else {
                Uns::Text(Value::Array(items).to_string())
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_settings_become_uns_values() {
        let value = serde_json::json!({
            "latent": 10, "beta": 0.5, "hidden": [128, 64], "names": ["a"],
            "mixed": [1, "a"], "empty": [], "none": null, "nested": {"on": true}
        });
        let Some(Uns::Dict(entries)) = from_json(value) else {
            panic!("an object is a dict");
        };
        let get = |key: &str| {
            entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("latent"), Some(Uns::Integer(10)));
        assert_eq!(get("beta"), Some(Uns::Float(0.5)));
        assert_eq!(get("hidden"), Some(Uns::Integers(vec![128, 64])));
        assert_eq!(get("names"), Some(Uns::Texts(vec!["a".into()])));
        assert_eq!(get("mixed"), Some(Uns::Text("[1,\"a\"]".into())));
        assert_eq!(get("empty"), Some(Uns::Text("[]".into())));
        assert_eq!(get("none"), None);
        assert_eq!(
            get("nested"),
            Some(Uns::Dict(vec![("on".into(), Uns::Bool(true))]))
        );
    }
}
