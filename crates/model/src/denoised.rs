//! Denoised principal components: PCA of the decoder's means rather than of the data, the
//! map `vaebio bin` clusters contigs on by default (docs/recipes/contigs.md, "Binning").
//!
//! Why: a VAE trained with β ≥ 1 learns a latent close to whitened (every used dimension of
//! about unit variance, as probabilistic PCA does), and its prior centres the largest group
//! of rows on the origin; both are bad for clustering on angles. PCA keeps the data's own
//! geometry (each direction in proportion to its spread) but keeps the noise too. The
//! decoder's mean of a row's posterior mean is the row with what the model treats as noise
//! removed, in the units of the data, so the principal components of those means keep PCA's
//! geometry without the noise.

use crate::data::{Dataset, DenseMatrix, RowSource};
use crate::error::Result;
use crate::vae::Vae;

/// Widest reconstruction whose PCA goes through the covariance: its Jacobi eigen-decomposition
/// costs d³ per sweep (88 s at 1,100 columns, measured beside a CI build; by d³ about 1 s at
/// 256); TNF with the depths of a few dozen samples stays below. Wider ones (many samples,
/// genotype sites) use the subspace iteration of `--pca`.
const COVARIANCE_COLUMNS: usize = 256;

impl Vae {
    /// Scores of every row of `data` on the first `n_components` principal components of the
    /// model's reconstructions ([`Vae::reconstruct`] of each row's posterior mean), centred
    /// and, where the model standardises its features (Gaussian likelihood), in those z-scored
    /// units, as PCA of z-scored features would see them. Rows × `n_components`. Up to 256
    /// features the PCA is [`vaebio_analysis::pca_scores_few_columns`] (exact, through the
    /// features' covariance: the reconstructions have a few directions of variance and the
    /// rest near 0, on which an iterative PCA never converges and runs its 200 iterations);
    /// wider, [`vaebio_analysis::pca_scores`]. Memory: the reconstructions (rows × features,
    /// f32), and for the wider case the PCA's f64 copy of them.
    pub fn denoised_pca(&self, data: &Dataset, n_components: usize) -> Result<DenseMatrix> {
        let reconstruction = self.reconstruct(data, None)?;
        let (n_rows, n_cols) = (reconstruction.n_rows(), reconstruction.n_cols());
        let mut values = reconstruction.into_values();
        if let Some(standardization) = self.standardization() {
            standardization.apply(&mut values);
        }
        let reconstruction = DenseMatrix::new(values, n_rows, n_cols)?;
        let scores = if n_cols <= COVARIANCE_COLUMNS {
            vaebio_analysis::pca_scores_few_columns(&reconstruction, n_components)
        } else {
            vaebio_analysis::pca_scores(&reconstruction, n_components, 0)
        };
        Ok(DenseMatrix::new(scores, n_rows, n_components)?)
    }
}
