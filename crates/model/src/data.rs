//! Where training and inference rows come from.
//!
//! The model reads rows through [`RowSource`], so any matrix type can feed it without a copy:
//! [`DenseView`] borrows a row-major slice; [`DenseMatrix`] owns one (inference results are
//! returned as `DenseMatrix`). The three come from `vaebio-analysis`, the one matrix type of
//! the workspace. [`Dataset`] adds the optional per-row batch category, covariates and weight.

pub use vaebio_analysis::{DenseMatrix, DenseView, RowError, RowSource};

use crate::error::{Error, Result};

/// Rows plus what the model may know about each: a batch category (scVI's batch covariate,
/// injected into the decoder), extra categorical and continuous covariates (scVI's
/// `categorical_covariate_keys` / `continuous_covariate_keys`), a weight that scales the row's loss (EVE's sequence weights) and
/// the binomial trials of each value (each genotype's ploidy where haploid and diploid calls
/// mix).
#[derive(Clone, Copy)]
pub struct Dataset<'a> {
    rows: &'a dyn RowSource,
    batches: Option<&'a [u32]>,
    categorical: &'a [Vec<u32>],
    continuous: &'a [Vec<f32>],
    weights: Option<&'a [f32]>,
    weight_scope: WeightScope,
    trials: Option<&'a [u8]>,
}

/// Which part of a row's loss its weight scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightScope {
    /// The whole ELBO, reconstruction and KL: the row counts `weight` times (EVE's sequence
    /// weights); the loss is divided by the sum of the weights.
    #[default]
    Elbo,
    /// The reconstruction only, as a precision: the row's values are `weight` times as
    /// trustworthy (a contig's composition by its length), its KL is untouched; the loss is
    /// divided by the number of rows, so weights averaging 1 keep the balance with the KL.
    Reconstruction,
}

impl<'a> Dataset<'a> {
    /// Rows without batch categories or weights (every row weighs 1).
    pub fn new(rows: &'a dyn RowSource) -> Self {
        Self {
            rows,
            batches: None,
            categorical: &[],
            continuous: &[],
            weights: None,
            weight_scope: WeightScope::Elbo,
            trials: None,
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

    /// Attach extra categorical covariates: for each covariate, a category (0-based) per row.
    /// The model checks the categories against its counts.
    pub fn with_categorical(mut self, covariates: &'a [Vec<u32>]) -> Result<Self> {
        self.check_covariate_lengths(covariates.iter().map(Vec::len), "categorical")?;
        self.categorical = covariates;
        Ok(self)
    }

    /// Attach continuous covariates: for each covariate, a finite value per row.
    pub fn with_continuous(mut self, covariates: &'a [Vec<f32>]) -> Result<Self> {
        self.check_covariate_lengths(covariates.iter().map(Vec::len), "continuous")?;
        for (k, values) in covariates.iter().enumerate() {
            if let Some(row) = values.iter().position(|v| !v.is_finite()) {
                return Err(Error::Data(format!(
                    "row {}: continuous covariate {} is {} — give a finite number for every row",
                    row + 1,
                    k + 1,
                    values[row]
                )));
            }
        }
        self.continuous = covariates;
        Ok(self)
    }

    fn check_covariate_lengths(
        &self,
        lengths: impl Iterator<Item = usize>,
        kind: &str,
    ) -> Result<()> {
        let n_rows = self.rows.n_rows();
        for (k, len) in lengths.enumerate() {
            if len != n_rows {
                return Err(Error::Data(format!(
                    "{kind} covariate {}: {len} values for {n_rows} rows — give one value per row",
                    k + 1
                )));
            }
        }
        Ok(())
    }

    /// Attach a loss weight per row, scaling its whole ELBO; weights must be finite and not
    /// negative.
    pub fn with_weights(self, weights: &'a [f32]) -> Result<Self> {
        self.with_scoped_weights(weights, WeightScope::Elbo)
    }

    /// The same rows with every weight 1 (the rows drawn by weight instead,
    /// [`crate::RowSampling::Weighted`]).
    pub(crate) fn without_weights(mut self) -> Self {
        self.weights = None;
        self
    }

    /// Attach a loss weight per row that scales the part of its loss `scope` says; weights
    /// must be finite and not negative.
    pub fn with_scoped_weights(mut self, weights: &'a [f32], scope: WeightScope) -> Result<Self> {
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
        self.weight_scope = scope;
        Ok(self)
    }

    /// Attach the binomial trials of every value, row-major like the rows (e.g. 1 for a
    /// haploid genotype, 2 for a diploid one); without them every value has the likelihood's
    /// `trials`. Checked against the values and the likelihood when training or scoring.
    pub fn with_trials(mut self, trials: &'a [u8]) -> Result<Self> {
        let expected = self.rows.n_rows() * self.rows.n_cols();
        if trials.len() != expected {
            return Err(Error::Data(format!(
                "{} trial counts for {} rows × {} features — give one per value",
                trials.len(),
                self.rows.n_rows(),
                self.rows.n_cols()
            )));
        }
        self.trials = Some(trials);
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

    /// The extra categorical covariates: per covariate, a category per row (empty if none).
    pub fn categorical(&self) -> &'a [Vec<u32>] {
        self.categorical
    }

    /// The continuous covariates: per covariate, a value per row (empty if none).
    pub fn continuous(&self) -> &'a [Vec<f32>] {
        self.continuous
    }

    /// The loss weight per row, if given.
    pub fn weights(&self) -> Option<&'a [f32]> {
        self.weights
    }

    /// What the row weights scale.
    pub fn weight_scope(&self) -> WeightScope {
        self.weight_scope
    }

    /// What a minibatch of `rows` divides its loss by: the sum of their weights (in f64, in
    /// row order) when the weights scale the whole ELBO, else their count.
    pub(crate) fn divisor(&self, rows: &[usize]) -> f64 {
        match (self.weights, self.weight_scope) {
            (Some(weights), WeightScope::Elbo) => rows.iter().map(|&r| f64::from(weights[r])).sum(),
            _ => rows.len() as f64,
        }
    }

    /// The binomial trials of each value, row-major, if given.
    pub fn trials(&self) -> Option<&'a [u8]> {
        self.trials
    }
}

impl<'a> From<&'a dyn RowSource> for Dataset<'a> {
    fn from(rows: &'a dyn RowSource) -> Self {
        Self::new(rows)
    }
}

/// Rows of `values` with each column multiplied by its scale, computed as read.
pub(crate) struct ScaledColumns<'a> {
    /// The rows as they are.
    pub(crate) values: &'a dyn RowSource,
    /// One factor per column.
    pub(crate) scales: &'a [f32],
}

impl RowSource for ScaledColumns<'_> {
    fn n_rows(&self) -> usize {
        self.values.n_rows()
    }

    fn n_cols(&self) -> usize {
        self.values.n_cols()
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        self.values.fill_rows(rows, out);
        for row in out.chunks_exact_mut(self.scales.len().max(1)) {
            for (v, &s) in row.iter_mut().zip(self.scales) {
                *v *= s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_data_are_checked() {
        let values = [0.0; 6];
        let view = DenseView::new(&values, 2).unwrap();
        assert!(Dataset::new(&view).with_batches(&[0, 1]).is_err());
        assert!(Dataset::new(&view).with_weights(&[1.0, -1.0, 1.0]).is_err());
        assert!(Dataset::new(&view).with_trials(&[2; 5]).is_err());
        assert!(Dataset::new(&view).with_trials(&[2; 6]).is_ok());
        let data = Dataset::new(&view)
            .with_batches(&[0, 1, 0])
            .unwrap()
            .with_weights(&[1.0, 0.5, 2.0])
            .unwrap();
        assert_eq!(data.batches(), Some(&[0u32, 1, 0][..]));
        assert!(data.with_categorical(&[vec![0, 1]]).is_err());
        assert!(data.with_continuous(&[vec![0.0, f32::NAN, 1.0]]).is_err());
        assert!(
            data.with_continuous(&[vec![0.0, 1.0, 1.0], vec![1.0]])
                .is_err()
        );
        let categorical = [vec![0, 2, 1]];
        let continuous = [vec![0.5, -1.0, 3.0]];
        let data = data
            .with_categorical(&categorical)
            .unwrap()
            .with_continuous(&continuous)
            .unwrap();
        assert_eq!(data.categorical()[0], [0, 2, 1]);
        assert_eq!(data.continuous().len(), 1);
    }
}
