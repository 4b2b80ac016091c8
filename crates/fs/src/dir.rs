//! A directory filled beside its destination and swapped in whole.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A directory being filled beside its destination; [`StagedDir::commit`] puts it in the
/// destination's place (moving an existing one aside and removing it only once the new one
/// is in), and dropping it uncommitted removes it with everything in it.
pub struct StagedDir {
    temp: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Creates the staging directory for `dir` (and `dir`'s parent if needed), with the
    /// permissions the umask gives.
    pub fn create(dir: impl AsRef<Path>) -> io::Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let temp = crate::temporary_beside(&dir)?;
        fs::create_dir_all(crate::parent_of(&dir))?;
        fs::create_dir(&temp)?;
        Ok(Self {
            temp,
            dir,
            committed: false,
        })
    }

    /// Where to write the directory's files.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Puts the staged directory in the destination's place. An existing destination is
    /// moved aside first and removed afterwards; if the swap fails it is put back.
    pub fn commit(mut self) -> io::Result<()> {
        if !self.dir.exists() {
            fs::rename(&self.temp, &self.dir)?;
            self.committed = true;
            return Ok(());
        }
        let old = crate::temporary_beside(&self.dir)?;
        fs::rename(&self.dir, &old)?;
        if let Err(e) = fs::rename(&self.temp, &self.dir) {
            let _ = fs::rename(&old, &self.dir);
            return Err(e);
        }
        self.committed = true;
        fs::remove_dir_all(&old)
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_committed_directory_replaces_the_old_one_whole() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("model");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("stale.txt"), b"old").unwrap();
        let staged = StagedDir::create(&dir).unwrap();
        fs::write(staged.path().join("config.json"), b"{}").unwrap();
        staged.commit().unwrap();
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["config.json"]);
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_uncommitted_directory_is_removed() {
        let root = tempfile::tempdir().unwrap();
        let staged = StagedDir::create(root.path().join("bins")).unwrap();
        fs::write(staged.path().join("bin_1.fna"), b">a\nACGT\n").unwrap();
        drop(staged);
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn directories_get_the_permissions_the_umask_gives() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("reference")).unwrap();
        let dir = root.path().join("bins");
        StagedDir::create(&dir).unwrap().commit().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), mode(&root.path().join("reference")));
    }
}
