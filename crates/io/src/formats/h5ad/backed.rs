//! `--backed`: a CSR matrix of an `.h5ad` file read a few rows at a time (anndata's backed
//! mode). Only the row pointers (8 bytes per cell) stay in memory; each read takes the
//! `indices`/`data` ranges of the rows asked for, runs of consecutive rows at once:
//! uncompressed data by byte range (`hdf5::ranges`), gzip chunks through `hdf5-pure`'s
//! per-dataset LRU chunk cache. Rows are read in file order, so a minibatch decompresses
//! each chunk it touches once.

use std::sync::Arc;

use hdf5_pure::{ChunkCacheConfig, DatasetAccessProperties, Group};

use super::AnnData;
use super::sparse::{Orientation, checked_orientation};
use crate::error::Result;
use crate::formats::hdf5::Hdf5;
use crate::formats::hdf5::sparse::{CompressedSets, repeated};
use crate::matrix::{Backed, FeatureMatrix, RowReader, non_finite};

/// Decompressed chunks kept per dataset (`indices`, `data`): 32 MiB in at most 256 chunks.
/// anndata's chunks are far smaller, so a shuffled minibatch's chunks (at most one per
/// row) fit; the bound keeps memory flat whatever the file.
const CHUNK_CACHE: ChunkCacheConfig = ChunkCacheConfig::new()
    .with_max_bytes(32 << 20)
    .with_max_slots(256);

/// Reads the CSR matrix at `element` (a group) with rows `obs` and columns `var`, after one
/// pass over its entries that checks what the in-memory reader checks (indices in range, no
/// entry twice, finite values) and notes the columns with non-integer values.
pub(super) fn read(
    file: &AnnData,
    element: &str,
    group: &Group,
    obs: Vec<String>,
    var: Vec<String>,
) -> Result<FeatureMatrix> {
    let h5 = &file.h5;
    let axes = (obs.len(), var.len());
    if checked_orientation(file, element, group, axes)? == Orientation::Csc {
        return Err(file.invalid(
            element,
            "is a csc_matrix (compressed by gene), so a cell's values are spread over the whole matrix",
            "--backed reads csr_matrix only; write it as CSR in anndata (`adata.X = adata.X.tocsr()`, or the layer) or leave out --backed",
        ));
    }
    let access = DatasetAccessProperties::new().with_chunk_cache(CHUNK_CACHE);
    let sets = CompressedSets::open(h5, element, group, axes, (access, true))?;
    let non_integer = check(h5, element, &sets, &obs, &var)?;
    let reader = CsrRows {
        h5: h5.clone(),
        element: element.to_string(),
        sets,
    };
    FeatureMatrix::from_backed(obs, var, Backed::new(Arc::new(reader), non_integer))
        .map_err(|error| h5.locate(error, element))
}

/// One streamed pass over the entries: refuses an entry stored twice or a non-finite value
/// (as the in-memory reader does), and returns, per gene, whether it holds a negative or
/// non-integer value.
fn check(
    h5: &Hdf5,
    element: &str,
    sets: &CompressedSets,
    obs: &[String],
    var: &[String],
) -> Result<Vec<bool>> {
    let mut non_integer = vec![false; var.len()];
    // The last row each gene was seen in: a repeat within a row is a duplicate entry.
    let mut last_row = vec![usize::MAX; var.len()];
    let mut row = 0;
    sets.for_each_window(h5, |start, indices, values| {
        for (offset, (&col, &value)) in indices.iter().zip(values).enumerate() {
            while sets.indptr[row + 1] <= start + offset {
                row += 1;
            }
            let col = col as usize;
            if std::mem::replace(&mut last_row[col], row) == row {
                return Err(repeated(h5, element, row, col));
            }
            if !value.is_finite() {
                return Err(h5.locate(non_finite(&obs[row], &var[col]), element));
            }
            non_integer[col] |= value < 0.0 || value.fract() != 0.0;
        }
        Ok(())
    })?;
    Ok(non_integer)
}

/// The rows of one CSR group, read on demand.
struct CsrRows {
    h5: Hdf5,
    element: String,
    sets: CompressedSets,
}

impl RowReader for CsrRows {
    fn read_rows(&self, rows: &[usize], visit: &mut dyn FnMut(usize, usize, f32)) -> Result<()> {
        let indptr = &self.sets.indptr;
        let mut first = 0;
        while first < rows.len() {
            // A run of consecutive (or repeated) rows is one range of entries.
            let mut end = first + 1;
            while end < rows.len() && rows[end] <= rows[end - 1] + 1 {
                end += 1;
            }
            let (from, to) = (indptr[rows[first]], indptr[rows[end - 1] + 1]);
            if to > from {
                let (indices, values) = self.sets.read(&self.h5, from, to - from)?;
                for (k, &row) in rows.iter().enumerate().take(end).skip(first) {
                    for entry in indptr[row] - from..indptr[row + 1] - from {
                        visit(k, indices[entry] as usize, values[entry]);
                    }
                }
            }
            first = end;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("{} {}", self.h5.name, self.element)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AnnData, H5adOptions, read_h5ad};
    use crate::testdata::{mutants, testdata};

    fn options(layer: Option<&str>, var_mask: Option<&str>, backed: bool) -> H5adOptions {
        H5adOptions {
            layer: layer.map(Into::into),
            var_mask: var_mask.map(Into::into),
            backed,
        }
    }

    /// Rows in a shuffled order with repeats and a run of consecutive ones.
    const ROWS: [usize; 10] = [39, 0, 5, 6, 7, 7, 20, 1, 38, 2];

    fn rows_of(matrix: &crate::FeatureMatrix, rows: &[usize]) -> Vec<f32> {
        let mut out = vec![f32::NAN; rows.len() * matrix.n_cols()];
        matrix.try_fill_rows(rows, &mut out).unwrap();
        out
    }

    #[test]
    fn backed_rows_equal_the_in_memory_matrix() {
        for (file, layer, mask) in [
            ("counts.h5ad", None, None),
            ("counts_gzip.h5ad", None, None),
            ("counts_csr_layer.h5ad", Some("counts"), None),
            ("counts_csr_layer.h5ad", None, None),
            ("counts.h5ad", None, Some("highly_variable")),
        ] {
            let memory = read_h5ad(testdata(file), &options(layer, mask, false)).unwrap();
            let backed = read_h5ad(testdata(file), &options(layer, mask, true)).unwrap();
            let case = format!("{file} {layer:?} {mask:?}");
            assert!(
                matches!(backed.storage(), crate::Storage::Backed(_)),
                "{case}"
            );
            assert_eq!(backed.row_names(), memory.row_names(), "{case}");
            assert_eq!(backed.col_names(), memory.col_names(), "{case}");
            assert_eq!(backed.to_dense(), memory.to_dense(), "{case}");
            assert_eq!(rows_of(&backed, &ROWS), rows_of(&memory, &ROWS), "{case}");
            assert_eq!(
                backed.is_integer_counts(),
                memory.is_integer_counts(),
                "{case}"
            );
            // Selections compose: columns reordered and dropped, then rows.
            let cols = [9, 0, 3, 4];
            let (memory, backed) = (
                memory
                    .select_cols(&cols)
                    .unwrap()
                    .select_rows(&[3, 1])
                    .unwrap(),
                backed
                    .select_cols(&cols)
                    .unwrap()
                    .select_rows(&[3, 1])
                    .unwrap(),
            );
            assert_eq!(backed.to_dense(), memory.to_dense(), "{case}");
            assert_eq!(backed.row_names(), memory.row_names(), "{case}");
        }
        // The log-normalised X is not counts; its layer is.
        let x = read_h5ad(
            testdata("counts_csr_layer.h5ad"),
            &options(None, None, true),
        );
        assert!(!x.unwrap().is_integer_counts());
    }

    #[test]
    fn csc_and_dense_matrices_are_refused() {
        for (file, layer, element) in [
            (
                "counts.h5ad",
                Some("counts"),
                "layers/counts: is a csc_matrix",
            ),
            ("counts_lognorm.h5ad", None, "X: is a dense array"),
        ] {
            let error = read_h5ad(testdata(file), &options(layer, None, true)).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(element), "{message}");
            assert!(
                message.contains("--backed reads csr_matrix only"),
                "{message}"
            );
        }
    }

    #[test]
    fn corrupt_files_fail_cleanly_when_backed() {
        for (round, bytes) in mutants("counts_gzip.h5ad", 19, 100) {
            let Ok(file) = AnnData::from_bytes(format!("mutant {round}"), bytes) else {
                continue;
            };
            if let Ok(matrix) = file.matrix(&options(None, None, true)) {
                let all: Vec<usize> = (0..matrix.n_rows()).collect();
                let mut out = vec![0.0; all.len() * matrix.n_cols()];
                let _ = matrix.try_fill_rows(&all, &mut out);
            }
        }
    }
}
