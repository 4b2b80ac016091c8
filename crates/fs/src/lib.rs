//! Outputs that appear whole or not at all.
//!
//! Every file and directory vaebio writes is first written beside its destination under a
//! hidden temporary name and renamed into place once complete, so a failed or interrupted
//! run leaves no half-written output, and a reader never sees one. What is created gets the
//! permissions the user's umask gives, like any file the user creates (temporary-file
//! libraries default to owner-only). Errors are plain `std::io::Error`s; callers add the path.
//!
//! ```
//! use std::io::Write;
//!
//! # fn main() -> std::io::Result<()> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("latent.tsv");
//! vaebio_fs::write_atomic(&path, |out| writeln!(out, "id\tz1"))?;
//! assert_eq!(std::fs::read_to_string(&path)?, "id\tz1\n");
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod dir;
mod file;

pub use dir::StagedDir;
pub use file::{AtomicFile, write_atomic};

use std::path::{Path, PathBuf};

/// A hidden name beside `path` for its temporary stand-in: `.{name}.{pid}-{n}.tmp.{name}`,
/// unique within the process and ending in the destination's own name, so writers that
/// choose a format by extension (image encoders) see the right one.
fn temporary_beside(path: &Path) -> std::io::Result<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the output path names no file — give a path such as out/latent.tsv",
        )
    })?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp_name = format!(".{}-{n}.tmp.{}", std::process::id(), name.to_string_lossy());
    Ok(parent_of(path).join(temp_name))
}

/// The directory `path` lies in (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
