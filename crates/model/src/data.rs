//! Where training and inference rows come from.
//!
//! The model reads rows through [`RowSource`], so any matrix type can feed it without a copy:
//! [`DenseView`] borrows a row-major slice; [`DenseMatrix`] owns one (inference results are
//! returned as `DenseMatrix`). [`Dataset`] adds the optional per-row batch category and weight.

use crate::error::{Error, Result};

/// A matrix of observations (rows) × features (columns) that can copy chosen rows out as f32.
pub trait RowSource {
    /// Number of observations.
    fn n_rows(&self) -> usize;
    /// Number of features per observation.
    fn n_cols(&self) -> usize;
    /// Write `rows` (in that order) row-major into `out`; `out.len() == rows.len() * n_cols()`.
    fn fill_rows(&self, rows: &[usize], out: &mut [f32]);
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
            return Err(Error::Data(
                "a matrix needs at least one column — check the feature selection".to_string(),
            ));
        }
        if !values.len().is_multiple_of(n_cols) {
            return Err(Error::Data(format!(
                "{} values do not fill rows of {n_cols} columns — check the column count",
                values.len()
            )));
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
            return Err(Error::Data(format!(
                "{} values given for a {n_rows} × {n_cols} matrix — check the shape",
                values.len()
            )));
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

/// Rows plus what the model may know about each: a batch category (scVI's batch covariate,
/// injected into the decoder) and a weight that scales the row's loss (EVE's sequence weights).
#[derive(Clone, Copy)]
pub struct Dataset<'a> {
    rows: &'a dyn RowSource,
    batches: Option<&'a [u32]>,
    weights: Option<&'a [f32]>,
}

impl<'a> Dataset<'a> {
    /// Rows without batch categories or weights (every row weighs 1).
    pub fn new(rows: &'a dyn RowSource) -> Self {
        Self {
            rows,
            batches: None,
            weights: None,
        }
    }

    /// Attach a batch category (0-based) per row.
    pub fn with_batches(mut self, batches: &'a [u32]) -> Result<Self> {
        if batches.len() != self.rows.n_rows() {
            return Err(Error::Data(format!(
                "{} batch labels for {} rows — give one batch label per row",
                batches.len(),
                self.rows.n_rows()
            )));
        }
        self.batches = Some(batches);
        Ok(self)
    }

    /// Attach a loss weight per row; weights must be finite and not negative.
    pub fn with_weights(mut self, weights: &'a [f32]) -> Result<Self> {
        if weights.len() != self.rows.n_rows() {
            return Err(Error::Data(format!(
                "{} weights for {} rows — give one weight per row",
                weights.len(),
                self.rows.n_rows()
            )));
        }
        if let Some(row) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
            return Err(Error::Data(format!(
                "row {}: weight {} is negative or not finite — weights must be ≥ 0",
                row + 1,
                weights[row]
            )));
        }
        self.weights = Some(weights);
        Ok(self)
    }

    /// The rows.
    pub fn rows(&self) -> &'a dyn RowSource {
        self.rows
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.rows.n_rows()
    }

    /// Number of features.
    pub fn n_cols(&self) -> usize {
        self.rows.n_cols()
    }

    /// The batch category per row, if given.
    pub fn batches(&self) -> Option<&'a [u32]> {
        self.batches
    }

    /// The loss weight per row, if given.
    pub fn weights(&self) -> Option<&'a [f32]> {
        self.weights
    }
}

impl<'a> From<&'a dyn RowSource> for Dataset<'a> {
    fn from(rows: &'a dyn RowSource) -> Self {
        Self::new(rows)
    }
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
    fn shapes_and_side_data_are_checked() {
        assert!(DenseView::new(&[1.0, 2.0, 3.0], 2).is_err());
        assert!(DenseView::new(&[], 0).is_err());
        assert!(DenseMatrix::new(vec![1.0; 5], 2, 3).is_err());
        let values = [0.0; 6];
        let view = DenseView::new(&values, 2).unwrap();
        assert!(Dataset::new(&view).with_batches(&[0, 1]).is_err());
        assert!(Dataset::new(&view).with_weights(&[1.0, -1.0, 1.0]).is_err());
        let data = Dataset::new(&view)
            .with_batches(&[0, 1, 0])
            .unwrap()
            .with_weights(&[1.0, 0.5, 2.0])
            .unwrap();
        assert_eq!(data.batches(), Some(&[0u32, 1, 0][..]));
    }
}
