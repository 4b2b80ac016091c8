//! File formats, one module per format: each reads a file the biologist already has into
//! records or a [`FeatureMatrix`](crate::FeatureMatrix), and does no featurization beyond
//! what the format itself defines (see [`crate::features`] for k-mers, one-hot, weights).

pub mod aemb;
pub mod alignment;
pub mod bam_depth;
pub mod depth;
pub mod fasta;
pub mod h5ad;
mod hdf5;
pub mod labels;
pub mod mtx;
pub mod stockholm;
pub mod table;
mod tenx;
pub mod tenx_h5;
pub mod vcf;
