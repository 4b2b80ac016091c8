//! The crate's one error type.

/// Everything that can go wrong in `vaebio-analysis`.
///
/// Each message is one line: what is wrong and what to do about it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    /// A matrix was given no columns.
    #[error("a matrix needs at least one column — check the feature selection")]
    NoColumns,
    /// Row-major values that do not split into whole rows.
    #[error("{values} values do not fill rows of {n_cols} columns — check the column count")]
    Ragged {
        /// Number of values given.
        values: usize,
        /// Columns per row.
        n_cols: usize,
    },
    /// Row-major values that do not match the stated shape.
    #[error("{values} values given for a {n_rows} × {n_cols} matrix — check the shape")]
    Shape {
        /// Number of values given.
        values: usize,
        /// Rows stated.
        n_rows: usize,
        /// Columns stated.
        n_cols: usize,
    },
    /// A per-point vector has another length than the number of points.
    #[error("{what}: {got} entries for {expected} points — every point needs one")]
    Length {
        /// Which vector.
        what: &'static str,
        /// Its length.
        got: usize,
        /// Number of points.
        expected: usize,
    },
    /// Too few points for the requested neighbourhood or clustering.
    #[error(
        "{what} needs more than {needed} points, got {got} — lower k or give more observations"
    )]
    TooFew {
        /// Which metric.
        what: &'static str,
        /// Points needed (exclusive).
        needed: usize,
        /// Points given.
        got: usize,
    },
    /// A setting is out of range.
    #[error("invalid setting `{field}`: {message}")]
    InvalidConfig {
        /// Name of the offending field.
        field: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Side data (e.g. contig lengths) that the points cannot be analysed with.
    #[error("input data: {0}")]
    Data(String),
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
