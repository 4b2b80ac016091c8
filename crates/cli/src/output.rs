//! Writing tables: `.npy` when the path ends so, TSV otherwise, `-` for stdout; the latent
//! means and expression values also as AnnData (`.h5ad`). The io writers write to a temporary
//! file and rename it, so a failed run leaves no partial file.

mod h5ad;

pub use h5ad::Provenance;

use std::path::Path;

use anyhow::{Context, Result};
use vaebio_analysis::{AlleleScaled, LogNormalized, pca_scores};
use vaebio_io::FeatureMatrix;
use vaebio_model::{DenseMatrix, Likelihood, RowSource};

use crate::cli::ModelArgs;
use crate::commands::BadInput;

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

/// Fails for an `.h5ad` path given to an output that can only be a table.
pub fn refuse_h5ad(path: &Path) -> Result<()> {
    if is_h5ad(path) {
        return Err(BadInput(format!(
            "{}: this output is a table; AnnData (.h5ad) is written by embed, encode and reconstruct — give a .tsv or .npy path",
            path.display()
        ))
        .into());
    }
    Ok(())
}

/// Writes a feature matrix to `path` (TSV or `.npy`). An `.h5ad` path is refused rather than
/// given a table under an AnnData name.
pub fn write_matrix(path: &Path, matrix: &FeatureMatrix) -> Result<()> {
    refuse_h5ad(path)?;
    let npy = path.extension().is_some_and(|ext| ext == "npy");
    if npy {
        matrix.write_npy(path)?;
    } else {
        matrix.write_tsv(path)?;
    }
    Ok(())
}

/// Writes latent means (rows × `z1..zK`): an `.h5ad` path gets AnnData with the means as
/// `X` and `obsm["X_vaebio"]`, any other a table as [`write_table`] writes it.
pub fn write_latent(
    path: &Path,
    row_names: Vec<String>,
    values: DenseMatrix,
    provenance: &Provenance<'_>,
    quiet: bool,
) -> Result<()> {
    let names = latent_names(values.n_cols());
    write_values(path, row_names, names, values, true, provenance, quiet)
}

/// Writes expression values (rows × genes): an `.h5ad` path gets AnnData with them as `X`,
/// any other a table as [`write_table`] writes it.
pub fn write_expression(
    path: &Path,
    row_names: Vec<String>,
    col_names: Vec<String>,
    values: DenseMatrix,
    provenance: &Provenance<'_>,
    quiet: bool,
) -> Result<()> {
    write_values(path, row_names, col_names, values, false, provenance, quiet)
}

fn write_values(
    path: &Path,
    row_names: Vec<String>,
    col_names: Vec<String>,
    values: DenseMatrix,
    latent: bool,
    provenance: &Provenance<'_>,
    quiet: bool,
) -> Result<()> {
    if !is_h5ad(path) {
        return write_table(path, row_names, col_names, values);
    }
    let matrix = FeatureMatrix::from_dense(row_names, col_names, values.into_values())
        .context("building the output table")?;
    h5ad::write_h5ad(path, &matrix, latent, provenance, quiet)
}

/// True when `path` ends in `.h5ad` (any case).
fn is_h5ad(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("h5ad"))
}

/// Column names `z1..zK` of a latent table.
pub fn latent_names(latent: usize) -> Vec<String> {
    (1..=latent).map(|i| format!("z{i}")).collect()
}

/// How `--pca` reads the features: as the field's standard PCA of that kind of data does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PcaInput {
    /// As they are (TNF and depths are z-scored already; alignments one-hot).
    AsIs,
    /// Counts as single-cell PCA reads them: each cell scaled to 10,000, `log1p`, each gene
    /// z-scored and clipped at ±10 ([`LogNormalized`], scanpy's pipeline).
    Counts,
    /// Genotype dosages of `ploidy` alleles, each site centred and scaled by
    /// 1/√(n·p·(1 − p)) ([`AlleleScaled`], smartpca's and scikit-allel's Patterson scaling).
    Dosages {
        /// Alleles per call.
        ploidy: u32,
    },
}

impl PcaInput {
    /// The reading that suits data modelled under `likelihood`.
    fn for_likelihood(likelihood: Likelihood) -> Self {
        match likelihood {
            Likelihood::Binomial { trials } => PcaInput::Dosages { ploidy: trials },
            _ if likelihood.is_count() => PcaInput::Counts,
            _ => PcaInput::AsIs,
        }
    }
}

/// `--pca FILE`: writes principal-component scores of `matrix`'s rows (`id PC1..PCk`) to the
/// file, as popvae's `--PCA` does for comparison with the latent: as many components as the
/// latent (`latent`) unless `--pca-components` says otherwise. Nothing without `--pca`.
/// The features are read as the field's PCA reads data modelled under `likelihood`
/// ([`PcaInput`]: counts as scanpy, dosages as smartpca, the rest as they are).
pub fn write_pca(
    model: &ModelArgs,
    matrix: &FeatureMatrix,
    latent: usize,
    likelihood: Likelihood,
) -> Result<()> {
    let Some(path) = &model.pca else {
        return Ok(());
    };
    let most = check_pca_components(model, matrix)?;
    let n_components = model.pca_components.unwrap_or(latent.min(most));
    let scores = match PcaInput::for_likelihood(likelihood) {
        PcaInput::AsIs => pca_scores(matrix, n_components, model.seed),
        PcaInput::Counts => pca_scores(&LogNormalized::new(matrix), n_components, model.seed),
        PcaInput::Dosages { ploidy } => {
            pca_scores(&AlleleScaled::new(matrix, ploidy), n_components, model.seed)
        }
    };
    // A `--backed` read that failed inside the PCA, before anything is written.
    matrix.check_reads()?;
    let names = (1..=n_components).map(|i| format!("PC{i}")).collect();
    let values = DenseMatrix::new(scores, matrix.n_rows(), n_components)
        .context("shaping the PCA scores")?;
    write_table(path, matrix.row_names().to_vec(), names, values)
}

/// The most principal components `matrix` has (its rows or its features, the fewer), after
/// checking an explicit `--pca-components` against it: called before training, so a count
/// the table cannot give fails before any epoch.
pub fn check_pca_components(model: &ModelArgs, matrix: &FeatureMatrix) -> Result<usize> {
    let (rows, cols) = (matrix.n_rows(), matrix.n_cols());
    let most = rows.min(cols);
    match model.pca_components {
        Some(k) if model.pca.is_some() && !(1..=most).contains(&k) => Err(BadInput(format!(
            "--pca-components {k}: give 1 to {most} (the input has {rows} rows and {cols} features)"
        ))
        .into()),
        _ => Ok(most),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pca_reads_each_kind_of_data_as_its_field_does() {
        let cases = [
            (
                Likelihood::Binomial { trials: 2 },
                PcaInput::Dosages { ploidy: 2 },
            ),
            (Likelihood::NegativeBinomial, PcaInput::Counts),
            (Likelihood::Poisson, PcaInput::Counts),
            (
                Likelihood::Gaussian {
                    learned_variance: false,
                },
                PcaInput::AsIs,
            ),
        ];
        for (likelihood, input) in cases {
            assert_eq!(
                PcaInput::for_likelihood(likelihood),
                input,
                "{likelihood:?}"
            );
        }
    }
}
