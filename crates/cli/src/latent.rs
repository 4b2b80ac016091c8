//! Reading latent tables (`id`, `z1..zK`) and joining labels onto them.

use std::path::Path;

use anyhow::Result;
use vaebio_io::expression::{ExpressionOptions, read_expression};

use crate::covariate::Covariate;

/// A latent table in memory.
pub struct LatentTable {
    /// Observation ids.
    pub ids: Vec<String>,
    /// Row-major values.
    pub values: Vec<f32>,
    /// Dimensions per observation.
    pub n_dims: usize,
}

impl LatentTable {
    /// Reads a TSV/CSV with observations in rows (as `embed` and `encode` write).
    pub fn read(path: &Path) -> Result<Self> {
        let options = ExpressionOptions {
            transpose: true,
            require_counts: false,
        };
        let matrix = read_expression(path, &options)?;
        Ok(Self {
            ids: matrix.row_names().to_vec(),
            n_dims: matrix.n_cols(),
            values: matrix.to_dense(),
        })
    }

    /// Labels (`FILE[:COLUMN]`) joined onto the ids.
    pub fn labels(&self, spec: &str) -> Result<Covariate> {
        Covariate::from_spec(spec, &self.ids)
    }
}
