//! Variational autoencoders for biological data, on Candle.
//!
//! Feed any in-memory matrix through [`RowSource`] (or the ready-made [`DenseView`]), train a
//! [`Vae`] (Kingma & Welling: encoder → mean and log-variance, reparameterised sample,
//! decoder → a [`Likelihood`]), then embed, reconstruct, generate, score (ELBO) and save.
//! The crate knows no file formats.
//!
//! ```
//! use candle_core::Device;
//! use vaebio_model::{Dataset, DenseView, Likelihood, TrainConfig, Vae, VaeConfig};
//!
//! # fn main() -> vaebio_model::Result<()> {
//! // 40 rows × 6 features in two groups.
//! let values: Vec<f32> = (0..40 * 6)
//!     .map(|i| if (i / 6) % 2 == 0 { (i % 6) as f32 } else { 5.0 - (i % 6) as f32 })
//!     .collect();
//! let rows = DenseView::new(&values, 6)?;
//!
//! let config = VaeConfig {
//!     hidden: vec![8],
//!     latent: 2,
//!     ..VaeConfig::new(6, Likelihood::Gaussian { learned_variance: false })
//! };
//! let mut vae = Vae::new(config, &Device::Cpu)?;
//! let training = TrainConfig { epochs: 5, batch_size: 8, ..TrainConfig::default() };
//! let history = vae.train(&Dataset::new(&rows), &training, |_progress| {})?;
//! assert_eq!(history.epochs.len(), 5);
//!
//! let embedding = vae.encode(&rows)?.mean; // 40 × 2 posterior means
//! assert_eq!(embedding.values().len(), 40 * 2);
//! # Ok(())
//! # }
//! ```
//!
//! Same seeds (`VaeConfig::seed` for the weights, `TrainConfig::seed` for split, order,
//! dropout and noise) give bit-identical results on the CPU.
//!
//! [`recipes`] holds the per-kind defaults the `vaebio` binary starts from (scVI for counts,
//! VAMB for contigs, popvae for genotypes, EVE for alignments), so a program gets exactly
//! what `vaebio embed` uses; `examples/embed_contigs.rs` goes from a FASTA file to a latent
//! table with them. The crate's modules follow the model's parts: `nn` (encoder, decoder,
//! layers), [`likelihood`], fused CPU kernels (`ops`), [`train`] (loop, optimiser, loss,
//! likelihood weights, resume), [`checkpoint`] and [`inference`]; [`shrinkage`] scores an
//! alignment model through the predictive shrunk toward its site model, as `vaebio score`
//! does by default ([`Vae::elbo_shrunk`]). PCA, k-means, metrics and
//! medoid clustering live in `vaebio-analysis`, which also owns the matrix types.
#![warn(missing_docs)]

pub mod allele_frequency;
pub mod checkpoint;
pub mod config;
pub mod data;
mod denoised;
pub mod denormals;
pub mod device;
pub mod error;
pub mod inference;
pub mod input_axes;
pub mod likelihood;
mod minibatch;
mod nn;
mod noise;
mod ops;
pub mod recipes;
pub mod shrinkage;
pub mod train;
pub mod vae;

pub use likelihood::{DecoderOutput, Exposure, Likelihood};
pub use ops::special;

pub use allele_frequency::AlleleFrequencies;
/// The compute device type, re-exported so callers need not depend on candle directly.
pub use candle_core::Device;
pub use config::{
    Activation, BayesianDecoder, DecoderKind, EarlyStopping, FeatureGroup, InputTransform,
    KlWarmup, LogitSparsity, LrSchedule, Norm, OutputInit, RowSampling, Sparsity, TrainConfig,
    VaeConfig,
};
pub use data::{Dataset, DenseMatrix, DenseView, RowError, RowSource, WeightScope};
pub use device::device;
pub use error::{Error, Result};
pub use inference::Posterior;
pub use input_axes::InputAxes;
pub use shrinkage::SiteShrinkage;
pub use train::gene_weights::{
    gene_weights_from_means, gene_weights_with_autocorrelation, neighbour_autocorrelation,
};
pub use train::loss::Losses;
pub use train::resume::TrainState;
pub use train::{EpochRecord, History, Progress, TrainEnd, Trainer, Training};
pub use vae::{CategoricalCovariate, Metadata, Standardization, Vae};
