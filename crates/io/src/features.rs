//! Featurizers: records or matrices read by [`crate::formats`] turned into the features a
//! model learns from (composition, abundance, one-hot columns, sequence weights) and the
//! count-matrix filters applied before training.

pub mod abundance;
pub mod composition;
pub mod gene_filter;
pub mod hvg;
pub mod kmer;
pub mod length_weights;
pub mod one_hot;
pub mod sequence_weights;
pub mod tnf;
