//! scVI's extra covariates (`categorical_covariate_keys`, `continuous_covariate_keys`):
//! `--covariates FILE[:COL,...]` (a table joined by id) or `--covariate-keys COL,...` (obs
//! columns of the `--h5ad` input, which become `--covariates FILE.h5ad:COL,...`). Numeric
//! columns are continuous, the rest (text, categorical, boolean) categorical.

use std::path::Path;

use anyhow::Result;
use vaebio_io::formats::h5ad::Column;
use vaebio_model::{CategoricalCovariate, Metadata};

use crate::commands::BadInput;
use crate::covariate::{Covariate, obs_rows, split_spec};

/// The extra covariates of the observations, in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtraCovariates {
    /// Each categorical covariate's name and categories (sorted when read).
    pub categorical_names: Vec<CategoricalCovariate>,
    /// Each categorical covariate's category per observation.
    pub categorical: Vec<Vec<u32>>,
    /// The continuous covariates' names.
    pub continuous_names: Vec<String>,
    /// Each continuous covariate's value per observation, as given (scVI does not scale them).
    pub continuous: Vec<Vec<f32>>,
}

/// One named column, typed.
enum Values {
    Categorical(Vec<String>),
    Continuous(Vec<f64>),
}

impl ExtraCovariates {
    /// Reads `FILE[:COL,...]` (every column after the id when none are named; an AnnData
    /// file needs them) and joins it onto `ids`.
    pub fn read(spec: &str, ids: &[String]) -> Result<Self> {
        let (file, columns) = split_spec(spec);
        let path = Path::new(file);
        let columns: Vec<&str> = columns.map(|c| c.split(',').collect()).unwrap_or_default();
        if let Some((i, name)) = columns
            .iter()
            .enumerate()
            .find(|(i, name)| columns[..*i].contains(name))
        {
            return Err(BadInput(format!(
                "{}: covariate '{name}' is named twice (column {} of the list) — name each once",
                path.display(),
                i + 1
            ))
            .into());
        }
        let named = if vaebio_io::formats::h5ad::is_hdf5(path) {
            read_obs(path, &columns, ids)?
        } else {
            read_table(path, &columns, ids)?
        };
        let mut covariates = Self::default();
        for (name, values) in named {
            match values {
                Values::Categorical(values) => {
                    let coded = Covariate::from_values(&values);
                    covariates.categorical.push(coded.codes);
                    covariates.categorical_names.push(CategoricalCovariate {
                        name,
                        categories: coded.names,
                    });
                }
                Values::Continuous(values) => {
                    covariates
                        .continuous
                        .push(to_f32(&name, &values, ids, path)?);
                    covariates.continuous_names.push(name);
                }
            }
        }
        Ok(covariates)
    }

    /// `FILE[:COL,...]` when given.
    pub fn from_args(spec: Option<&str>, ids: &[String]) -> Result<Option<Self>> {
        spec.map(|spec| Self::read(spec, ids)).transpose()
    }

    /// The category counts of the categorical covariates (for the model's config).
    pub fn category_counts(&self) -> Vec<usize> {
        self.categorical_names
            .iter()
            .map(|c| c.categories.len())
            .collect()
    }

    /// Records the names, categories and kinds in a model's metadata.
    pub fn store(&self, metadata: &mut Metadata) {
        metadata.categorical_covariates = self.categorical_names.clone();
        metadata.continuous_covariates = self.continuous_names.clone();
    }

    /// The covariates a saved model was trained with, read from `spec` for new input and
    /// coded as at training; a model without covariates takes none. Missing, extra or
    /// retyped covariates and unknown categories are errors listing what the model knows.
    pub fn for_model(
        spec: Option<&str>,
        ids: &[String],
        metadata: &Metadata,
    ) -> Result<Option<Self>> {
        let trained: Vec<&str> = metadata
            .categorical_covariates
            .iter()
            .map(|c| c.name.as_str())
            .chain(metadata.continuous_covariates.iter().map(String::as_str))
            .collect();
        let Some(spec) = spec else {
            if trained.is_empty() {
                return Ok(None);
            }
            return Err(BadInput(format!(
                "the model was trained with covariates {}: give them with --covariates FILE:COL,... or --covariate-keys COL,...",
                trained.join(", ")
            ))
            .into());
        };
        let given = Self::read(spec, ids)?;
        given.recode(metadata, &trained).map(Some)
    }

    /// `NAME=VALUE`: every observation takes this category (categorical) or number
    /// (continuous) of covariate NAME, as `--transform-batch` does for the batch.
    pub fn set_everywhere(&mut self, assignment: &str) -> Result<()> {
        let bad = |why: String| BadInput(format!("--transform-covariate {assignment}: {why}"));
        let Some((name, value)) = assignment.split_once('=') else {
            return Err(bad("give NAME=VALUE, e.g. donor=d1 or pct_mito=0.05".into()).into());
        };
        if let Some(at) = self.categorical_names.iter().position(|c| c.name == name) {
            let categories = &self.categorical_names[at].categories;
            let Some(code) = categories.iter().position(|c| c == value) else {
                return Err(bad(format!(
                    "not a category of '{name}' — use one of {}",
                    categories.join(", ")
                ))
                .into());
            };
            self.categorical[at].fill(code as u32);
        } else if let Some(at) = self.continuous_names.iter().position(|n| n == name) {
            let number = value.parse::<f32>().ok().filter(|v| v.is_finite());
            let Some(number) = number else {
                return Err(bad(format!("'{name}' is continuous: give a finite number")).into());
            };
            self.continuous[at].fill(number);
        } else {
            let known: Vec<&str> = self
                .categorical_names
                .iter()
                .map(|c| c.name.as_str())
                .chain(self.continuous_names.iter().map(String::as_str))
                .collect();
            return Err(bad(format!(
                "no covariate '{name}' in the model — it has {}",
                list(known.into_iter())
            ))
            .into());
        }
        Ok(())
    }

    /// Orders and codes these covariates as `metadata` has them.
    fn recode(&self, metadata: &Metadata, trained: &[&str]) -> Result<Self> {
        let mismatch = || {
            let given: Vec<&str> = self
                .categorical_names
                .iter()
                .map(|c| c.name.as_str())
                .chain(self.continuous_names.iter().map(String::as_str))
                .collect();
            BadInput(format!(
                "covariates {} given, the model was trained with {} (categorical: {}; continuous: {}) — give the same columns",
                given.join(", "),
                trained.join(", "),
                list(
                    metadata
                        .categorical_covariates
                        .iter()
                        .map(|c| c.name.as_str())
                ),
                list(metadata.continuous_covariates.iter().map(String::as_str)),
            ))
        };
        let mut recoded = Self::default();
        if self.categorical.len() + self.continuous.len() != trained.len() {
            return Err(mismatch().into());
        }
        for model in &metadata.categorical_covariates {
            let at = self
                .categorical_names
                .iter()
                .position(|c| c.name == model.name)
                .ok_or_else(mismatch)?;
            let given = Covariate {
                codes: self.categorical[at].clone(),
                names: self.categorical_names[at].categories.clone(),
            };
            let what = format!("covariate '{}': category", model.name);
            recoded
                .categorical
                .push(given.recode_as(&model.categories, &what)?.codes);
            recoded.categorical_names.push(model.clone());
        }
        for name in &metadata.continuous_covariates {
            let at = self
                .continuous_names
                .iter()
                .position(|n| n == name)
                .ok_or_else(mismatch)?;
            recoded.continuous.push(self.continuous[at].clone());
            recoded.continuous_names.push(name.clone());
        }
        Ok(recoded)
    }
}

/// `a, b` or `none`.
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// Values as f32, each finite: a NaN (pandas' missing number) or infinity is an error naming
/// the observation.
fn to_f32(name: &str, values: &[f64], ids: &[String], path: &Path) -> Result<Vec<f32>> {
    if let Some(row) = values.iter().position(|v| !(*v as f32).is_finite()) {
        return Err(BadInput(format!(
            "{}: covariate '{name}', observation '{}': {} is not a finite number — fill the missing values or drop those observations",
            path.display(),
            ids[row],
            values[row]
        ))
        .into());
    }
    Ok(values.iter().map(|&v| v as f32).collect())
}

/// Obs columns of an AnnData file, joined onto `ids` by obs name.
fn read_obs(path: &Path, columns: &[&str], ids: &[String]) -> Result<Vec<(String, Values)>> {
    let file = vaebio_io::AnnData::open(path)?;
    if columns.is_empty() {
        return Err(BadInput(format!(
            "{}: name the obs columns: --covariate-keys COL,... (or FILE.h5ad:COL,...) — the file has {}",
            path.display(),
            file.obs_columns()?.join(", ")
        ))
        .into());
    }
    let rows = obs_rows(&file, path, ids)?;
    columns
        .iter()
        .map(|&name| {
            let values = match file.obs_values(name)?.select(&rows) {
                Column::Integers(values) => {
                    Values::Continuous(values.iter().map(|&v| v as f64).collect())
                }
                Column::Floats(values) => Values::Continuous(values),
                column => Values::Categorical(column.into_text().map_err(|(row, _)| {
                    BadInput(format!(
                        "{}: covariate '{name}', observation '{}': missing value — fill the missing values or drop those observations",
                        path.display(),
                        ids[row]
                    ))
                })?),
            };
            Ok((name.to_string(), values))
        })
        .collect()
}

/// Columns of a table (`id<TAB>...`, header line), joined onto `ids`: a column whose every
/// value is a number is continuous, any other categorical; an empty or `NA` value is missing.
fn read_table(path: &Path, columns: &[&str], ids: &[String]) -> Result<Vec<(String, Values)>> {
    let table = vaebio_io::formats::labels::read_labels(path)?;
    let joined = table.join(ids)?;
    let columns: Vec<&str> = if columns.is_empty() {
        joined.columns.iter().map(String::as_str).collect()
    } else {
        columns.to_vec()
    };
    columns
        .iter()
        .map(|&name| {
            let Some(values) = joined.column(name) else {
                return Err(BadInput(format!(
                    "{}: no column '{name}' — the table has {}",
                    path.display(),
                    joined.columns.join(", ")
                ))
                .into());
            };
            if let Some(row) = values.iter().position(|v| is_missing(v)) {
                return Err(BadInput(format!(
                    "{}: covariate '{name}', id '{}': missing value '{}' — fill the missing values or drop those rows",
                    path.display(),
                    ids[row],
                    values[row]
                ))
                .into());
            }
            let numbers: Option<Vec<f64>> = values.iter().map(|v| v.parse().ok()).collect();
            let values = match numbers {
                Some(numbers) => Values::Continuous(numbers),
                None => Values::Categorical(values.iter().map(|v| v.to_string()).collect()),
            };
            Ok((name.to_string(), values))
        })
        .collect()
}

/// How a table spells a missing value (R's `NA`, pandas' `NaN`, an empty field).
fn is_missing(value: &str) -> bool {
    matches!(
        value.trim(),
        "" | "NA" | "N/A" | "NaN" | "nan" | "null" | "None"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recoding_follows_the_model_and_refuses_unknown_categories() {
        let given = ExtraCovariates {
            categorical_names: vec![CategoricalCovariate {
                name: "donor".into(),
                categories: names(&["d1", "d2"]),
            }],
            categorical: vec![vec![1, 0]],
            continuous_names: names(&["age"]),
            continuous: vec![vec![30.0, 40.0]],
        };
        let metadata = Metadata {
            categorical_covariates: vec![CategoricalCovariate {
                name: "donor".into(),
                categories: names(&["d2", "d1", "d3"]),
            }],
            continuous_covariates: names(&["age"]),
            ..Metadata::default()
        };
        let trained = ["donor", "age"];
        let recoded = given.recode(&metadata, &trained).unwrap();
        assert_eq!(recoded.categorical, [vec![0, 1]]);
        assert_eq!(recoded.category_counts(), [3]);
        assert_eq!(recoded.continuous, given.continuous);

        let narrow = Metadata {
            categorical_covariates: vec![CategoricalCovariate {
                name: "donor".into(),
                categories: names(&["d1"]),
            }],
            ..metadata.clone()
        };
        let error = given.recode(&narrow, &trained).unwrap_err().to_string();
        assert_eq!(
            error,
            "covariate 'donor': category 'd2' was not seen in training — the model knows d1"
        );
        let retyped = Metadata {
            categorical_covariates: Vec::new(),
            continuous_covariates: names(&["donor", "age"]),
            ..metadata
        };
        let error = given.recode(&retyped, &trained).unwrap_err().to_string();
        assert!(
            error.contains("categorical: none; continuous: donor, age"),
            "{error}"
        );
    }

    #[test]
    fn a_covariate_can_be_set_for_every_observation() {
        let mut covariates = ExtraCovariates {
            categorical_names: vec![CategoricalCovariate {
                name: "donor".into(),
                categories: names(&["d1", "d2"]),
            }],
            categorical: vec![vec![1, 0, 1]],
            continuous_names: names(&["age"]),
            continuous: vec![vec![30.0, 40.0, 50.0]],
        };
        covariates.set_everywhere("donor=d1").unwrap();
        covariates.set_everywhere("age=45.5").unwrap();
        assert_eq!(covariates.categorical, [vec![0, 0, 0]]);
        assert_eq!(covariates.continuous, [vec![45.5; 3]]);
        let error = |assignment| {
            covariates
                .clone()
                .set_everywhere(assignment)
                .unwrap_err()
                .to_string()
        };
        assert!(error("donor=d3").ends_with("not a category of 'donor' — use one of d1, d2"));
        assert!(error("age=old").ends_with("'age' is continuous: give a finite number"));
        assert!(error("sex=f").ends_with("no covariate 'sex' in the model — it has donor, age"));
        assert!(error("donor").contains("give NAME=VALUE"));
    }

    #[test]
    fn missing_values_are_recognised() {
        for value in ["", " ", "NA", "NaN", "nan", "null"] {
            assert!(is_missing(value), "{value:?}");
        }
        assert!(!is_missing("0"));
        assert!(!is_missing("NAB"));
    }
}
