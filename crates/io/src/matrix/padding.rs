//! All-zero columns appended to a matrix: the genes a count file lacks, for a model that has them.

use super::{FeatureMatrix, MATRIX, Storage, check_names};
use crate::error::{Error, Result, Where};

impl FeatureMatrix {
    /// This matrix with all-zero columns named `names` appended (dense or sparse storage;
    /// the names must be new): genes a count file lacks read as 0 counts, as scvi-tools'
    /// `prepare_query_anndata` pads them.
    pub fn with_zero_columns(&self, names: &[String]) -> Result<Self> {
        let mut col_names = self.col_names.clone();
        col_names.extend(names.iter().cloned());
        check_names(&col_names, "column")?;
        let (n_cols, added) = (self.n_cols(), names.len());
        let storage = match &self.storage {
            Storage::Dense(values) => {
                let mut padded = Vec::with_capacity(self.n_rows() * (n_cols + added));
                for r in 0..self.n_rows() {
                    padded.extend_from_slice(&values[r * n_cols..(r + 1) * n_cols]);
                    padded.resize(padded.len() + added, 0.0);
                }
                Storage::Dense(padded)
            }
            Storage::Sparse(csr) => Storage::Sparse(csr.clone()),
            Storage::Dosage(_) | Storage::Backed(_) => {
                return Err(Error::invalid(
                    Where::file(MATRIX),
                    "zero columns can be added to counts held in memory only",
                    "read the file without --backed, or give it every feature the model has",
                ));
            }
        };
        Ok(Self {
            row_names: self.row_names.clone(),
            col_names,
            storage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn zero_columns_are_appended_to_dense_and_sparse_counts() {
        let dense = FeatureMatrix::from_dense(
            names(&["c1", "c2"]),
            names(&["g1", "g2"]),
            vec![1.0, 2.0, 3.0, 4.0],
        )
        .unwrap();
        let padded = dense.with_zero_columns(&names(&["g3"])).unwrap();
        assert_eq!(padded.col_names(), ["g1", "g2", "g3"]);
        assert_eq!(padded.to_dense(), [1.0, 2.0, 0.0, 3.0, 4.0, 0.0]);
        // rows [1 0], [0 3]
        let sparse = FeatureMatrix::from_csr(
            names(&["c1", "c2"]),
            names(&["g1", "g2"]),
            vec![0, 1, 2],
            vec![0, 1],
            vec![1.0, 3.0],
        )
        .unwrap();
        let padded = sparse.with_zero_columns(&names(&["g3", "g4"])).unwrap();
        assert_eq!(padded.to_dense(), [1.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0]);
        assert!(matches!(padded.storage(), Storage::Sparse(_)));
    }

    #[test]
    fn padding_refuses_repeated_names_and_dosages() {
        let dense = FeatureMatrix::from_dense(names(&["c1"]), names(&["g1"]), vec![1.0]).unwrap();
        assert!(dense.with_zero_columns(&names(&["g1"])).is_err());
        let dosage =
            FeatureMatrix::from_dosage(names(&["s1"]), names(&["1:5"]), vec![1], vec![0.0])
                .unwrap();
        let error = dosage
            .with_zero_columns(&names(&["1:9"]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("counts held in memory"), "{error}");
    }
}
