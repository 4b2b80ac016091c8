//! AnnData dataframes (`obs`, `var`): the index, the column order and the columns, each a
//! dataset (string, numeric or boolean array) or a `categorical` group.

use hdf5_pure::{AttrValue, DType, Dataset, Group};

use super::{AnnData, Column};
use crate::error::{Error, Result};
use crate::formats::hdf5::{attr_text, is_integer};

/// One dataframe of an opened file.
pub(super) struct Frame<'a> {
    file: &'a AnnData,
    /// `obs` or `var`.
    name: &'static str,
    group: Group,
}

impl<'a> Frame<'a> {
    pub(super) fn open(file: &'a AnnData, name: &'static str) -> Result<Self> {
        let group = file
            .h5
            .file
            .group(name)
            .map_err(|error| file.h5.error(name, &error))?;
        let frame = Self { file, name, group };
        match file
            .h5
            .text_attr(&frame.group, name, "encoding-type")?
            .as_deref()
        {
            Some("dataframe") => Ok(frame),
            Some(other) => Err(file.invalid(
                name,
                format!("unsupported encoding '{other}', expected 'dataframe'"),
                "re-write the file with anndata ≥ 0.8",
            )),
            None => Err(file.invalid(
                name,
                "no encoding-type attribute (written by anndata < 0.8)",
                "re-write the file with anndata ≥ 0.8 (`anndata.read_h5ad(f).write_h5ad(f2)`)",
            )),
        }
    }

    /// The index (`_index` names the column that holds it).
    pub(super) fn index(&self) -> Result<Vec<String>> {
        let column = self
            .file
            .h5
            .text_attr(&self.group, self.name, "_index")?
            .unwrap_or_else(|| "_index".to_string());
        let dataset = self.dataset(&column)?;
        self.strings(&column, &dataset)
    }

    /// Column names in `column-order` (an empty frame writes it as an empty float array).
    pub(super) fn columns(&self) -> Result<Vec<String>> {
        let attrs = self
            .group
            .attrs()
            .map_err(|error| self.file.h5.error(self.name, &error))?;
        Ok(match attrs.get("column-order") {
            Some(
                AttrValue::VarLenStringArray(names)
                | AttrValue::StringArray(names)
                | AttrValue::AsciiStringArray(names),
            ) => names.clone(),
            Some(value) => attr_text(value).into_iter().collect(),
            None => Vec::new(),
        })
    }

    /// A column, typed as stored, one value per row.
    pub(super) fn column(&self, column: &str) -> Result<Column> {
        self.check_listed(column)?;
        let values = self.read_column(column)?;
        self.check_length(column, values.len())?;
        Ok(values)
    }

    /// A column as text, one value per row; a missing categorical value is an error naming
    /// the row.
    pub(super) fn text_column(&self, column: &str) -> Result<Vec<String>> {
        self.column(column)?.into_text().map_err(|(row, code)| {
            let name = self.index().ok().and_then(|index| index.get(row).cloned());
            self.file.invalid(
                &self.element(column),
                format!(
                    "{} '{}' has no category (code {code})",
                    self.row_kind(),
                    name.unwrap_or_default()
                ),
                "fill the missing values or drop those rows before writing the file",
            )
        })
    }

    fn read_column(&self, column: &str) -> Result<Column> {
        let element = self.element(column);
        if let Ok(group) = self.group.group(column) {
            return self.categorical(column, &group);
        }
        let dataset = self.dataset(column)?;
        let dtype = dataset
            .dtype()
            .map_err(|error| self.file.h5.error(&element, &error))?;
        match dtype {
            DType::VariableLengthString | DType::String => {
                self.strings(column, &dataset).map(Column::Strings)
            }
            DType::Enum(_) => self.flags(column, &dataset).map(Column::Booleans),
            dtype if is_integer(&dtype) => self
                .file
                .h5
                .integers(&element, &dataset)
                .map(Column::Integers),
            DType::F32 | DType::F64 => self.read_f64(&element, &dataset).map(Column::Floats),
            other => Err(self.file.invalid(
                &element,
                format!("holds {other} values"),
                "use a categorical, string, numeric or boolean column",
            )),
        }
    }

    /// A boolean column (h5py writes numpy bools as an enum FALSE/TRUE; 0/1 integers pass).
    pub(super) fn bool_column(&self, column: &str) -> Result<Vec<bool>> {
        self.check_listed(column)?;
        let dataset = match self.group.dataset(column) {
            Ok(dataset) => dataset,
            Err(_) => {
                return Err(self.file.invalid(
                    &self.element(column),
                    "is not a boolean column (it is a group: categorical or nullable)",
                    format!("choose a boolean {} column", self.name),
                ));
            }
        };
        let flags = self.flags(column, &dataset)?;
        self.check_length(column, flags.len())?;
        Ok(flags)
    }

    /// A column must have one value per row of the index.
    fn check_length(&self, column: &str, found: usize) -> Result<()> {
        let rows = self.index()?.len();
        if found == rows {
            return Ok(());
        }
        Err(self.length_mismatch(&self.element(column), found, rows))
    }

    fn flags(&self, column: &str, dataset: &Dataset) -> Result<Vec<bool>> {
        let element = self.element(column);
        let dtype = dataset
            .dtype()
            .map_err(|error| self.file.h5.error(&element, &error))?;
        if !matches!(dtype, DType::Enum(_)) && !is_integer(&dtype) {
            return Err(self.file.invalid(
                &element,
                format!("holds {dtype} values, not booleans"),
                format!("choose a boolean {} column", self.name),
            ));
        }
        self.file.h5.len(&element, dataset)?;
        let values = dataset
            .read_i64()
            .map_err(|error| self.file.h5.error(&element, &error))?;
        values
            .iter()
            .map(|&value| match value {
                0 => Ok(false),
                1 => Ok(true),
                other => Err(self.file.invalid(
                    &element,
                    format!("value {other} is not a boolean (0/1)"),
                    format!("choose a boolean {} column", self.name),
                )),
            })
            .collect()
    }

    /// `categories` + `codes` (−1 marks a missing value; any other code must name a category).
    fn categorical(&self, column: &str, group: &Group) -> Result<Column> {
        let element = self.element(column);
        let encoding = self.file.h5.text_attr(group, &element, "encoding-type")?;
        if encoding.as_deref() != Some("categorical") {
            return Err(self.file.invalid(
                &element,
                format!(
                    "unsupported encoding '{}'",
                    encoding.as_deref().unwrap_or("none")
                ),
                "this reader takes categorical, string, numeric and boolean columns; convert it in anndata",
            ));
        }
        let categories = self.member(&element, group, "categories")?;
        let categories = self.strings_at(&format!("{element}/categories"), &categories)?;
        let codes = self.member(&element, group, "codes")?;
        let codes = self.file.h5.integers(&format!("{element}/codes"), &codes)?;
        if let Some(&code) = codes
            .iter()
            .find(|&&code| code < -1 || code >= categories.len() as i64)
        {
            return Err(self.file.invalid(
                &format!("{element}/codes"),
                format!("code {code} is outside the {} categories", categories.len()),
                "the categorical is inconsistent; re-write the file with anndata",
            ));
        }
        let ordered = group
            .attrs()
            .map_err(|error| self.file.h5.error(&element, &error))?
            .get("ordered")
            .and_then(AttrValue::as_i64)
            == Some(1);
        Ok(Column::Categorical {
            categories,
            codes,
            ordered,
        })
    }

    fn strings(&self, column: &str, dataset: &Dataset) -> Result<Vec<String>> {
        self.strings_at(&self.element(column), dataset)
    }

    fn strings_at(&self, element: &str, dataset: &Dataset) -> Result<Vec<String>> {
        self.file.h5.strings(element, dataset)
    }

    fn read_f64(&self, element: &str, dataset: &Dataset) -> Result<Vec<f64>> {
        self.file.h5.len(element, dataset)?;
        dataset
            .read_f64()
            .map_err(|error| self.file.h5.error(element, &error))
    }

    /// A column must be one the file lists; a missing one is named with those that exist.
    fn check_listed(&self, column: &str) -> Result<()> {
        let columns = self.columns()?;
        if columns.iter().any(|c| c == column) {
            return Ok(());
        }
        let has = if columns.is_empty() {
            format!("the file has no {} columns", self.name)
        } else {
            format!("the file has {}", columns.join(", "))
        };
        Err(Error::invalid(
            crate::error::Where::file(self.file.h5.name.clone()),
            format!("no {} column '{column}' — {has}", self.name),
            "choose one of them",
        ))
    }

    fn dataset(&self, column: &str) -> Result<Dataset> {
        let element = self.element(column);
        self.group
            .dataset(column)
            .map_err(|error| self.file.h5.error(&element, &error))
    }

    fn member(&self, element: &str, group: &Group, name: &str) -> Result<Dataset> {
        group
            .dataset(name)
            .map_err(|error| self.file.h5.error(&format!("{element}/{name}"), &error))
    }

    fn length_mismatch(&self, element: &str, found: usize, rows: usize) -> Error {
        self.file.invalid(
            element,
            format!("{found} values, but {} has {rows} rows", self.name),
            "the columns and the index disagree; re-write the file with anndata",
        )
    }

    fn element(&self, column: &str) -> String {
        format!("{}/{column}", self.name)
    }

    fn row_kind(&self) -> &'static str {
        if self.name == "obs" {
            "observation"
        } else {
            "feature"
        }
    }
}
