//! Errors from likelihood settings, input data checks and likelihood evaluation.

/// What went wrong with a likelihood: its settings, a data value it cannot model, a missing
/// decoder output, or a tensor operation. Display is one line ending in the fix.
#[derive(Debug, thiserror::Error)]
pub enum LikelihoodError {
    /// A likelihood setting is out of range for the data (e.g. `trials: 0`).
    #[error("{likelihood} likelihood: {problem} — {fix}")]
    InvalidSetting {
        /// The likelihood's name as written in configs (e.g. `binomial`).
        likelihood: &'static str,
        /// What is wrong.
        problem: String,
        /// What to do about it.
        fix: String,
    },
    /// A data value outside the likelihood's support. `row` and `col` are 0-based indices
    /// into the matrix given to the model; Display shows them 1-based.
    #[error(
        "observation {} feature {} (1-based): {problem} for the {likelihood} likelihood — {fix}",
        .row + 1,
        .col + 1
    )]
    InvalidValue {
        /// 0-based row (observation) index.
        row: usize,
        /// 0-based column (feature) index.
        col: usize,
        /// The offending value.
        value: f32,
        /// The likelihood's name as written in configs.
        likelihood: &'static str,
        /// What is wrong with the value.
        problem: String,
        /// What to do about it.
        fix: &'static str,
    },
    /// The data buffer does not hold whole rows of the stated width.
    #[error(
        "data has {len} values, not a multiple of {n_cols} columns — pass row-major rows of {n_cols} values"
    )]
    RaggedRows {
        /// Number of values in the buffer.
        len: usize,
        /// Expected row width.
        n_cols: usize,
    },
    /// The decoder output lacks a tensor this likelihood needs.
    #[error(
        "{likelihood} likelihood needs decoder output `{field}` — set it as Likelihood::{hint}() says"
    )]
    MissingOutput {
        /// The likelihood's name as written in configs.
        likelihood: &'static str,
        /// The missing `DecoderOutput` field.
        field: &'static str,
        /// The `Likelihood` method describing the field.
        hint: &'static str,
    },
    /// A tensor operation failed (shape mismatch, device, dtype).
    #[error(
        "likelihood computation failed: {0} — check tensor shapes [batch, features] and dtypes"
    )]
    Tensor(#[from] candle_core::Error),
}
