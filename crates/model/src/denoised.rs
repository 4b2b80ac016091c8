//! Denoised principal components: PCA of the decoder's means rather than of the data, the
//! map `vaebio bin` clusters contigs on by default (docs/recipes/contigs.md, "Binning"),
//! measured in the metric of the likelihood the model was fitted under.
//!
//! Why: a VAE trained with β ≥ 1 learns a latent close to whitened (every used dimension of
//! about unit variance, as probabilistic PCA does), and its prior centres the largest group
//! of rows on the origin; both are bad for clustering on angles. PCA keeps the data's own
//! geometry (each direction in proportion to its spread) but keeps the noise too. The
//! decoder's mean of a row's posterior mean is the row with what the model treats as noise
//! removed, in the units of the data, so the principal components of those means keep PCA's
//! geometry without the noise.
//!
//! The metric: where the loss weighs features unequally (`feature_groups`: with `--abundance`
//! the contigs recipe gives composition 0.85 of the reconstruction loss and the depth columns
//! 0.15, each depth column weighing 2.4 against 0.9 for a TNF column), the model was fitted to
//! ½·Σ w_c (x_c − x̂_c)², so each (z-scored) column is scaled by √w_c before the PCA: the
//! distances the PCA keeps are the likelihood's. Plain z-scored columns gave the 7 depth
//! columns of a 6-sample set 7/110 of the weight after training, undoing the recipe's balance
//! (on the contig panel's tuning half, bins with abundance: bin ARI +0.036, 95% +0.010 to
//! +0.070, genomes recovered +0.39; bench/README.md).

use std::sync::Mutex;

use crate::data::{Dataset, DenseMatrix, RowSource, ScaledColumns};
use crate::error::{Error, Result};
use crate::vae::{Vae, chunk_rows};

/// Widest reconstruction whose PCA goes through the covariance: its Jacobi eigen-decomposition
/// costs d³ per sweep (88 s at 1,100 columns, measured beside a CI build; by d³ about 1 s at
/// 256); TNF with the depths of a few dozen samples stays below. Wider ones (many samples,
/// genotype sites) use `--pca`'s [`vaebio_analysis::pca_scores`].
const COVARIANCE_COLUMNS: usize = 256;

impl Vae {
    /// Scores of every row of `data` on the first `n_components` principal components of the
    /// model's reconstructions ([`Vae::reconstruct`] of each row's posterior mean), centred
    /// and, where the model standardises its features (Gaussian likelihood), in those z-scored
    /// units, as PCA of z-scored features would see them, each column times the square root of
    /// its weight in the loss where features weigh unequally (`feature_groups`, gene weights).
    /// Rows × `n_components`. Up to 256
    /// features the PCA is [`vaebio_analysis::pca_scores_few_columns`] (exact, through the
    /// features' covariance: the reconstructions have a few directions of variance and the
    /// rest near 0, on which an iterative PCA never converges and runs its 200 iterations);
    /// wider, [`vaebio_analysis::pca_scores`].
    ///
    /// Memory: the reconstructions are never held whole. The covariance route decodes each
    /// block of rows as its two passes (covariance, projection) read it, so it
    /// holds a few blocks, the posterior means and the scores; the wider route holds its f64
    /// copy of them. The rows are encoded once; [`Vae::denoised_pca_from_means`] takes means
    /// already at hand.
    pub fn denoised_pca(&self, data: &Dataset, n_components: usize) -> Result<DenseMatrix> {
        let means = self.encode(data.rows())?.mean;
        self.denoised_pca_from_means(data, &means, n_components)
    }

    /// [`Vae::denoised_pca`] of rows whose posterior means ([`Vae::encode`] of the same
    /// `data`) are given: the decoder's means of those, without encoding the rows again.
    pub fn denoised_pca_from_means(
        &self,
        data: &Dataset,
        means: &DenseMatrix,
        n_components: usize,
    ) -> Result<DenseMatrix> {
        self.check_columns(data.n_cols())?;
        self.check_covariates(data)?;
        if means.n_rows() != data.n_rows() || means.n_cols() != self.config.latent {
            return Err(Error::Data(format!(
                "{} × {} posterior means for {} rows of a model with {} latent dimensions — encode the same rows with this model",
                means.n_rows(),
                means.n_cols(),
                data.n_rows(),
                self.config.latent
            )));
        }
        let reconstruction = Reconstructions {
            vae: self,
            data,
            means,
            failure: Mutex::new(None),
        };
        // in the likelihood's metric: each column times √ its weight in the loss
        let scales: Option<Vec<f32>> = match &self.feature_weights {
            Some(weights) => Some(weights.to_vec1::<f32>()?.iter().map(|w| w.sqrt()).collect()),
            None => None,
        };
        let scaled = scales.as_deref().map(|scales| ScaledColumns {
            values: &reconstruction,
            scales,
        });
        let measured: &dyn RowSource = match &scaled {
            Some(scaled) => scaled,
            None => &reconstruction,
        };
        let scores = if self.config.n_features <= COVARIANCE_COLUMNS {
            vaebio_analysis::pca_scores_few_columns(measured, n_components)
        } else {
            vaebio_analysis::pca_scores(measured, n_components, 0)
        };
        if let Some(error) = reconstruction.failure.into_inner().unwrap_or(None) {
            return Err(error);
        }
        Ok(DenseMatrix::new(scores, data.n_rows(), n_components)?)
    }
}

/// The model's reconstructions of `data`, in its own (z-scored) units, decoded from the rows'
/// posterior `means` when read.
struct Reconstructions<'a> {
    vae: &'a Vae,
    data: &'a Dataset<'a>,
    means: &'a DenseMatrix,
    /// The first decoding error; the rows it failed on read as 0.
    failure: Mutex<Option<Error>>,
}

impl RowSource for Reconstructions<'_> {
    fn n_rows(&self) -> usize {
        self.data.n_rows()
    }

    fn n_cols(&self) -> usize {
        self.vae.config.n_features
    }

    fn fill_rows(&self, rows: &[usize], out: &mut [f32]) {
        // decoded a chunk at a time (as inference reads rows: fewer for wide rows): the
        // network's activations of a larger block cost more than the block itself
        let n_cols = self.n_cols();
        let size = chunk_rows(n_cols);
        for (chunk, out) in rows.chunks(size).zip(out.chunks_mut(size * n_cols)) {
            let latent = self.means.n_cols();
            let means: Vec<f32> = chunk
                .iter()
                .flat_map(|&row| &self.means.values()[row * latent..(row + 1) * latent])
                .copied()
                .collect();
            match self
                .vae
                .reconstruct_rows_from_means(self.data, chunk, &means)
            {
                Ok(values) => out.copy_from_slice(&values),
                Err(error) => {
                    out.fill(0.0);
                    let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
                    failure.get_or_insert(error);
                }
            }
        }
    }
}
