//! Biological files to named feature matrices.
//!
//! Every reader in `vaebio-io` turns a file the biologist already has (FASTA/FASTQ,
//! aligned protein families, VCF/BCF, expression tables) into one plain type,
//! [`FeatureMatrix`]: row names (observations), column names (features) and values,
//! stored dense, sparse or as byte dosages and handed out as dense `f32` rows on demand.
//! Inputs may be plain or gzip/BGZF (detected from magic bytes) and `-` reads stdin;
//! every error is one line naming the file, the line or record, and the fix.
//!
//! The crate is laid out by concept:
//! - [`formats`]: one reader per file format (FASTA/FASTQ, aligned families, VCF/BCF,
//!   TSV/CSV tables, 10x Matrix Market and `.h5`, AnnData `.h5ad`, contig depths from depth
//!   tables, BAM files and `strobealign --aemb` tables, label tables);
//! - [`features`]: what turns records into features (k-mers, TNF, composition, abundance,
//!   one-hot, sequence weights) and the count-matrix filters (cells/genes, HVG);
//! - [`featurization`]: [`Featurization`], how a matrix was made, saved with a model;
//! - [`input`] opens files (plain, gzip, BGZF, stdin), [`matrix`] holds [`FeatureMatrix`],
//!   [`error`] the one error type.
//!
//! ```
//! use vaebio_io::FeatureMatrix;
//!
//! let matrix = FeatureMatrix::from_dense(
//!     vec!["cell_1".into(), "cell_2".into()],
//!     vec!["CD3E".into(), "MS4A1".into()],
//!     vec![3.0, 0.0, 0.0, 7.0],
//! )?;
//! let mut batch = vec![0.0; 2];
//! matrix.fill_rows(&[1], &mut batch);
//! assert_eq!(batch, [0.0, 7.0]);
//! assert!(matrix.is_integer_counts());
//! # Ok::<(), vaebio_io::Error>(())
//! ```
#![warn(missing_docs)]

pub mod error;
pub mod features;
pub mod featurization;
pub mod formats;
pub mod input;
pub mod matrix;
#[cfg(test)]
mod testdata;

pub use error::{Error, Location, Result, Where};
pub use features::composition::{
    Alphabet, SequenceFeatures, SequenceOptions, SequenceReport, featurize_sequences,
};
pub use featurization::{AbundanceTransform, Featurization};
pub use formats::alignment::{
    Alignment, AlignmentOptions, AlignmentReport, MsaFormat, Mutation, read_alignment,
};
pub use formats::fasta::{SequenceReader, SequenceRecord};
pub use formats::h5ad::{AnnData, H5adOptions, read_h5ad};
pub use input::{Compression, Input};
pub use matrix::{Backed, Csr, DOSAGE_MISSING, Dosage, FeatureMatrix, RowReader, Storage};
