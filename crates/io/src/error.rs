//! The one error type of `vaebio-io`.
//!
//! Every message is one line, `<file>:<line or record>: <what is wrong> — <what to do>`,
//! so a user can jump to the offending line. [`Error::is_input`] tells bad input (the
//! user's file or options; the cli exits 2) from failures of the machine (exit 1).

use std::fmt;

/// Result alias used throughout `vaebio-io`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in which input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Where {
    /// File name as the user gave it (`<stdin>` for `-`, `matrix` for in-memory data).
    pub file: String,
    /// Position inside the file.
    pub location: Location,
}

/// Position inside an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The input as a whole.
    Whole,
    /// A 1-based line number.
    Line(u64),
    /// A record (sequence, sample, site) named by its identifier.
    Record(String),
    /// Any other position, written as given (e.g. `column 'gene_7'`, `row 3`).
    Other(String),
}

impl Where {
    /// A whole input, no finer position.
    pub fn file(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            location: Location::Whole,
        }
    }

    /// A 1-based line of an input.
    pub fn line(file: impl Into<String>, line: u64) -> Self {
        Self {
            file: file.into(),
            location: Location::Line(line),
        }
    }

    /// A named record of an input.
    pub fn record(file: impl Into<String>, record: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            location: Location::Record(record.into()),
        }
    }

    /// Any other position of an input, written as given.
    pub fn other(file: impl Into<String>, position: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            location: Location::Other(position.into()),
        }
    }
}

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Whole => write!(f, "{}", self.file),
            Location::Line(line) => write!(f, "{}:line {line}", self.file),
            Location::Record(name) => write!(f, "{}:record '{name}'", self.file),
            Location::Other(position) => write!(f, "{}:{position}", self.file),
        }
    }
}

/// Everything that can go wrong while reading, featurizing or writing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused a read or write (missing file, permissions, full disk).
    #[error("{at}: {source} — check that the path exists and is readable/writable")]
    Io {
        /// The file.
        at: Where,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A compressed stream ends early or is corrupt.
    #[error(
        "{at}: truncated or corrupt compressed data ({detail}) — the file is incomplete; download or compress it again (`gzip -t` checks it)"
    )]
    Truncated {
        /// The file.
        at: Where,
        /// What the decoder reported.
        detail: String,
    },

    /// The input holds no usable records.
    #[error("{at}: no {what} found — give a non-empty input in the expected format")]
    Empty {
        /// The file.
        at: Where,
        /// What was expected (`FASTA records`, `samples`, ...).
        what: String,
    },

    /// A row has a different number of fields than the others.
    #[error(
        "{at}: {found} {unit}, expected {expected} — every row must have the same number of {unit}"
    )]
    Ragged {
        /// File and line or record.
        at: Where,
        /// Count found in this row.
        found: usize,
        /// Count set by the header or first row.
        expected: usize,
        /// What is counted (`values`, `columns`, `aligned characters`).
        unit: String,
    },

    /// A name that must be unique occurs twice.
    #[error(
        "{at}: duplicate {kind} name '{name}' — {kind} names must be unique; rename or remove one"
    )]
    DuplicateName {
        /// File and line or record of the second occurrence.
        at: Where,
        /// `row`, `column`, `sequence`, `sample`, ...
        kind: String,
        /// The repeated name.
        name: String,
    },

    /// Any other malformed input: what is wrong and how to fix it.
    #[error("{at}: {what} — {fix}")]
    Invalid {
        /// File and line or record.
        at: Where,
        /// What is wrong.
        what: String,
        /// What the user can do.
        fix: String,
    },

    /// An option value outside its valid range, found before any work starts.
    #[error("option {option}: {what} — {fix}")]
    InvalidOption {
        /// The option (`min_length`, `k`, ...).
        option: String,
        /// What is wrong.
        what: String,
        /// What the user can do.
        fix: String,
    },
}

impl Error {
    /// True when the user's input or options are at fault (exit status 2 in the cli),
    /// false for operating-system failures.
    pub fn is_input(&self) -> bool {
        !matches!(self, Error::Io { .. })
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(at: Where, what: impl Into<String>, fix: impl Into<String>) -> Self {
        Error::Invalid {
            at,
            what: what.into(),
            fix: fix.into(),
        }
    }

    /// Shorthand for [`Error::InvalidOption`].
    pub fn option(
        option: impl Into<String>,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Error::InvalidOption {
            option: option.into(),
            what: what.into(),
            fix: fix.into(),
        }
    }

    /// Classifies an `std::io::Error` raised while reading `at`: failures of a
    /// decompressor opened by [`crate::input::open`] become [`Error::Truncated`], invalid
    /// UTF-8 becomes [`Error::Invalid`], anything else is an OS failure ([`Error::Io`]).
    pub fn from_read(at: Where, source: std::io::Error) -> Self {
        if let Some(corrupt) = source
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<crate::input::CorruptStream>())
        {
            return Error::Truncated {
                at,
                detail: corrupt.0.clone(),
            };
        }
        if source.kind() == std::io::ErrorKind::InvalidData {
            return Error::invalid(
                at,
                format!("unreadable data ({source})"),
                "convert the file to UTF-8 text",
            );
        }
        Error::Io { at, source }
    }

    /// Wraps an OS error on `file` (opening, writing, renaming).
    pub fn io(file: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            at: Where::file(file),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_file_position_and_fix() {
        let error = Error::Ragged {
            at: Where::line("counts.tsv", 12),
            found: 764,
            expected: 765,
            unit: "values".into(),
        };
        let text = error.to_string();
        assert_eq!(
            text,
            "counts.tsv:line 12: 764 values, expected 765 — every row must have the same number of values"
        );
        assert!(!text.contains('\n'));
        assert!(error.is_input());
    }

    #[test]
    fn os_errors_are_not_input_errors() {
        let error = Error::io(
            "x.fa",
            std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
        );
        assert!(!error.is_input());
        assert!(error.to_string().starts_with("x.fa: denied — "));
    }

    #[test]
    fn record_location_names_the_record() {
        let error = Error::invalid(Where::record("a.fa", "contig_3"), "bad byte 'J'", "fix it");
        assert_eq!(
            error.to_string(),
            "a.fa:record 'contig_3': bad byte 'J' — fix it"
        );
    }
}
