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
    /// Input values outside the likelihood's support, or a likelihood setting out of range.
    #[error(transparent)]
    Likelihood(#[from] crate::likelihood_error::LikelihoodError),
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
