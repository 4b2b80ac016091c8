//! All-zero columns appended to a matrix: the genes a count file lacks, for a model that has them.

use super::{FeatureMatrix, MATRIX, Storage, check_names};
use crate::error::{Error, Result, Where};

impl FeatureMatrix {
    /// Appends all-zero columns named `names` (dense or sparse storage; the names must be
    /// new): genes a count file lacks read as 0 counts, as scvi-tools' `prepare_query_anndata`
    /// pads them. Sparse rows stay as they are (a zero is no entry); dense rows are laid out
    /// anew. On an error the matrix is unchanged.
    pub fn add_zero_columns(&mut self, names: &[String]) -> Result<()> {
        if matches!(self.storage, Storage::Dosage(_) | Storage::Backed(_)) {
            return Err(Error::invalid(
                Where::file(MATRIX),
                "zero columns can be added to counts held in memory only",
                "read the file without --backed, or give it every feature the model has",
            ));
        }
        let mut col_names = self.col_names.clone();
        col_names.extend(names.iter().cloned());
        check_names(&col_names, "column")?;
        let (n_rows, n_cols, added) = (self.n_rows(), self.n_cols(), names.len());
        if let Storage::Dense(values) = &mut self.storage {
            let mut padded = Vec::with_capacity(n_rows * (n_cols + added));
            for row in values.chunks_exact(n_cols.max(1)).take(n_rows) {
                padded.extend_from_slice(row);
                padded.resize(padded.len() + added, 0.0);
            }
            if n_cols == 0 {
                padded.resize(n_rows * added, 0.0);
            }
            *values = padded;
        }
        self.col_names = col_names;
        Ok(())
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
        let mut padded = dense;
        padded.add_zero_columns(&names(&["g3"])).unwrap();
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
        let mut padded = sparse;
        padded.add_zero_columns(&names(&["g3", "g4"])).unwrap();
        assert_eq!(padded.to_dense(), [1.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0]);
        assert!(matches!(padded.storage(), Storage::Sparse(_)));
    }

    #[test]
    fn padding_refuses_repeated_names_and_dosages() {
        let mut dense =
            FeatureMatrix::from_dense(names(&["c1"]), names(&["g1"]), vec![1.0]).unwrap();
        assert!(dense.add_zero_columns(&names(&["g1"])).is_err());
        assert_eq!(
            (dense.col_names(), dense.to_dense()),
            (&names(&["g1"])[..], vec![1.0])
        );
        let mut dosage =
            FeatureMatrix::from_dosage(names(&["s1"]), names(&["1:5"]), vec![1], vec![0.0])
                .unwrap();
        let error = dosage
            .add_zero_columns(&names(&["1:9"]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("counts held in memory"), "{error}");
    }
}
