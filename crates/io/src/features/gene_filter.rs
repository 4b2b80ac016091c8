//! Count-matrix filters as scanpy applies them: `filter_cells(min_genes)` drops observations
//! with fewer than `min_genes` expressed (nonzero) features, then `filter_genes(min_cells)`
//! drops features expressed in fewer than `min_cells` of the remaining observations.

use crate::error::{Error, Result, Where};
use crate::matrix::{DOSAGE_MISSING, FeatureMatrix, Storage};

/// Thresholds for [`filter_counts`]; 0 turns a filter off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountFilter {
    /// Keep features nonzero in at least this many observations.
    pub min_cells: usize,
    /// Keep observations with at least this many nonzero features.
    pub min_genes: usize,
}

/// What [`filter_counts`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilterReport {
    /// Observations (rows) removed by `min_genes`.
    pub observations_removed: usize,
    /// Features (columns) removed by `min_cells`.
    pub features_removed: usize,
}

/// Applies `min_genes` to rows, then `min_cells` to columns.
pub fn filter_counts(
    matrix: &FeatureMatrix,
    filter: &CountFilter,
) -> Result<(FeatureMatrix, FilterReport)> {
    let mut genes_per_row = vec![0usize; matrix.n_rows()];
    for_each_nonzero(matrix, |row, _, _| genes_per_row[row] += 1);
    let rows: Vec<usize> = (0..matrix.n_rows())
        .filter(|&row| genes_per_row[row] >= filter.min_genes)
        .collect();
    let kept_rows = if rows.len() == matrix.n_rows() {
        matrix.clone()
    } else {
        matrix.select_rows(&rows)?
    };
    let mut cells_per_col = vec![0usize; kept_rows.n_cols()];
    for_each_nonzero(&kept_rows, |_, col, _| cells_per_col[col] += 1);
    let cols: Vec<usize> = (0..kept_rows.n_cols())
        .filter(|&col| cells_per_col[col] >= filter.min_cells)
        .collect();
    if rows.is_empty() || cols.is_empty() {
        return Err(Error::invalid(
            Where::file("matrix"),
            format!(
                "filters min_genes = {} and min_cells = {} leave {} rows × {} columns",
                filter.min_genes,
                filter.min_cells,
                rows.len(),
                cols.len()
            ),
            "lower min_genes / min_cells",
        ));
    }
    let report = FilterReport {
        observations_removed: matrix.n_rows() - rows.len(),
        features_removed: kept_rows.n_cols() - cols.len(),
    };
    let filtered = if cols.len() == kept_rows.n_cols() {
        kept_rows
    } else {
        kept_rows.select_cols(&cols)?
    };
    Ok((filtered, report))
}

/// Rows of a [`Storage::Backed`] matrix read at a time.
const BACKED_WINDOW_ROWS: usize = 1024;

/// Calls `visit(row, col, value)` for every nonzero value, row by row, whatever the storage
/// (a missing dosage counts with its fill value).
pub(crate) fn for_each_nonzero(matrix: &FeatureMatrix, mut visit: impl FnMut(usize, usize, f32)) {
    let n_cols = matrix.n_cols();
    match matrix.storage() {
        Storage::Sparse(csr) => {
            for (row, bounds) in csr.indptr().windows(2).enumerate() {
                for at in bounds[0]..bounds[1] {
                    if csr.values()[at] != 0.0 {
                        visit(row, csr.indices()[at] as usize, csr.values()[at]);
                    }
                }
            }
        }
        Storage::Dense(values) => {
            for (at, &value) in values.iter().enumerate() {
                if value != 0.0 {
                    visit(at / n_cols, at % n_cols, value);
                }
            }
        }
        Storage::Backed(_) => {
            // A window of rows at a time, so the file is not loaded whole.
            let mut values = Vec::new();
            for start in (0..matrix.n_rows()).step_by(BACKED_WINDOW_ROWS) {
                let rows: Vec<usize> =
                    (start..matrix.n_rows().min(start + BACKED_WINDOW_ROWS)).collect();
                values.resize(rows.len() * n_cols, 0.0);
                matrix.fill_rows(&rows, &mut values);
                for (at, &value) in values.iter().enumerate() {
                    if value != 0.0 {
                        visit(start + at / n_cols, at % n_cols, value);
                    }
                }
            }
        }
        Storage::Dosage(dosage) => {
            for (at, &code) in dosage.codes().iter().enumerate() {
                let value = if code == DOSAGE_MISSING {
                    dosage.missing_fill()[at % n_cols]
                } else {
                    f32::from(code)
                };
                if value != 0.0 {
                    visit(at / n_cols, at % n_cols, value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    #[test]
    fn cells_then_genes_as_scanpy_orders_them() {
        // 4 cells × 3 genes; by hand: cells 1 and 3 have one expressed gene each → removed by
        // min_genes 2; gene 2 was expressed only in cell 3, so it is left in 0 cells → removed
        // by min_cells 1 (it would have passed had genes been filtered first).
        let matrix = FeatureMatrix::from_dense(
            names("c", 4),
            names("g", 3),
            vec![1.0, 2.0, 0.0, 0.0, 3.0, 0.0, 4.0, 1.0, 0.0, 0.0, 0.0, 9.0],
        )
        .unwrap();
        let filter = CountFilter {
            min_cells: 1,
            min_genes: 2,
        };
        let (filtered, report) = filter_counts(&matrix, &filter).unwrap();
        assert_eq!(filtered.row_names(), ["c0", "c2"]);
        assert_eq!(filtered.col_names(), ["g0", "g1"]);
        assert_eq!(
            report,
            FilterReport {
                observations_removed: 2,
                features_removed: 1
            }
        );
    }

    #[test]
    fn filtering_everything_is_an_error() {
        let matrix = FeatureMatrix::from_dense(names("c", 1), names("g", 1), vec![1.0]).unwrap();
        let filter = CountFilter {
            min_cells: 2,
            min_genes: 0,
        };
        assert!(filter_counts(&matrix, &filter).is_err());
    }
}
