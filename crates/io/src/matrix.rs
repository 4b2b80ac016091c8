//! [`FeatureMatrix`]: named observations × named features, the one type every reader returns.
//!
//! Values are stored in the most compact form the data allows — dense `f32` row-major,
//! sparse CSR for count matrices, one byte per genotype dosage — and handed to the model
//! as dense `f32` rows on demand through [`FeatureMatrix::fill_rows`]. [`Backed`] storage
//! leaves the values in their file and reads the rows asked for (`--backed`).

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::Path;

use crate::error::{Error, Result, Where};

mod backed;
mod padding;

pub use backed::{Backed, RowReader};

/// Name used in errors about matrices built in memory.
const MATRIX: &str = "matrix";

/// Dosage code meaning "missing"; such entries read as the column's fill value.
pub const DOSAGE_MISSING: u8 = u8::MAX;

/// How the values of a [`FeatureMatrix`] are held.
#[derive(Debug, Clone, PartialEq)]
pub enum Storage {
    /// Dense row-major `f32`, `n_rows * n_cols` values.
    Dense(Vec<f32>),
    /// Compressed sparse rows, typical for count matrices.
    Sparse(Csr),
    /// One byte per entry (allele dosage), [`DOSAGE_MISSING`] replaced by a per-column value.
    Dosage(Dosage),
    /// Sparse rows left in their file, read on demand.
    Backed(Backed),
}

/// Compressed sparse row storage: row `r` holds `indices[indptr[r]..indptr[r+1]]` with
/// matching `values`; column indices strictly increase within a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl Csr {
    /// Row pointers, `n_rows + 1` long.
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// Column index of each stored value.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// The stored (typically nonzero) values.
    pub fn values(&self) -> &[f32] {
        &self.values
    }
}

/// Byte-per-entry dosages, row-major, with the value that stands in for missing entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Dosage {
    codes: Vec<u8>,
    missing_fill: Vec<f32>,
}

impl Dosage {
    /// Row-major codes; [`DOSAGE_MISSING`] marks a missing entry.
    pub fn codes(&self) -> &[u8] {
        &self.codes
    }

    /// Per-column value read in place of a missing entry (e.g. the site mean).
    pub fn missing_fill(&self) -> &[f32] {
        &self.missing_fill
    }
}

/// Observations (rows) × features (columns), with names on both axes.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    row_names: Vec<String>,
    col_names: Vec<String>,
    storage: Storage,
}

impl FeatureMatrix {
    /// Dense row-major values, `values.len() == row_names.len() * col_names.len()`.
    /// Names must be unique and values finite.
    pub fn from_dense(
        row_names: Vec<String>,
        col_names: Vec<String>,
        values: Vec<f32>,
    ) -> Result<Self> {
        check_names(&row_names, "row")?;
        check_names(&col_names, "column")?;
        let expected = row_names.len() * col_names.len();
        if values.len() != expected {
            return Err(Error::invalid(
                Where::file(MATRIX),
                format!(
                    "{} values for {} rows × {} columns (expected {expected})",
                    values.len(),
                    row_names.len(),
                    col_names.len()
                ),
                "give exactly one value per row and column, row-major",
            ));
        }
        if let Some(at) = values.iter().position(|v| !v.is_finite()) {
            let n_cols = col_names.len();
            return Err(non_finite(&row_names[at / n_cols], &col_names[at % n_cols]));
        }
        Ok(Self {
            row_names,
            col_names,
            storage: Storage::Dense(values),
        })
    }

    /// Sparse rows (CSR): `indptr` has `n_rows + 1` non-decreasing entries starting at 0,
    /// column `indices` strictly increase within each row, values are finite.
    pub fn from_csr(
        row_names: Vec<String>,
        col_names: Vec<String>,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f32>,
    ) -> Result<Self> {
        check_names(&row_names, "row")?;
        check_names(&col_names, "column")?;
        let fix = "build CSR with indptr of n_rows + 1 entries and sorted column indices per row";
        if indptr.len() != row_names.len() + 1
            || indptr[0] != 0
            || indptr[row_names.len()] != indices.len()
            || indices.len() != values.len()
        {
            return Err(Error::invalid(
                Where::file(MATRIX),
                format!(
                    "inconsistent CSR sizes: {} row pointers for {} rows, {} indices, {} values",
                    indptr.len(),
                    row_names.len(),
                    indices.len(),
                    values.len()
                ),
                fix,
            ));
        }
        for (row, bounds) in indptr.windows(2).enumerate() {
            if bounds[0] > bounds[1] {
                return Err(Error::invalid(
                    Where::other(MATRIX, format!("row '{}'", row_names[row])),
                    "row pointers decrease",
                    fix,
                ));
            }
            let columns = &indices[bounds[0]..bounds[1]];
            let sorted = columns.windows(2).all(|pair| pair[0] < pair[1]);
            let in_range = columns
                .last()
                .is_none_or(|&c| (c as usize) < col_names.len());
            if !sorted || !in_range {
                return Err(Error::invalid(
                    Where::other(MATRIX, format!("row '{}'", row_names[row])),
                    "column indices are unsorted, repeated or out of range",
                    fix,
                ));
            }
            if let Some(at) = values[bounds[0]..bounds[1]]
                .iter()
                .position(|v| !v.is_finite())
            {
                return Err(non_finite(
                    &row_names[row],
                    &col_names[columns[at] as usize],
                ));
            }
        }
        Ok(Self {
            row_names,
            col_names,
            storage: Storage::Sparse(Csr {
                indptr,
                indices,
                values,
            }),
        })
    }

    /// Values read on demand through `backed` (checked when it was made), rows and columns
    /// named; names must be unique.
    pub fn from_backed(
        row_names: Vec<String>,
        col_names: Vec<String>,
        backed: Backed,
    ) -> Result<Self> {
        check_names(&row_names, "row")?;
        check_names(&col_names, "column")?;
        Ok(Self {
            row_names,
            col_names,
            storage: Storage::Backed(backed),
        })
    }

    /// Byte dosages, row-major; entries equal to [`DOSAGE_MISSING`] read as
    /// `missing_fill[column]` (finite, one per column).
    pub fn from_dosage(
        row_names: Vec<String>,
        col_names: Vec<String>,
        codes: Vec<u8>,
        missing_fill: Vec<f32>,
    ) -> Result<Self> {
        check_names(&row_names, "row")?;
        check_names(&col_names, "column")?;
        if codes.len() != row_names.len() * col_names.len() || missing_fill.len() != col_names.len()
        {
            return Err(Error::invalid(
                Where::file(MATRIX),
                format!(
                    "{} dosages and {} fill values for {} rows × {} columns",
                    codes.len(),
                    missing_fill.len(),
                    row_names.len(),
                    col_names.len()
                ),
                "give one dosage per row and column and one fill value per column",
            ));
        }
        if let Some(col) = missing_fill.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(
                Where::other(MATRIX, format!("column '{}'", col_names[col])),
                "missing-genotype fill value is not finite",
                "use a finite fill value (e.g. the site mean)",
            ));
        }
        Ok(Self {
            row_names,
            col_names,
            storage: Storage::Dosage(Dosage {
                codes,
                missing_fill,
            }),
        })
    }

    /// Observation names, one per row.
    pub fn row_names(&self) -> &[String] {
        &self.row_names
    }

    /// Feature names, one per column.
    pub fn col_names(&self) -> &[String] {
        &self.col_names
    }

    /// Number of observations.
    pub fn n_rows(&self) -> usize {
        self.row_names.len()
    }

    /// Number of features.
    pub fn n_cols(&self) -> usize {
        self.col_names.len()
    }

    /// The stored values.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Writes the given rows, in order, as dense row-major `f32` into `out`. A failed read
    /// of [`Backed`] storage reads as zeros and is kept for [`FeatureMatrix::check_reads`]
    /// (or the next [`FeatureMatrix::try_fill_rows`]).
    ///
    /// # Panics
    /// If `out.len() != rows.len() * n_cols()` or a row index is out of range (both are
    /// caller bugs, not input errors).
    pub fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        let n_cols = self.n_cols();
        self.check_fill(rows, out);
        if n_cols == 0 {
            return;
        }
        for (&row, target) in rows.iter().zip(out.chunks_exact_mut(n_cols)) {
            match &self.storage {
                Storage::Dense(values) => {
                    target.copy_from_slice(&values[row * n_cols..(row + 1) * n_cols]);
                }
                Storage::Sparse(csr) => {
                    target.fill(0.0);
                    let span = csr.indptr[row]..csr.indptr[row + 1];
                    for (&col, &value) in csr.indices[span.clone()].iter().zip(&csr.values[span]) {
                        target[col as usize] = value;
                    }
                }
                Storage::Backed(backed) => return backed.fill_rows(rows, out, n_cols),
                Storage::Dosage(dosage) => {
                    let codes = &dosage.codes[row * n_cols..(row + 1) * n_cols];
                    for ((slot, &code), &fill) in
                        target.iter_mut().zip(codes).zip(&dosage.missing_fill)
                    {
                        *slot = if code == DOSAGE_MISSING {
                            fill
                        } else {
                            f32::from(code)
                        };
                    }
                }
            }
        }
    }

    /// Panics when `out` does not hold `rows` or a row is out of range (caller bugs).
    fn check_fill(&self, rows: &[usize], out: &[f32]) {
        let n_cols = self.n_cols();
        assert_eq!(
            out.len(),
            rows.len() * n_cols,
            "fill_rows: output holds {} values, {} rows × {n_cols} columns need {}",
            out.len(),
            rows.len(),
            rows.len() * n_cols
        );
        if let Some(&row) = rows.iter().find(|&&row| row >= self.n_rows()) {
            panic!("fill_rows: row {row} of {}", self.n_rows());
        }
    }

    /// [`FeatureMatrix::fill_rows`], reporting a failed read of [`Backed`] storage (one
    /// that `fill_rows` kept included); in-memory storage never fails.
    pub fn try_fill_rows(&self, rows: &[usize], out: &mut [f32]) -> Result<()> {
        match &self.storage {
            Storage::Backed(backed) if self.n_cols() > 0 => {
                self.check_fill(rows, out);
                backed.try_fill_rows(rows, out, self.n_cols())
            }
            _ => {
                self.fill_rows(rows, out);
                Ok(())
            }
        }
    }

    /// The first read of [`Backed`] storage that failed inside [`FeatureMatrix::fill_rows`]
    /// (which cannot report it), if any; `Ok` for in-memory storage.
    pub fn check_reads(&self) -> Result<()> {
        match &self.storage {
            Storage::Backed(backed) => backed.take_failure().map_or(Ok(()), Err),
            _ => Ok(()),
        }
    }

    /// All values as dense row-major `f32`.
    pub fn to_dense(&self) -> Vec<f32> {
        if let Storage::Dense(values) = &self.storage {
            return values.clone();
        }
        let rows: Vec<usize> = (0..self.n_rows()).collect();
        let mut out = vec![0.0; self.n_rows() * self.n_cols()];
        self.fill_rows(&rows, &mut out);
        out
    }

    /// True when every value is a non-negative whole number (count likelihoods apply).
    pub fn is_integer_counts(&self) -> bool {
        let is_count = |v: &f32| *v >= 0.0 && v.fract() == 0.0;
        match &self.storage {
            Storage::Dense(values) => values.iter().all(is_count),
            Storage::Sparse(csr) => csr.values.iter().all(is_count),
            Storage::Backed(backed) => backed.is_integer_counts(),
            Storage::Dosage(dosage) => {
                let n_cols = self.n_cols();
                dosage.codes.iter().enumerate().all(|(i, &code)| {
                    code != DOSAGE_MISSING
                        || (n_cols > 0 && is_count(&dosage.missing_fill[i % n_cols]))
                })
            }
        }
    }

    /// A new matrix holding the given rows in the given order (same storage kind).
    /// Indices must be in range and not repeat.
    pub fn select_rows(&self, rows: &[usize]) -> Result<Self> {
        check_indices(rows, self.n_rows(), "row")?;
        let row_names: Vec<String> = rows.iter().map(|&r| self.row_names[r].clone()).collect();
        let n_cols = self.n_cols();
        let storage = match &self.storage {
            Storage::Dense(values) => Storage::Dense(
                rows.iter()
                    .flat_map(|&r| values[r * n_cols..(r + 1) * n_cols].iter().copied())
                    .collect(),
            ),
            Storage::Sparse(csr) => {
                let mut indptr = Vec::with_capacity(rows.len() + 1);
                indptr.push(0);
                let mut indices = Vec::new();
                let mut values = Vec::new();
                for &r in rows {
                    let span = csr.indptr[r]..csr.indptr[r + 1];
                    indices.extend_from_slice(&csr.indices[span.clone()]);
                    values.extend_from_slice(&csr.values[span]);
                    indptr.push(indices.len());
                }
                Storage::Sparse(Csr {
                    indptr,
                    indices,
                    values,
                })
            }
            Storage::Dosage(dosage) => Storage::Dosage(Dosage {
                codes: rows
                    .iter()
                    .flat_map(|&r| dosage.codes[r * n_cols..(r + 1) * n_cols].iter().copied())
                    .collect(),
                missing_fill: dosage.missing_fill.clone(),
            }),
            Storage::Backed(backed) => Storage::Backed(backed.select_rows(rows)),
        };
        Ok(Self {
            row_names,
            col_names: self.col_names.clone(),
            storage,
        })
    }

    /// A new matrix holding the given columns in the given order (same storage kind).
    /// Indices must be in range and not repeat.
    pub fn select_cols(&self, cols: &[usize]) -> Result<Self> {
        check_indices(cols, self.n_cols(), "column")?;
        let col_names: Vec<String> = cols.iter().map(|&c| self.col_names[c].clone()).collect();
        let n_cols = self.n_cols();
        let storage = match &self.storage {
            Storage::Dense(values) => Storage::Dense(
                (0..self.n_rows())
                    .flat_map(|r| cols.iter().map(move |&c| values[r * n_cols + c]))
                    .collect(),
            ),
            Storage::Sparse(csr) => {
                let mut new_index = vec![u32::MAX; n_cols];
                for (new, &old) in cols.iter().enumerate() {
                    new_index[old] = new as u32;
                }
                let mut indptr = Vec::with_capacity(self.n_rows() + 1);
                indptr.push(0);
                let mut entries: Vec<(u32, f32)> = Vec::new();
                let mut indices = Vec::new();
                let mut values = Vec::new();
                for bounds in csr.indptr.windows(2) {
                    entries.clear();
                    for i in bounds[0]..bounds[1] {
                        let mapped = new_index[csr.indices[i] as usize];
                        if mapped != u32::MAX {
                            entries.push((mapped, csr.values[i]));
                        }
                    }
                    entries.sort_unstable_by_key(|&(col, _)| col);
                    indices.extend(entries.iter().map(|&(col, _)| col));
                    values.extend(entries.iter().map(|&(_, value)| value));
                    indptr.push(indices.len());
                }
                Storage::Sparse(Csr {
                    indptr,
                    indices,
                    values,
                })
            }
            Storage::Dosage(dosage) => Storage::Dosage(Dosage {
                codes: (0..self.n_rows())
                    .flat_map(|r| cols.iter().map(move |&c| dosage.codes[r * n_cols + c]))
                    .collect(),
                missing_fill: cols.iter().map(|&c| dosage.missing_fill[c]).collect(),
            }),
            Storage::Backed(backed) => Storage::Backed(backed.select_cols(cols, n_cols)),
        };
        Ok(Self {
            row_names: self.row_names.clone(),
            col_names,
            storage,
        })
    }

    /// Writes a tab-separated table: header `id` + column names, then one line per row
    /// (row name, values). Atomic: written to a temporary file in the same directory,
    /// then renamed over `path`; the path `-` writes to standard output.
    pub fn write_tsv(&self, path: impl AsRef<Path>) -> Result<()> {
        self.write_rows(path.as_ref(), |out, read| {
            out.write_all(b"id")?;
            for name in &self.col_names {
                write!(out, "\t{name}")?;
            }
            out.write_all(b"\n")?;
            let mut row = vec![0.0f32; self.n_cols()];
            for (index, name) in self.row_names.iter().enumerate() {
                read(index, &mut row)?;
                out.write_all(name.as_bytes())?;
                for value in &row {
                    write!(out, "\t{value}")?;
                }
                out.write_all(b"\n")?;
            }
            Ok(())
        })
    }

    /// Writes the values as a NumPy `.npy` file (format 1.0, little-endian `<f4`, C order,
    /// shape `(n_rows, n_cols)`) that `numpy.load` reads. Names are not stored; write them
    /// with [`FeatureMatrix::write_tsv`] or alongside. Atomic like `write_tsv`.
    pub fn write_npy(&self, path: impl AsRef<Path>) -> Result<()> {
        self.write_rows(path.as_ref(), |out, read| {
            out.write_all(&npy_header(self.n_rows(), self.n_cols()))?;
            let mut row = vec![0.0f32; self.n_cols()];
            let mut bytes = Vec::with_capacity(self.n_cols() * 4);
            for index in 0..self.n_rows() {
                read(index, &mut row)?;
                bytes.clear();
                bytes.extend(row.iter().flat_map(|v| v.to_le_bytes()));
                out.write_all(&bytes)?;
            }
            Ok(())
        })
    }

    /// Writes `path` atomically through `body`, which reads each row with `read(index, row)`;
    /// a failed read of [`Backed`] storage stops the write (nothing is left) and is returned.
    fn write_rows(
        &self,
        path: &Path,
        body: impl FnOnce(&mut dyn Write, &mut RowRead<'_>) -> io::Result<()>,
    ) -> Result<()> {
        let mut failed = None;
        let written = write_atomic(path, |out| {
            body(
                out,
                &mut |index, row| match self.try_fill_rows(&[index], row) {
                    Ok(()) => Ok(()),
                    Err(error) => {
                        failed = Some(error);
                        Err(io::Error::other("reading rows failed"))
                    }
                },
            )
        });
        failed.map_or(written, Err)
    }
}

/// Reads row `index` into the buffer, as [`FeatureMatrix::write_rows`] hands it out.
type RowRead<'a> = dyn FnMut(usize, &mut [f32]) -> io::Result<()> + 'a;

/// The `.npy` v1.0 preamble: magic, version, header length, header dict padded with
/// spaces and a newline so the data starts on a 64-byte boundary.
fn npy_header(n_rows: usize, n_cols: usize) -> Vec<u8> {
    let mut dict =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({n_rows}, {n_cols}), }}");
    let preamble = 10;
    let padded = (preamble + dict.len() + 1).div_ceil(64) * 64;
    dict.push_str(&" ".repeat(padded - preamble - dict.len() - 1));
    dict.push('\n');
    let mut header = b"\x93NUMPY\x01\x00".to_vec();
    header.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    header.extend_from_slice(dict.as_bytes());
    header
}

/// The error for a NaN or infinite value at row `row`, column `col` (by name).
pub(crate) fn non_finite(row: &str, col: &str) -> Error {
    Error::invalid(
        Where::other(MATRIX, format!("row '{row}', column '{col}'")),
        "value is NaN or infinite",
        "remove or impute non-finite values before building the matrix",
    )
}

fn check_names(names: &[String], kind: &str) -> Result<()> {
    let mut seen = HashSet::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        if !seen.insert(name.as_str()) {
            return Err(Error::DuplicateName {
                at: Where::other(MATRIX, format!("{kind} {}", index + 1)),
                kind: kind.to_string(),
                name: name.clone(),
            });
        }
    }
    Ok(())
}

fn check_indices(indices: &[usize], len: usize, kind: &str) -> Result<()> {
    let mut seen = vec![false; len];
    for &index in indices {
        if index >= len || std::mem::replace(&mut seen[index], true) {
            return Err(Error::invalid(
                Where::file(MATRIX),
                format!("{kind} index {index} is out of range (0..{len}) or repeated"),
                format!("select each {kind} at most once, by a valid index"),
            ));
        }
    }
    Ok(())
}

/// Writes `path` through `body` with [`vaebio_fs::write_atomic`] (whole or not at all; `-`
/// is standard output), naming the file in any error.
pub(crate) fn write_atomic(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let name = path.display().to_string();
    if path == Path::new("-") {
        return vaebio_fs::write_atomic(path, body).map_err(|e| Error::io("<stdout>", e));
    }
    if path.file_name().is_none() {
        return Err(Error::invalid(
            Where::file(name),
            "output path names no file",
            "give a file path such as out/matrix.tsv",
        ));
    }
    vaebio_fs::write_atomic(path, body).map_err(|e| Error::io(name, e))
}

/// The model and the analyses read rows straight out of the matrix (dense, sparse or
/// dosage) without densifying all of it.
impl vaebio_analysis::RowSource for FeatureMatrix {
    fn n_rows(&self) -> usize {
        FeatureMatrix::n_rows(self)
    }

    fn n_cols(&self) -> usize {
        FeatureMatrix::n_cols(self)
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        FeatureMatrix::fill_rows(self, rows, out);
    }

    fn try_fill_rows(
        &self,
        rows: &[usize],
        out: &mut [f32],
    ) -> std::result::Result<(), vaebio_analysis::RowError> {
        Ok(FeatureMatrix::try_fill_rows(self, rows, out)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    /// rows: [1 0 2], [0 0 3]
    fn sparse() -> FeatureMatrix {
        FeatureMatrix::from_csr(
            names("cell", 2),
            names("gene", 3),
            vec![0, 2, 3],
            vec![0, 2, 2],
            vec![1.0, 2.0, 3.0],
        )
        .unwrap()
    }

    #[test]
    fn storages_agree_on_dense_values() {
        assert_eq!(sparse().to_dense(), vec![1.0, 0.0, 2.0, 0.0, 0.0, 3.0]);
        let dosage = FeatureMatrix::from_dosage(
            names("s", 2),
            names("site", 2),
            vec![0, DOSAGE_MISSING, 2, 1],
            vec![0.5, 1.5],
        )
        .unwrap();
        assert_eq!(dosage.to_dense(), vec![0.0, 1.5, 2.0, 1.0]);
        assert!(!dosage.is_integer_counts());
        let mut out = vec![0.0; 4];
        dosage.fill_rows(&[1, 0], &mut out);
        assert_eq!(out, vec![2.0, 1.0, 0.0, 1.5]);
    }

    #[test]
    fn integer_counts_detected() {
        assert!(sparse().is_integer_counts());
        let m = FeatureMatrix::from_dense(names("r", 1), names("c", 2), vec![1.0, 0.5]).unwrap();
        assert!(!m.is_integer_counts());
        let m = FeatureMatrix::from_dense(names("r", 1), names("c", 2), vec![1.0, -1.0]).unwrap();
        assert!(!m.is_integer_counts());
    }

    #[test]
    fn select_rows_and_cols_keep_names_and_values() {
        let m = sparse();
        let picked = m.select_cols(&[2, 0]).unwrap();
        assert_eq!(picked.col_names(), &["gene2", "gene0"]);
        assert_eq!(picked.to_dense(), vec![2.0, 1.0, 3.0, 0.0]);
        let picked = m.select_rows(&[1]).unwrap();
        assert_eq!(picked.row_names(), &["cell1"]);
        assert_eq!(picked.to_dense(), vec![0.0, 0.0, 3.0]);
        let dense = FeatureMatrix::from_dense(names("r", 2), names("c", 3), m.to_dense()).unwrap();
        assert_eq!(
            dense.select_cols(&[2, 0]).unwrap().to_dense(),
            vec![2.0, 1.0, 3.0, 0.0]
        );
        assert!(m.select_rows(&[0, 0]).is_err());
        assert!(m.select_cols(&[3]).is_err());
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let error =
            FeatureMatrix::from_dense(vec!["a".into(), "a".into()], names("c", 1), vec![1.0, 2.0])
                .unwrap_err();
        assert!(matches!(error, Error::DuplicateName { .. }), "{error}");
        assert!(error.to_string().contains("'a'"));
    }

    #[test]
    fn ragged_sizes_are_rejected() {
        assert!(FeatureMatrix::from_dense(names("r", 2), names("c", 2), vec![1.0; 3]).is_err());
        assert!(
            FeatureMatrix::from_csr(names("r", 1), names("c", 2), vec![0, 1], vec![5], vec![1.0])
                .is_err()
        );
        assert!(
            FeatureMatrix::from_csr(
                names("r", 1),
                names("c", 3),
                vec![0, 2],
                vec![1, 0],
                vec![1.0, 1.0]
            )
            .is_err()
        );
        assert!(
            FeatureMatrix::from_dosage(names("r", 1), names("c", 2), vec![0, 1], vec![0.0])
                .is_err()
        );
        assert!(FeatureMatrix::from_dense(names("r", 1), names("c", 1), vec![f32::NAN]).is_err());
    }

    #[test]
    fn tsv_has_id_header_and_round_trip_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.tsv");
        sparse().write_tsv(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "id\tgene0\tgene1\tgene2\ncell0\t1\t0\t2\ncell1\t0\t0\t3\n"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file left behind"
        );
    }

    /// Files written this way load with `numpy.load` (checked by hand with numpy 2.4:
    /// dtype float32, C order, values equal to `np.loadtxt` of the TSV).
    #[test]
    fn npy_header_is_aligned_and_data_little_endian() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npy");
        let m = FeatureMatrix::from_dense(names("r", 2), names("c", 2), vec![1.0, -2.5, 0.0, 3.25])
            .unwrap();
        m.write_npy(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 2)") && header.ends_with('\n'));
        let data: Vec<f32> = bytes[10 + header_len..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(data, vec![1.0, -2.5, 0.0, 3.25]);
    }

    #[test]
    fn writing_into_a_missing_directory_is_an_os_error() {
        let error = sparse().write_tsv("/nonexistent/dir/m.tsv").unwrap_err();
        assert!(matches!(error, Error::Io { .. }));
    }
}
