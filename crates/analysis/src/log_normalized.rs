//! Counts as single-cell PCA reads them: each cell scaled to 10,000 counts, `ln(1 + x)`, each
//! gene z-scored (unbiased SD; a gene without spread keeps SD 1) and clipped at ±10 — scanpy's
//! `normalize_total(target_sum=1e4)`, `log1p` and `scale(max_value=10)`, the pipeline behind
//! the PCA a single-cell user compares with. PCA of raw counts instead follows the few most
//! expressed genes and each cell's depth.

use crate::matrix::{RowError, RowSource, column_sums};

/// Largest absolute z-score kept (scanpy's `max_value`).
const CLIP: f64 = 10.0;

/// Counts per cell after normalisation, as scanpy's `normalize_total(target_sum=1e4)`.
pub const TARGET_SUM: f32 = 1e4;

/// ln(1 + count / row total × [`TARGET_SUM`]) of each row of `n_cols` counts, in place, in f32;
/// an all-zero row stays 0, and zeros (most of a count matrix) skip the logarithm. The step
/// both `--pca` of counts and `vaebio-model`'s gene weights take.
pub fn log_normalise(values: &mut [f32], n_cols: usize) {
    for row in values.chunks_exact_mut(n_cols) {
        let total: f64 = row.iter().map(|&v| f64::from(v)).sum();
        if total > 0.0 {
            let factor = (f64::from(TARGET_SUM) / total) as f32;
            for v in row.iter_mut().filter(|v| **v != 0.0) {
                *v = (*v * factor).ln_1p();
            }
        }
    }
}

/// A count matrix read through the standard single-cell transform (module docs), a row at a
/// time: nothing is held but each gene's mean and SD, fitted in one pass over `counts` when
/// made. A cell without counts reads as log values of 0: each gene's −mean / SD, clipped.
pub struct LogNormalized<'a> {
    counts: &'a dyn RowSource,
    mean: Vec<f64>,
    inverse_sd: Vec<f64>,
}

impl<'a> LogNormalized<'a> {
    /// Fit each gene's mean and unbiased SD of `ln(1 + 10⁴·x / library)` ([`log_normalise`])
    /// over every row of `counts` (blocks of rows in parallel, summed in order: the same on
    /// any thread count).
    pub fn new(counts: &'a dyn RowSource) -> Self {
        let (n, d) = (counts.n_rows(), counts.n_cols());
        let (sum, squares) = column_sums(counts, |block| log_normalise(block, d));
        let count = n as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / count.max(1.0)).collect();
        let inverse_sd = squares
            .iter()
            .zip(&mean)
            .map(|(q, m)| {
                let variance = ((q - count * m * m) / (count - 1.0).max(1.0)).max(0.0);
                // rounding leaves a constant gene a variance of ~1e-16 · m², not 0
                if variance > 1e-12 * (1.0 + m * m) {
                    1.0 / variance.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        Self {
            counts,
            mean,
            inverse_sd,
        }
    }
}

impl RowSource for LogNormalized<'_> {
    fn n_rows(&self) -> usize {
        self.counts.n_rows()
    }

    fn n_cols(&self) -> usize {
        self.counts.n_cols()
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        self.counts.fill_rows(rows, out);
        self.transform(out);
    }

    fn try_fill_rows(&self, rows: &[usize], out: &mut [f32]) -> Result<(), RowError> {
        self.counts.try_fill_rows(rows, out)?;
        self.transform(out);
        Ok(())
    }
}

impl LogNormalized<'_> {
    fn transform(&self, out: &mut [f32]) {
        let d = self.n_cols();
        log_normalise(out, d);
        for row in out.chunks_exact_mut(d) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.inverse_sd) {
                *v = ((f64::from(*v) - m) * s).clamp(-CLIP, CLIP) as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::DenseView;

    /// By hand (numpy gives the same): rows [1, 3] (library 4) and [2, 2] (4) and [0, 5] (5):
    /// ln(1 + 2500) = 7.824446, ln(1 + 7500) = 8.922792, ln(1 + 5000) = 8.517393 twice,
    /// 0 and ln(1 + 10000) = 9.210440. Gene 1: values 7.824446, 8.517393, 0 → mean 5.447280,
    /// unbiased SD 4.730189; gene 2: 8.922792, 8.517393, 9.210440 → mean 8.883542, SD 0.348187.
    #[test]
    fn rows_are_normalised_logged_and_z_scored_as_scanpy_does() {
        let counts = [1.0, 3.0, 2.0, 2.0, 0.0, 5.0];
        let view = DenseView::new(&counts, 2).unwrap();
        let source = LogNormalized::new(&view);
        let mut out = vec![0.0; 6];
        source.fill_rows(&[0, 1, 2], &mut out);
        let expected = [
            (7.824446 - 5.447280) / 4.730189,
            (8.922792 - 8.883542) / 0.348187,
            (8.517393 - 5.447280) / 4.730189,
            (8.517393 - 8.883542) / 0.348187,
            (0.0 - 5.447280) / 4.730189,
            (9.210440 - 8.883542) / 0.348187,
        ];
        for (got, want) in out.iter().zip(expected) {
            assert!((f64::from(*got) - want).abs() < 1e-5, "{out:?}");
        }
    }

    /// A gene whose share is the same in every cell reads 0 (its SD taken as 1), an empty
    /// cell reads its genes' negated means over their SDs, and a value far out is clipped:
    /// 200 cells of [10, 10, 0] and one of [10, 10, 10] put the last gene of that cell at
    /// z ≈ √200 ≈ 14, read as 10.
    #[test]
    fn constant_genes_empty_cells_and_outliers() {
        let even = [5.0, 5.0, 3.0, 3.0];
        let view = DenseView::new(&even, 2).unwrap();
        let mut out = vec![1.0; 4];
        LogNormalized::new(&view).fill_rows(&[0, 1], &mut out);
        assert_eq!(out, [0.0; 4]);

        let mut counts: Vec<f32> = (0..200).flat_map(|_| [10.0, 10.0, 0.0]).collect();
        counts.extend([10.0, 10.0, 10.0, 0.0, 0.0, 0.0]);
        let view = DenseView::new(&counts, 3).unwrap();
        let source = LogNormalized::new(&view);
        let mut out = vec![0.0; 6];
        source.fill_rows(&[200, 201], &mut out);
        assert_eq!(out[2], 10.0, "{out:?}");
        assert!(out[3] < 0.0 && out[4] < 0.0 && out[5] < 0.0, "{out:?}");
    }
}
