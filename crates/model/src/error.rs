//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in `vaebio-model`.
///
/// Each message is one line: what is wrong, where, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A [`crate::VaeConfig`] or [`crate::TrainConfig`] value is out of range.
    #[error("invalid setting `{field}`: {message}")]
    InvalidConfig {
        /// Name of the offending field, as written in config.json.
        field: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The input rows do not fit the model or each other.
    #[error("input data: {0}")]
    Data(String),
    /// Points that an analysis (PCA, neighbours) fitted inside training cannot use.
    #[error("input data: {0}")]
    Analysis(#[from] vaebio_analysis::Error),
    /// Rows could not be read from their source (a file read on demand failed mid-way);
    /// the source's error, which names the file and the fix.
    #[error("{0}")]
    ReadRows(#[source] crate::data::RowError),
    /// Training produced a NaN or infinite loss.
    #[error(
        "training stopped at epoch {epoch}, step {step}: the loss became {value} — {likely_cause}"
    )]
    NonFiniteLoss {
        /// Epoch (1-based) in which the loss stopped being finite.
        epoch: usize,
        /// Step (1-based) within that epoch.
        step: usize,
        /// The offending loss value.
        value: f32,
        /// The most likely reason, with the fix.
        likely_cause: String,
    },
    /// A device was asked for that this build or machine cannot provide.
    #[error("device `{name}` is not available: {reason}")]
    DeviceUnavailable {
        /// The device name as given, e.g. `cuda:0`.
        name: String,
        /// Why, and what to do (rebuild with a feature, pick another ordinal...).
        reason: String,
    },
    /// A checkpoint directory is missing pieces or does not match its config.
    #[error("{}: {message}", path.display())]
    Checkpoint {
        /// The file or directory concerned.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An operating-system error while reading or writing a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A likelihood setting is out of range for the data (e.g. `trials: 0`).
    #[error("{likelihood} likelihood: {problem} — {fix}")]
    LikelihoodSetting {
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
    OutsideSupport {
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
    MissingDecoderOutput {
        /// The likelihood's name as written in configs.
        likelihood: &'static str,
        /// The missing `DecoderOutput` field.
        field: &'static str,
        /// The `Likelihood` method describing the field.
        hint: &'static str,
    },
    /// A tensor operation failed inside Candle (a bug or an out-of-memory device).
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Build an [`Error::InvalidConfig`].
pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidConfig {
        field,
        message: message.into(),
    }
}
