//! One file written through a temporary stand-in.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written beside its destination; [`AtomicFile::commit`] renames it into
/// place, and dropping it uncommitted removes it.
pub struct AtomicFile {
    out: BufWriter<File>,
    temp: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary stand-in for `path` (with the permissions the umask gives).
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let temp = crate::temporary_beside(&path)?;
        let file = File::create(&temp)?;
        Ok(Self {
            out: BufWriter::with_capacity(1 << 20, file),
            temp,
            path,
            committed: false,
        })
    }

    /// The stand-in's path, for writers that open a path themselves; they must be done with
    /// it before [`AtomicFile::commit`].
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Flushes what was written and renames the stand-in over the destination.
    pub fn commit(mut self) -> io::Result<()> {
        self.out.flush()?;
        std::fs::rename(&self.temp, &self.path)?;
        self.committed = true;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes `path` through `body`, atomically; `-` writes to standard output instead.
pub fn write_atomic(
    path: impl AsRef<Path>,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let path = path.as_ref();
    if path == Path::new("-") {
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
        body(&mut out)?;
        return out.flush();
    }
    let mut file = AtomicFile::create(path)?;
    body(&mut file)?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_body_leaves_neither_file_nor_stand_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.tsv");
        let failed = write_atomic(&path, |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_existing_file_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.tsv");
        std::fs::write(&path, b"old contents, longer").unwrap();
        write_atomic(&path, |out| out.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_stand_in_keeps_the_extension() {
        let dir = tempfile::tempdir().unwrap();
        let file = AtomicFile::create(dir.path().join("plot.png")).unwrap();
        assert!(file.temp_path().to_string_lossy().ends_with(".png"));
    }

    #[cfg(unix)]
    #[test]
    fn files_get_the_permissions_the_umask_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let reference = dir.path().join("reference");
        std::fs::write(&reference, b"x").unwrap();
        let path = dir.path().join("out.tsv");
        write_atomic(&path, |out| out.write_all(b"x")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&reference));
    }
}
