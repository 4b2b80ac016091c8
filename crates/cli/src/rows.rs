//! Lets the model read rows straight out of an io matrix (dense, sparse or dosage) without
//! densifying the whole matrix.

use vaebio_io::FeatureMatrix;
use vaebio_model::RowSource;

/// A [`FeatureMatrix`] seen as the model's row source.
pub struct Rows<'a>(pub &'a FeatureMatrix);

impl RowSource for Rows<'_> {
    fn n_rows(&self) -> usize {
        self.0.n_rows()
    }

    fn n_cols(&self) -> usize {
        self.0.n_cols()
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        self.0.fill_rows(rows, out);
    }
}
