//! Points in memory: the one matrix type shared by the analyses and the model.
//!
//! [`RowSource`] lets any matrix type hand out chosen rows without a copy of the whole;
//! [`DenseView`] borrows a row-major slice and [`DenseMatrix`] owns one.

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Why a [`RowSource`] could not read rows (a file read from disk failed mid-way): the
/// source's own typed error, boxed so callers can pass it on or downcast it.
pub type RowError = Box<dyn std::error::Error + Send + Sync>;

/// A matrix of observations (rows) × features (columns) that can copy chosen rows out as f32.
///
/// `Sync`: training threads read their own rows of one source at once (each shard of a
/// minibatch gathers its rows; `vaebio-model`'s `train::shards`).
pub trait RowSource: Sync {
    /// Number of observations.
    fn n_rows(&self) -> usize;
    /// Number of features per observation.
    fn n_cols(&self) -> usize;
    /// Write `rows` (in that order) row-major into `out`; `out.len() == rows.len() * n_cols()`.
    ///
    /// A source that reads from disk cannot fail here: it keeps the first failure and
    /// returns it from the next [`RowSource::try_fill_rows`].
    fn fill_rows(&self, rows: &[usize], out: &mut [f32]);
    /// [`RowSource::fill_rows`], reporting a failed read. In-memory sources never fail (the
    /// default); sources that read from disk override it.
    fn try_fill_rows(&self, rows: &[usize], out: &mut [f32]) -> std::result::Result<(), RowError> {
        self.fill_rows(rows, out);
        Ok(())
    }
}

/// A borrowed dense row-major matrix.
#[derive(Debug, Clone, Copy)]
pub struct DenseView<'a> {
    values: &'a [f32],
    n_cols: usize,
}

impl<'a> DenseView<'a> {
    /// View `values` as rows of `n_cols` features; the length must be a multiple of `n_cols`.
    pub fn new(values: &'a [f32], n_cols: usize) -> Result<Self> {
        if n_cols == 0 {
            return Err(Error::NoColumns);
        }
        if !values.len().is_multiple_of(n_cols) {
            return Err(Error::Ragged {
                values: values.len(),
                n_cols,
            });
        }
        Ok(Self { values, n_cols })
    }

    /// The row-major values.
    pub fn values(&self) -> &'a [f32] {
        self.values
    }

    /// One row.
    pub fn row(&self, row: usize) -> &'a [f32] {
        &self.values[row * self.n_cols..(row + 1) * self.n_cols]
    }
}

impl RowSource for DenseView<'_> {
    fn n_rows(&self) -> usize {
        self.values.len() / self.n_cols
    }

    fn n_cols(&self) -> usize {
        self.n_cols
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        for (chunk, &row) in out.chunks_exact_mut(self.n_cols).zip(rows) {
            chunk.copy_from_slice(self.row(row));
        }
    }
}

/// An owned dense row-major matrix; the type inference results come back in.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseMatrix {
    values: Vec<f32>,
    n_rows: usize,
    n_cols: usize,
}

impl DenseMatrix {
    /// Wrap row-major `values` of `n_rows` × `n_cols`.
    pub fn new(values: Vec<f32>, n_rows: usize, n_cols: usize) -> Result<Self> {
        if values.len() != n_rows * n_cols {
            return Err(Error::Shape {
                values: values.len(),
                n_rows,
                n_cols,
            });
        }
        Ok(Self {
            values,
            n_rows,
            n_cols,
        })
    }

    /// The row-major values.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Take the row-major values.
    pub fn into_values(self) -> Vec<f32> {
        self.values
    }

    /// One row.
    pub fn row(&self, row: usize) -> &[f32] {
        &self.values[row * self.n_cols..(row + 1) * self.n_cols]
    }

    /// Borrow as a [`DenseView`].
    pub fn view(&self) -> DenseView<'_> {
        DenseView {
            values: &self.values,
            n_cols: self.n_cols,
        }
    }
}

impl RowSource for DenseMatrix {
    fn n_rows(&self) -> usize {
        self.n_rows
    }

    fn n_cols(&self) -> usize {
        self.n_cols
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        self.view().fill_rows(rows, out);
    }
}

/// Squared Euclidean distance, accumulated in f64.
pub(crate) fn squared_distance<T: Copy + Into<f64>>(a: &[f32], b: &[T]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = f64::from(*x) - (*y).into();
            d * d
        })
        .sum()
}

/// Values (rows × columns) read per block by [`column_sums`]: 16 MB of f32 per thread at most,
/// however wide the rows (1,024 rows of 4,096 columns, 121 of 34,000).
const SUM_BLOCK_VALUES: usize = 1 << 22;

/// Each column's sum and sum of squares over every row of `rows`, each block of rows first
/// passed through `prepare` (in place: the transform a reading source applies), read in blocks
/// of rows in parallel and added in block order (the same on any thread count). The one pass
/// with which a transforming source ([`crate::LogNormalized`], [`crate::AlleleScaled`]) fits
/// its columns.
pub(crate) fn column_sums(
    rows: &dyn RowSource,
    prepare: impl Fn(&mut [f32]) + Sync,
) -> (Vec<f64>, Vec<f64>) {
    let (n, d) = (rows.n_rows(), rows.n_cols());
    let block = (SUM_BLOCK_VALUES / d.max(1)).max(1);
    let starts: Vec<usize> = (0..n).step_by(block).collect();
    let blocks: Vec<(Vec<f64>, Vec<f64>)> = starts
        .par_iter()
        .map(|&start| {
            let chosen: Vec<usize> = (start..(start + block).min(n)).collect();
            let mut values = vec![0.0f32; chosen.len() * d];
            rows.fill_rows(&chosen, &mut values);
            prepare(&mut values);
            let (mut sum, mut squares) = (vec![0.0f64; d], vec![0.0f64; d]);
            for row in values.chunks_exact(d) {
                for ((s, q), &v) in sum.iter_mut().zip(&mut squares).zip(row) {
                    let v = f64::from(v);
                    *s += v;
                    *q += v * v;
                }
            }
            (sum, squares)
        })
        .collect();
    let (mut sum, mut squares) = (vec![0.0f64; d], vec![0.0f64; d]);
    for (block_sum, block_squares) in blocks {
        sum.iter_mut().zip(block_sum).for_each(|(a, b)| *a += b);
        squares
            .iter_mut()
            .zip(block_squares)
            .for_each(|(a, b)| *a += b);
    }
    (sum, squares)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_view_fills_chosen_rows_in_order() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let view = DenseView::new(&values, 2).unwrap();
        assert_eq!((view.n_rows(), view.n_cols()), (3, 2));
        let mut out = [0.0; 4];
        view.fill_rows(&[2, 0], &mut out);
        assert_eq!(out, [5.0, 6.0, 1.0, 2.0]);
    }

    #[test]
    fn shapes_are_checked() {
        assert_eq!(
            DenseView::new(&[1.0, 2.0, 3.0], 2).unwrap_err(),
            Error::Ragged {
                values: 3,
                n_cols: 2
            }
        );
        assert_eq!(DenseView::new(&[], 0).unwrap_err(), Error::NoColumns);
        assert!(DenseMatrix::new(vec![1.0; 5], 2, 3).is_err());
    }

    #[test]
    fn squared_distance_by_hand() {
        // (1 − 4)² + (2 − 6)² = 25, with either precision on the right.
        assert_eq!(squared_distance(&[1.0, 2.0], &[4.0f32, 6.0]), 25.0);
        assert_eq!(squared_distance(&[1.0, 2.0], &[4.0f64, 6.0]), 25.0);
    }
}
