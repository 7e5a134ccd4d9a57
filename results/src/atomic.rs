//! Writing a result file all at once: to a temporary file in the same directory,
//! then a rename, so a reader never sees a half-written file.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::ResultsError;

/// Replaces `path` with `bytes` atomically (on one filesystem, rename is atomic).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
    let tmp = temp_path(path);
    let result = write_synced(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| ResultsError::io(path, e)));
    if result.is_err() {
        // Best effort: the temporary file may not exist if creating it failed.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `dir/.name.tmp.<pid>`: hidden, in the target's directory, unique per process.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp.{}", std::process::id()))
}

/// Writes and fsyncs `bytes` to a fresh file at `tmp`.
fn write_synced(tmp: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
    let io = |e| ResultsError::io(tmp, e);
    let mut file = File::create(tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}
