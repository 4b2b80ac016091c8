//! 10x Genomics Matrix Market directories → sparse cells × genes [`FeatureMatrix`].
//!
//! A directory holds `matrix.mtx[.gz]` (features × barcodes, coordinate format),
//! `features.tsv[.gz]` (Cell Ranger ≥ 3: id, symbol, type) or `genes.tsv[.gz]` (Cell Ranger 2:
//! id, symbol), and `barcodes.tsv[.gz]`. Rows of the result are barcodes, columns are
//! features named by gene symbol made unique the way scanpy's `var_names_make_unique`
//! does (`TBCE`, `TBCE-1`, ...), or by gene id with [`MtxOptions::gene_ids`]. Only features
//! of [`MtxOptions::feature_type`] (the third column of `features.tsv`; by default
//! `Gene Expression`, as scanpy's `gex_only`) are kept; `genes.tsv` lists genes only.
//!
//! ```no_run
//! use vaebio_io::formats::mtx::{read_10x_mtx, MtxOptions};
//! let counts = read_10x_mtx("filtered_feature_bc_matrix", &MtxOptions::default())?;
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

pub use super::tenx::GENE_EXPRESSION;

use super::tenx::Features;
use crate::error::{Error, Result, Where};
use crate::input::{self, Input};
use crate::matrix::FeatureMatrix;

mod entries;

use entries::{CsrParts, Entries, Repeat};

/// Which features of a 10x matrix to read, and how to name them (the Matrix Market and the
/// HDF5 readers alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtxOptions {
    /// Name features by gene id (first column, unique by construction) instead of symbol.
    pub gene_ids: bool,
    /// Keep only features of this type (`Gene Expression`, `Antibody Capture`, `Peaks`,
    /// ...); `None` keeps every feature. Files without types (Cell Ranger 2) hold genes
    /// only and are read whole.
    pub feature_type: Option<String>,
}

impl Default for MtxOptions {
    /// Symbols, gene expression only.
    fn default() -> Self {
        Self {
            gene_ids: false,
            feature_type: Some(GENE_EXPRESSION.to_string()),
        }
    }
}

/// Reads a 10x Matrix Market directory into sparse counts (rows barcodes, columns features).
pub fn read_10x_mtx(dir: impl AsRef<Path>, options: &MtxOptions) -> Result<FeatureMatrix> {
    let dir = dir.as_ref();
    let matrix_path = find(dir, &["matrix.mtx", "matrix.mtx.gz"])?;
    let features_path = find(
        dir,
        &[
            "features.tsv.gz",
            "features.tsv",
            "genes.tsv",
            "genes.tsv.gz",
        ],
    )?;
    let barcodes_path = find(dir, &["barcodes.tsv.gz", "barcodes.tsv"])?;
    read_10x_mtx_from(
        input::open(matrix_path)?,
        input::open(features_path)?,
        input::open(barcodes_path)?,
        options,
    )
}

/// Like [`read_10x_mtx`] for the three files already opened (e.g. bytes in memory); each
/// input's name is used in its errors.
pub fn read_10x_mtx_from(
    matrix: Input,
    features: Input,
    barcodes: Input,
    options: &MtxOptions,
) -> Result<FeatureMatrix> {
    let features_name = features.name().to_string();
    let barcodes_name = barcodes.name().to_string();
    let barcodes: Vec<String> = read_fields(barcodes)?
        .into_iter()
        .map(|mut fields| fields.swap_remove(0))
        .collect();
    let features = read_features(features)?;
    let n_features = features.len();
    let selection = features.select(options, Where::file(features_name.clone()))?;
    let mut seen = HashSet::with_capacity(barcodes.len());
    for (line, barcode) in barcodes.iter().enumerate() {
        if !seen.insert(barcode.as_str()) {
            return Err(Error::DuplicateName {
                at: Where::line(barcodes_name.clone(), line as u64 + 1),
                kind: "barcode".into(),
                name: barcode.clone(),
            });
        }
    }
    drop(seen);
    let expected = (n_features, barcodes.len());
    let keep = selection.keep.as_deref();
    let (indptr, indices, values) = read_entries(
        matrix,
        expected,
        keep,
        |(n_features, n_barcodes)| {
            format!(
                "matrix is {n_features} features × {n_barcodes} barcodes, but {features_name} lists {} and {barcodes_name} lists {}",
                expected.0, expected.1
            )
        },
    )?;
    FeatureMatrix::from_csr(barcodes, selection.names, indptr, indices, values)
}

fn find(dir: &Path, names: &[&str]) -> Result<PathBuf> {
    names
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            Error::invalid(
                Where::file(dir.display().to_string()),
                format!("no {} in this directory", names.join(" or ")),
                "give a 10x directory holding matrix.mtx[.gz], features.tsv[.gz] (or genes.tsv) and barcodes.tsv[.gz]",
            )
        })
}

/// The tab-separated fields of every non-empty line.
fn read_fields(reader: Input) -> Result<Vec<Vec<String>>> {
    let name = reader.name().to_string();
    let mut rows = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line =
            line.map_err(|e| Error::from_read(Where::line(name.clone(), index as u64 + 1), e))?;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        rows.push(line.split('\t').map(str::to_string).collect());
    }
    if rows.is_empty() {
        return Err(Error::Empty {
            at: Where::file(name),
            what: "names".into(),
        });
    }
    Ok(rows)
}

/// `features.tsv` (id, symbol, type) or `genes.tsv` (id, symbol): a missing symbol is the
/// id; the types are there when any line has a third column.
fn read_features(reader: Input) -> Result<Features> {
    let rows = read_fields(reader)?;
    let typed = rows.iter().any(|fields| fields.len() > 2);
    let mut features = Features {
        ids: Vec::with_capacity(rows.len()),
        names: Vec::with_capacity(rows.len()),
        types: typed.then(|| Vec::with_capacity(rows.len())),
    };
    for mut fields in rows {
        fields.resize(3, String::new());
        let kind = fields.pop().unwrap_or_default();
        let name = fields.pop().unwrap_or_default();
        let id = fields.pop().unwrap_or_default();
        features
            .names
            .push(if name.is_empty() { id.clone() } else { name });
        features.ids.push(id);
        if let Some(types) = &mut features.types {
            types.push(kind);
        }
    }
    Ok(features)
}

/// Reads `matrix.mtx` (features × barcodes) into CSR arrays with barcodes as rows. The size
/// line must match `expected` (features, barcodes); `mismatch` words the error when not.
/// `keep` maps each feature to its column in the result, `None` dropping its entries (the
/// feature-type filter); without it every feature keeps its own column.
fn read_entries(
    mut reader: Input,
    expected: (usize, usize),
    keep: Option<&[Option<u32>]>,
    mismatch: impl FnOnce((usize, usize)) -> String,
) -> Result<CsrParts> {
    let name = reader.name().to_string();
    // One line buffer for the whole file: 57 million entries are 57 million lines.
    let mut text = String::new();
    let mut line_number = 0u64;
    let mut next_line = |text: &mut String| -> Result<bool> {
        line_number += 1;
        text.clear();
        let read = reader
            .read_line(text)
            .map_err(|e| Error::from_read(Where::line(name.clone(), line_number), e))?;
        let content = text.trim_end_matches(['\n', '\r']).len();
        text.truncate(content);
        Ok(read > 0)
    };
    next_line(&mut text)?;
    let banner_lower = text.to_ascii_lowercase();
    let fields: Vec<&str> = banner_lower.split_whitespace().collect();
    if fields.len() < 5 || fields[0] != "%%matrixmarket" || fields[2] != "coordinate" {
        return Err(Error::invalid(
            Where::line(name, 1),
            "not a Matrix Market coordinate file",
            "give the matrix.mtx written by Cell Ranger (first line '%%MatrixMarket matrix coordinate integer general')",
        ));
    }
    let pattern = fields[3] == "pattern";
    let mut size_line = 1u64;
    loop {
        if !next_line(&mut text)? {
            return Err(Error::Empty {
                at: Where::file(name),
                what: "matrix size line".into(),
            });
        }
        size_line += 1;
        if !(text.starts_with('%') || text.trim().is_empty()) {
            break;
        }
    }
    let dims: Vec<usize> = text
        .split_whitespace()
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()
        .filter(|d: &Vec<usize>| d.len() == 3)
        .ok_or_else(|| {
            Error::invalid(
                Where::line(name.clone(), size_line),
                format!("size line '{text}' is not 'rows columns entries'"),
                "repair the header of matrix.mtx",
            )
        })?;
    let (n_features, n_barcodes, n_entries) = (dims[0], dims[1], dims[2]);
    if (n_features, n_barcodes) != expected {
        return Err(Error::invalid(
            Where::line(name, size_line),
            mismatch((n_features, n_barcodes)),
            "use the features/genes and barcodes files written with this matrix (same Cell Ranger run)",
        ));
    }
    let possible = n_features.saturating_mul(n_barcodes);
    let mut entries = Entries::new(n_barcodes, n_entries.min(possible));
    let mut line = size_line;
    while next_line(&mut text)? {
        line += 1;
        let mut fields = text.split_whitespace();
        let (Some(feature), Some(barcode)) = (fields.next(), fields.next()) else {
            if text.trim().is_empty() {
                continue;
            }
            return Err(bad_entry(&name, line, &text));
        };
        let value = if pattern { Some("1") } else { fields.next() };
        let parsed = (
            feature.parse::<usize>(),
            barcode.parse::<usize>(),
            value.map(str::parse::<f32>),
        );
        let (Ok(feature), Ok(barcode), Some(Ok(value))) = parsed else {
            return Err(bad_entry(&name, line, &text));
        };
        if feature == 0 || feature > n_features || barcode == 0 || barcode > n_barcodes {
            return Err(Error::invalid(
                Where::line(name, line),
                format!(
                    "entry ({feature}, {barcode}) is outside the {n_features} × {n_barcodes} matrix"
                ),
                "indices are 1-based and must fit the size line; re-export the matrix",
            ));
        }
        if !value.is_finite() || value < 0.0 {
            return Err(Error::invalid(
                Where::line(name, line),
                format!("value {value} is negative or not finite"),
                "give non-negative counts",
            ));
        }
        // the feature's column in the result, or none when its type is not kept
        let column = match keep {
            Some(keep) => keep[feature - 1],
            None => Some((feature - 1) as u32),
        };
        if let Some(column) = column
            && value != 0.0
        {
            entries
                .push((barcode - 1) as u32, column, value)
                .map_err(|repeat| repeated(Where::line(name.clone(), line), repeat))?;
        }
    }
    if line - size_line != n_entries as u64 {
        return Err(Error::invalid(
            Where::file(name),
            format!(
                "{} entries, the size line promises {n_entries}",
                line - size_line
            ),
            "the file is incomplete; copy or export it again",
        ));
    }
    entries
        .finish()
        .map_err(|repeat| repeated(Where::file(name), repeat))
}

/// A (feature, barcode) pair given twice; `at` is the line of the second when it follows
/// the first, else the file.
fn repeated(at: Where, repeat: Repeat) -> Error {
    Error::invalid(
        at,
        format!(
            "second entry for feature {} and barcode {}",
            repeat.col + 1,
            repeat.row + 1
        ),
        "each (feature, barcode) pair may appear once; re-export the matrix",
    )
}

fn bad_entry(name: &str, line: u64, text: &str) -> Error {
    Error::invalid(
        Where::line(name, line),
        format!("entry '{text}' is not 'row column value'"),
        "repair or re-export matrix.mtx",
    )
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Write;

    use super::*;
    use crate::testdata::testdata;

    fn write_dir(matrix: &str, features: &str, barcodes: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::File::create(dir.path().join("matrix.mtx"))
            .unwrap()
            .write_all(matrix.as_bytes())
            .unwrap();
        fs::write(dir.path().join("features.tsv"), features).unwrap();
        fs::write(dir.path().join("barcodes.tsv"), barcodes).unwrap();
        dir
    }

    const FEATURES: &str = "ENSG1\tCD3E\tGene Expression\nENSG2\tMS4A1\tGene Expression\nENSG3\tCD3E\tGene Expression\n";

    #[test]
    fn small_directory_reads_into_sparse_cells_by_genes() {
        let matrix = "%%MatrixMarket matrix coordinate integer general\n%metadata_json: {}\n3 2 3\n1 1 4\n3 1 1\n2 2 7\n";
        let dir = write_dir(matrix, FEATURES, "AAAC-1\nAAAG-1\n");
        let counts = read_10x_mtx(dir.path(), &MtxOptions::default()).unwrap();
        assert_eq!(counts.row_names(), ["AAAC-1", "AAAG-1"]);
        assert_eq!(counts.col_names(), ["CD3E", "MS4A1", "CD3E-1"]);
        assert_eq!(counts.to_dense(), [4.0, 0.0, 1.0, 0.0, 7.0, 0.0]);
        let options = MtxOptions {
            gene_ids: true,
            ..MtxOptions::default()
        };
        let ids = read_10x_mtx(dir.path(), &options).unwrap();
        assert_eq!(ids.col_names(), ["ENSG1", "ENSG2", "ENSG3"]);
    }

    #[test]
    fn feature_type_keeps_its_features_and_drops_the_others_entries() {
        let features = "ENSG1\tCD3E\tGene Expression\nchr1:10-90\tchr1:10-90\tPeaks\tchr1\t10\t90\nENSG3\tCD3E\tGene Expression\n";
        let matrix =
            "%%MatrixMarket matrix coordinate integer general\n3 2 4\n1 1 4\n2 1 9\n3 2 1\n2 2 5\n";
        let dir = write_dir(matrix, features, "AAAC-1\nAAAG-1\n");
        let genes = read_10x_mtx(dir.path(), &MtxOptions::default()).unwrap();
        assert_eq!(genes.col_names(), ["CD3E", "CD3E-1"]);
        assert_eq!(genes.to_dense(), [4.0, 0.0, 0.0, 1.0]);
        let peaks = MtxOptions {
            feature_type: Some("Peaks".into()),
            ..MtxOptions::default()
        };
        let peaks = read_10x_mtx(dir.path(), &peaks).unwrap();
        assert_eq!(peaks.col_names(), ["chr1:10-90"]);
        assert_eq!(peaks.to_dense(), [9.0, 5.0]);
        let antibodies = MtxOptions {
            feature_type: Some("Antibody Capture".into()),
            ..MtxOptions::default()
        };
        let error = read_10x_mtx(dir.path(), &antibodies)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("features.tsv: no features of type 'Antibody Capture' — the file has 'Gene Expression' (2), 'Peaks' (1)"),
            "{error}"
        );
    }

    #[test]
    fn committed_gzip_directory_reads() {
        let counts = read_10x_mtx(testdata("counts_10x"), &MtxOptions::default()).unwrap();
        let tsv = crate::formats::table::read_expression(
            testdata("counts.tsv"),
            &crate::formats::table::ExpressionOptions::default(),
        )
        .unwrap();
        assert_eq!(counts.to_dense(), tsv.to_dense());
        assert!(counts.is_integer_counts());
    }

    #[test]
    fn dimension_mismatch_names_both_files() {
        let matrix = "%%MatrixMarket matrix coordinate integer general\n4 2 1\n1 1 4\n";
        let dir = write_dir(matrix, FEATURES, "AAAC-1\nAAAG-1\n");
        let error = read_10x_mtx(dir.path(), &MtxOptions::default()).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("matrix.mtx:line 2: matrix is 4 features × 2 barcodes"),
            "{message}"
        );
    }

    #[test]
    fn entries_outside_the_matrix_or_missing_are_errors() {
        let outside = "%%MatrixMarket matrix coordinate integer general\n3 2 1\n4 1 4\n";
        let dir = write_dir(outside, FEATURES, "AAAC-1\nAAAG-1\n");
        let error = read_10x_mtx(dir.path(), &MtxOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("line 3: entry (4, 1) is outside"),
            "{error}"
        );
        let short = "%%MatrixMarket matrix coordinate integer general\n3 2 2\n1 1 4\n";
        let dir = write_dir(short, FEATURES, "AAAC-1\nAAAG-1\n");
        let error = read_10x_mtx(dir.path(), &MtxOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("1 entries, the size line promises 2"),
            "{error}"
        );
    }

    #[test]
    fn absurd_entry_count_is_an_error_not_an_allocation() {
        let matrix = format!(
            "%%MatrixMarket matrix coordinate integer general\n3 2 {}\n1 1 4\n",
            usize::MAX
        );
        let dir = write_dir(&matrix, FEATURES, "AAAC-1\nAAAG-1\n");
        let error = read_10x_mtx(dir.path(), &MtxOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains(&format!("1 entries, the size line promises {}", usize::MAX)),
            "{error}"
        );
    }

    #[test]
    fn reader_level_entry_point_names_each_input() {
        let open = |name: &str, text: &str| {
            input::from_reader(name, std::io::Cursor::new(text.as_bytes().to_vec())).unwrap()
        };
        let matrix = "%%MatrixMarket matrix coordinate integer general\n3 2 1\n2 2 7\n";
        let counts = read_10x_mtx_from(
            open("m.mtx", matrix),
            open("f.tsv", FEATURES),
            open("b.tsv", "AAAC-1\nAAAG-1\n"),
            &MtxOptions::default(),
        )
        .unwrap();
        assert_eq!(counts.to_dense(), [0.0, 0.0, 0.0, 0.0, 7.0, 0.0]);
        let error = read_10x_mtx_from(
            open("m.mtx", matrix),
            open("f.tsv", FEATURES),
            open("b.tsv", "AAAC-1\n"),
            &MtxOptions::default(),
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("m.mtx:line 2: matrix is 3 features × 2 barcodes, but f.tsv lists 3 and b.tsv lists 1"),
            "{message}"
        );
    }

    #[test]
    fn missing_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let error = read_10x_mtx(dir.path(), &MtxOptions::default()).unwrap_err();
        assert!(
            error.to_string().contains("no matrix.mtx or matrix.mtx.gz"),
            "{error}"
        );
    }
}
