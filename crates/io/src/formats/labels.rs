//! Label and covariate tables: `id<TAB>label[<TAB>...]` with a header line, joined by id
//! onto the row names of a matrix (population labels for samples, batch or cell type for
//! cells). CRLF line ends and a UTF-8 byte-order mark are accepted.
//!
//! ```no_run
//! use vaebio_io::formats::labels::read_labels;
//! # let row_names: Vec<String> = vec![];
//! let labels = read_labels("populations.tsv")?.join(&row_names)?;
//! let (populations, codes) = labels.categories("population").expect("column exists");
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use crate::error::{Error, Result, Where};
use crate::input::{self, Input};

/// How many unmatched names an error lists before it says "and N more".
const NAMES_SHOWN: usize = 5;

/// A table read by [`read_labels`]: one row per id, one or more named label columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelTable {
    file: String,
    columns: Vec<String>,
    ids: Vec<String>,
    values: Vec<Vec<String>>,
}

/// Labels aligned to the rows of a matrix by [`LabelTable::join`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedLabels {
    /// Label column names (the header without its id column).
    pub columns: Vec<String>,
    /// One entry per matrix row: its labels, in column order.
    pub values: Vec<Vec<String>>,
    /// Table ids that match no matrix row (the caller may warn about them).
    pub unused_ids: Vec<String>,
}

impl JoinedLabels {
    /// The labels of one column, one per matrix row.
    pub fn column(&self, name: &str) -> Option<Vec<&str>> {
        let index = self.columns.iter().position(|c| c == name)?;
        Some(self.values.iter().map(|row| row[index].as_str()).collect())
    }

    /// A column as categories: the distinct labels in order of first appearance, and each
    /// row's category index (e.g. a batch covariate for the model).
    pub fn categories(&self, name: &str) -> Option<(Vec<String>, Vec<u32>)> {
        let column = self.column(name)?;
        let mut names: Vec<String> = Vec::new();
        let mut index: HashMap<&str, u32> = HashMap::new();
        let codes = column
            .iter()
            .map(|label| {
                *index.entry(label).or_insert_with(|| {
                    names.push(label.to_string());
                    (names.len() - 1) as u32
                })
            })
            .collect();
        Some((names, codes))
    }
}

/// Reads a tab-separated table whose first column holds ids (plain or gzip; `-` for stdin).
pub fn read_labels(path: impl AsRef<Path>) -> Result<LabelTable> {
    read_labels_from(input::open(path)?)
}

/// Like [`read_labels`] for an already opened input.
pub fn read_labels_from(input: Input) -> Result<LabelTable> {
    let file = input.name().to_string();
    let mut columns: Option<Vec<String>> = None;
    let mut ids = Vec::new();
    let mut values = Vec::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for (index, line) in input.into_reader().lines().enumerate() {
        let number = index as u64 + 1;
        let line = line.map_err(|e| Error::from_read(Where::line(file.clone(), number), e))?;
        let line = line.trim_end_matches('\r');
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let Some(header) = &columns else {
            if fields.len() < 2 {
                return Err(Error::invalid(
                    Where::line(file, number),
                    "the header has one column",
                    "give a tab-separated header such as 'id<TAB>label' (comma-separated tables are not read here)",
                ));
            }
            columns = Some(fields[1..].iter().map(|f| f.trim().to_string()).collect());
            continue;
        };
        if fields.len() != header.len() + 1 {
            return Err(Error::Ragged {
                at: Where::line(file, number),
                found: fields.len(),
                expected: header.len() + 1,
                unit: "tab-separated fields".into(),
            });
        }
        let id = fields[0].trim().to_string();
        if let Some(&previous) = first_line.get(&id) {
            return Err(Error::invalid(
                Where::line(file, number),
                format!("id '{id}' already appears on line {previous}"),
                "give each id one row",
            ));
        }
        first_line.insert(id.clone(), number);
        ids.push(id);
        values.push(fields[1..].iter().map(|f| f.trim().to_string()).collect());
    }
    let Some(columns) = columns.filter(|_| !ids.is_empty()) else {
        return Err(Error::Empty {
            at: Where::file(file),
            what: "label rows (after the header line)".into(),
        });
    };
    Ok(LabelTable {
        file,
        columns,
        ids,
        values,
    })
}

impl LabelTable {
    /// Label column names (the header without its id column).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Ids in file order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Aligns the table to `row_names`. Every row must find its id; an error names the rows
    /// that do not (and, when nothing matches at all, a few table ids to compare with).
    pub fn join(&self, row_names: &[String]) -> Result<JoinedLabels> {
        let by_id: HashMap<&str, usize> = self
            .ids
            .iter()
            .enumerate()
            .map(|(row, id)| (id.as_str(), row))
            .collect();
        let mut used = vec![false; self.ids.len()];
        let mut values = Vec::with_capacity(row_names.len());
        let mut unmatched = Vec::new();
        for name in row_names {
            match by_id.get(name.as_str()) {
                Some(&row) => {
                    used[row] = true;
                    values.push(self.values[row].clone());
                }
                None => unmatched.push(name.as_str()),
            }
        }
        if !unmatched.is_empty() {
            let hint = if unmatched.len() == row_names.len() {
                format!(
                    "; no id matches at all — the table has ids like {}",
                    list(&self.ids.iter().map(String::as_str).collect::<Vec<_>>())
                )
            } else {
                String::new()
            };
            return Err(Error::invalid(
                Where::file(self.file.clone()),
                format!(
                    "{} of {} matrix rows have no id in the table: {}{hint}",
                    unmatched.len(),
                    row_names.len(),
                    list(&unmatched)
                ),
                "add a row for each of them (the first column must hold the matrix row names exactly)",
            ));
        }
        let unused_ids = self
            .ids
            .iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(id, _)| id.clone())
            .collect();
        Ok(JoinedLabels {
            columns: self.columns.clone(),
            values,
            unused_ids,
        })
    }
}

/// `'a', 'b', 'c' and 4 more`.
fn list(names: &[&str]) -> String {
    let shown: Vec<String> = names
        .iter()
        .take(NAMES_SHOWN)
        .map(|n| format!("'{n}'"))
        .collect();
    let mut text = shown.join(", ");
    if names.len() > NAMES_SHOWN {
        text.push_str(&format!(" and {} more", names.len() - NAMES_SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::testdata::testdata;

    fn read(text: &str) -> Result<LabelTable> {
        read_labels_from(input::from_reader(
            "labels.tsv",
            Cursor::new(text.as_bytes().to_vec()),
        )?)
    }

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn crlf_table_joins_onto_vcf_samples() {
        let table = read_labels(testdata("variants_labels.tsv")).unwrap();
        assert_eq!(table.columns(), ["population", "sex"]);
        let joined = table.join(&names(&["s4", "s1", "s2", "s3"])).unwrap();
        assert_eq!(
            joined.column("population").unwrap(),
            ["YRI", "YRI", "CEU", "CEU"]
        );
        assert_eq!(joined.unused_ids, ["sX"]);
        let (categories, codes) = joined.categories("sex").unwrap();
        assert_eq!(categories, ["M", "F"]);
        assert_eq!(codes, [0, 1, 0, 1]);
        assert!(joined.column("absent").is_none());
    }

    #[test]
    fn rows_without_an_id_are_named() {
        let table = read("id\tlabel\na\tx\nb\ty\n").unwrap();
        let error = table.join(&names(&["a", "c", "d"])).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("labels.tsv: 2 of 3 matrix rows have no id in the table: 'c', 'd' —"),
            "{error}"
        );
        let error = table.join(&names(&["p", "q"])).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the table has ids like 'a', 'b'"),
            "{error}"
        );
    }

    #[test]
    fn malformed_tables_are_errors_naming_the_line() {
        let error = read("id\tlabel\na\tx\nb\n").unwrap_err();
        assert!(
            matches!(
                error,
                Error::Ragged {
                    found: 1,
                    expected: 2,
                    ..
                }
            ),
            "{error}"
        );
        assert!(
            error.to_string().starts_with("labels.tsv:line 3"),
            "{error}"
        );
        let error = read("id\tlabel\na\tx\na\ty\n").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("line 3: id 'a' already appears on line 2"),
            "{error}"
        );
        assert!(matches!(read("id\tlabel\n"), Err(Error::Empty { .. })));
        assert!(
            read("id,label\na,x\n")
                .unwrap_err()
                .to_string()
                .contains("header has one column")
        );
    }
}
