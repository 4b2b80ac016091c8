//! Analysis of latent spaces, apart from the model that makes them.
//!
//! What a biologist does with a latent space once it exists: compare it with the linear
//! baseline ([`pca_scores`]), score it against known labels and batches ([`knn_accuracy`],
//! [`adjusted_rand_index`], [`normalized_mutual_information`], [`silhouette`],
//! [`batch_mixing_entropy`]), partition it ([`kmeans()`]) and bin contigs in it
//! ([`iterative_medoids`], VAMB's clustering) and call variants from their scores with EVE's
//! two-component mixture ([`mixture::TwoGaussians`]). Every function takes points through the one
//! matrix type of the workspace, [`DenseView`] (or any [`RowSource`]).
//!
//! ```
//! use vaebio_analysis::{DenseView, adjusted_rand_index, kmeans};
//!
//! // Two tight groups of three points on a line.
//! let values = [0.0, 0.1, 0.2, 10.0, 10.1, 10.2];
//! let points = DenseView::new(&values, 1)?;
//! let clusters = kmeans(points, 2, 0, 10)?;
//! let truth = [0, 0, 0, 1, 1, 1];
//! assert_eq!(adjusted_rand_index(&truth, &clusters.assignment)?, 1.0);
//! # Ok::<(), vaebio_analysis::Error>(())
//! ```
#![warn(missing_docs)]

pub mod allele_scaled;
pub mod axes;
pub mod eigen;
pub mod error;
pub mod kmeans;
pub mod log_normalized;
pub mod matrix;
pub mod medoids;
pub mod metrics;
pub mod mixture;
pub mod pca;
mod pca_gram;
#[cfg(test)]
mod test_support;

pub use allele_scaled::{AlleleScaled, patterson_scale};
pub use axes::{PrincipalAxes, principal_axes};
pub use error::{Error, Result};
pub use kmeans::{Clusters, DEFAULT_STARTS, kmeans};
pub use log_normalized::{LogNormalized, log_normalise};
pub use matrix::{DenseMatrix, DenseView, RowError, RowSource};
pub use medoids::{MedoidCluster, MedoidParams, assignments, iterative_medoids};
pub use metrics::{
    adjusted_rand_index, batch_mixing_entropy, knn_accuracy, nearest_neighbours,
    normalized_mutual_information, silhouette,
};
pub use pca::{pca_scores, pca_scores_approximate, pca_scores_few_columns};
