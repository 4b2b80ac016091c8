//! Writing tables: `.npy` when the path ends so, TSV otherwise, `-` for stdout. The io
//! writers write to a temporary file and rename it, so a failed run leaves no partial file.

use std::path::Path;

use anyhow::{Context, Result};
use vaebio_analysis::pca_scores;
use vaebio_io::FeatureMatrix;
use vaebio_model::DenseMatrix;

/// Writes `values` with row and column names to `path`.
pub fn write_table(
    path: &Path,
    row_names: Vec<String>,
    col_names: Vec<String>,
    values: DenseMatrix,
) -> Result<()> {
    let matrix = FeatureMatrix::from_dense(row_names, col_names, values.into_values())
        .context("building the output table")?;
    write_matrix(path, &matrix)
}

/// Writes a feature matrix to `path` (TSV or `.npy`).
pub fn write_matrix(path: &Path, matrix: &FeatureMatrix) -> Result<()> {
    let npy = path.extension().is_some_and(|ext| ext == "npy");
    if npy {
        matrix.write_npy(path)?;
    } else {
        matrix.write_tsv(path)?;
    }
    Ok(())
}

/// Column names `z1..zK` of a latent table.
pub fn latent_names(latent: usize) -> Vec<String> {
    (1..=latent).map(|i| format!("z{i}")).collect()
}

/// Writes the first `n_components` principal-component scores of `matrix`'s rows
/// (`id PC1..PCk`) to `path`, as popvae's `--PCA` does for comparison with the latent.
pub fn write_pca(
    path: &Path,
    matrix: &FeatureMatrix,
    n_components: usize,
    seed: u64,
) -> Result<()> {
    let scores = pca_scores(matrix, n_components, seed);
    let names = (1..=n_components).map(|i| format!("PC{i}")).collect();
    let values = DenseMatrix::new(scores, matrix.n_rows(), n_components)
        .context("shaping the PCA scores")?;
    write_table(path, matrix.row_names().to_vec(), names, values)
}
