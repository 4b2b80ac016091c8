//! Variational autoencoders for biological data, on Candle.
#![warn(missing_docs)]

pub mod checkpoint;
pub mod config;
pub mod count_likelihood;
pub mod data;
mod decoder;
pub mod device;
mod encoder;
pub mod error;
pub mod inference;
mod init;
mod layer;
pub mod likelihood;
pub mod likelihood_error;
pub mod loss;
pub mod metrics;
mod noise;
pub mod pca;
pub mod special;
pub mod train;
pub mod vae;

pub use likelihood::{DecoderOutput, Likelihood};
pub use likelihood_error::LikelihoodError;

pub use config::{
    Activation, EarlyStopping, InputTransform, KlWarmup, Norm, TrainConfig, VaeConfig,
};
pub use data::{Dataset, DenseMatrix, DenseView, RowSource};
pub use device::device;
pub use error::{Error, Result};
pub use inference::Posterior;
pub use loss::Losses;
pub use train::{EpochRecord, History, Progress, Trainer};
pub use vae::{Metadata, Standardization, Vae};
