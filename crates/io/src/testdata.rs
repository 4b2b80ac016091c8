//! Unit-test helper: paths of the workspace's committed `testdata/` files.

use std::path::{Path, PathBuf};

/// A file or directory under the workspace's `testdata/`.
pub(crate) fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}
