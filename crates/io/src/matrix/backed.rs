//! [`Backed`] storage: a matrix whose values stay in their file and are read a few rows at a
//! time (AnnData's backed mode, `--backed`), so memory does not grow with the number of rows.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Result;

/// Reads the stored entries of chosen rows of a sparse matrix held in a file.
pub trait RowReader: Send + Sync {
    /// Calls `visit(k, column, value)` for every stored entry of row `rows[k]` (columns of the
    /// file); `rows` is sorted ascending, so runs of consecutive rows can be read at once.
    fn read_rows(&self, rows: &[usize], visit: &mut dyn FnMut(usize, usize, f32)) -> Result<()>;

    /// What is read, for `Debug` (e.g. `pbmc.h5ad X`).
    fn describe(&self) -> String;
}

/// Values read on demand through a [`RowReader`], with the rows and columns a selection kept
/// and what a full pass over the file found (checked when the storage was made).
#[derive(Clone)]
pub struct Backed {
    reader: Arc<dyn RowReader>,
    /// The file row of each matrix row; `None`: the same.
    rows: Option<Arc<[usize]>>,
    /// The matrix column of each file column (`u32::MAX`: not kept); `None`: the same.
    cols: Option<Arc<[u32]>>,
    /// Per file column: holds a negative or non-integer value.
    non_integer: Arc<[bool]>,
    /// The first read that failed where it could not be reported, for the next
    /// [`Backed::try_fill_rows`].
    failure: Arc<Mutex<Option<crate::Error>>>,
}

impl Backed {
    /// Values of `reader`, whose file has `non_integer.len()` columns; `non_integer[c]` says
    /// whether file column `c` holds a negative or non-integer value.
    pub fn new(reader: Arc<dyn RowReader>, non_integer: Vec<bool>) -> Self {
        Self {
            reader,
            rows: None,
            cols: None,
            non_integer: non_integer.into(),
            failure: Arc::default(),
        }
    }

    /// Writes the given rows (of `n_cols` columns), in order, as dense row-major values.
    pub(crate) fn try_fill_rows(
        &self,
        rows: &[usize],
        out: &mut [f32],
        n_cols: usize,
    ) -> Result<()> {
        if let Some(error) = self.take_failure() {
            return Err(error);
        }
        out.fill(0.0);
        let file_row = |row: usize| self.rows.as_ref().map_or(row, |map| map[row]);
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_unstable_by_key(|&k| file_row(rows[k]));
        let sorted: Vec<usize> = order.iter().map(|&k| file_row(rows[k])).collect();
        self.reader.read_rows(&sorted, &mut |k, col, value| {
            let col = match &self.cols {
                Some(map) => match map[col] {
                    u32::MAX => return,
                    col => col as usize,
                },
                None => col,
            };
            out[order[k] * n_cols + col] = value;
        })
    }

    /// [`Backed::try_fill_rows`] for callers that cannot take an error: a failure is kept for
    /// the next `try_fill_rows` (or [`Backed::take_failure`]) and the rows read as zeros.
    pub(crate) fn fill_rows(&self, rows: &[usize], out: &mut [f32], n_cols: usize) {
        if let Err(error) = self.try_fill_rows(rows, out, n_cols) {
            out.fill(0.0);
            let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
            failure.get_or_insert(error);
        }
    }

    /// The failed read kept by [`Backed::fill_rows`], if any (taken: asked twice, `None`).
    pub(crate) fn take_failure(&self) -> Option<crate::Error> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// True when no kept column holds a negative or non-integer value.
    pub(crate) fn is_integer_counts(&self) -> bool {
        self.non_integer
            .iter()
            .enumerate()
            .all(|(col, &bad)| !bad || self.cols.as_ref().is_some_and(|map| map[col] == u32::MAX))
    }

    /// The matrix rows `rows` (indices checked by the caller), in that order.
    pub(crate) fn select_rows(&self, rows: &[usize]) -> Self {
        let file_rows: Vec<usize> = match &self.rows {
            Some(map) => rows.iter().map(|&r| map[r]).collect(),
            None => rows.to_vec(),
        };
        Self {
            rows: Some(file_rows.into()),
            ..self.clone()
        }
    }

    /// The matrix columns `cols` of a matrix of `n_cols` (indices checked by the caller), in
    /// that order.
    pub(crate) fn select_cols(&self, cols: &[usize], n_cols: usize) -> Self {
        let mut position = vec![u32::MAX; n_cols];
        for (new, &old) in cols.iter().enumerate() {
            position[old] = new as u32;
        }
        let map: Vec<u32> = (0..self.non_integer.len())
            .map(|file_col| match &self.cols {
                Some(map) if map[file_col] == u32::MAX => u32::MAX,
                Some(map) => position[map[file_col] as usize],
                None => position[file_col],
            })
            .collect();
        Self {
            cols: Some(map.into()),
            ..self.clone()
        }
    }
}

/// Equal when they read the same file element with the same selection.
impl PartialEq for Backed {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.reader, &other.reader)
            && self.rows == other.rows
            && self.cols == other.cols
    }
}

impl fmt::Debug for Backed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backed")
            .field("reader", &self.reader.describe())
            .field("rows", &self.rows.as_ref().map(|rows| rows.len()))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, FeatureMatrix, Where};

    /// Two rows of two columns on "disk"; reading row 1 fails (a file cut short).
    struct CutShort;

    impl RowReader for CutShort {
        fn read_rows(
            &self,
            rows: &[usize],
            visit: &mut dyn FnMut(usize, usize, f32),
        ) -> Result<()> {
            for (k, &row) in rows.iter().enumerate() {
                if row == 1 {
                    return Err(Error::invalid(
                        Where::other("cut.h5ad", "X/data"),
                        "truncated",
                        "copy it again",
                    ));
                }
                visit(k, 1, 5.0);
            }
            Ok(())
        }

        fn describe(&self) -> String {
            "cut.h5ad X".into()
        }
    }

    fn matrix() -> FeatureMatrix {
        let names = |prefix: &str| vec![format!("{prefix}1"), format!("{prefix}2")];
        let backed = Backed::new(Arc::new(CutShort), vec![false, true]);
        FeatureMatrix::from_backed(names("cell"), names("gene"), backed).unwrap()
    }

    #[test]
    fn a_failed_read_is_returned_or_kept_for_the_next_check() {
        let matrix = matrix();
        let mut out = [9.0; 4];
        matrix.try_fill_rows(&[0, 0], &mut out).unwrap();
        assert_eq!(out, [0.0, 5.0, 0.0, 5.0]);
        let message = matrix
            .try_fill_rows(&[0, 1], &mut out)
            .unwrap_err()
            .to_string();
        assert!(message.contains("cut.h5ad:X/data: truncated"), "{message}");
        // `fill_rows` cannot fail: zeros, and the error waits for `check_reads` (once).
        matrix.fill_rows(&[1], &mut out[..2]);
        assert_eq!(out[..2], [0.0, 0.0]);
        assert!(matrix.check_reads().is_err());
        assert!(matrix.check_reads().is_ok());
        // ...or for the next `try_fill_rows`, even of a good row.
        matrix.fill_rows(&[1], &mut out[..2]);
        assert!(matrix.try_fill_rows(&[0], &mut out[..2]).is_err());
    }

    #[test]
    fn selections_map_rows_and_columns_and_integer_columns() {
        let matrix = matrix();
        assert!(
            !matrix.is_integer_counts(),
            "gene2 holds a non-integer value"
        );
        let gene1 = matrix.select_cols(&[0]).unwrap();
        assert!(gene1.is_integer_counts());
        let swapped = matrix
            .select_cols(&[1, 0])
            .unwrap()
            .select_rows(&[0])
            .unwrap();
        let mut out = [9.0; 2];
        swapped.try_fill_rows(&[0], &mut out).unwrap();
        assert_eq!(out, [5.0, 0.0]);
        assert_eq!(swapped.row_names(), ["cell1"]);
    }
}
