//! Unpacking a verified `.tar.gz` (the CIFAR releases) next to it: into a temporary
//! folder first, then each top-level entry renamed into place, so an interrupted unpack
//! leaves nothing that looks complete. Only plain files and folders with relative,
//! `..`-free paths are accepted.

use std::path::{Component, Path};

use flate2::read::GzDecoder;

use super::FetchError;

/// Unpacks `archive` into `dir` unless a stamp says it was done.
pub(super) fn unpack_tar_gz(archive: &Path, dir: &Path) -> Result<(), FetchError> {
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stamp = dir.join(format!(".{name}.unpacked"));
    if stamp.exists() {
        return Ok(());
    }
    let staging = dir.join(format!(".{name}.unpacking"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| FetchError::io(&staging, e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| FetchError::io(&staging, e))?;
    let unpacked = unpack_into(archive, &staging);
    if unpacked.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    unpacked?;
    let top = std::fs::read_dir(&staging).map_err(|e| FetchError::io(&staging, e))?;
    for entry in top {
        let entry = entry.map_err(|e| FetchError::io(&staging, e))?;
        let target = dir.join(entry.file_name());
        if target.exists() {
            std::fs::remove_dir_all(&target)
                .or_else(|_| std::fs::remove_file(&target))
                .map_err(|e| FetchError::io(&target, e))?;
        }
        std::fs::rename(entry.path(), &target).map_err(|e| FetchError::io(&target, e))?;
    }
    std::fs::remove_dir_all(&staging).map_err(|e| FetchError::io(&staging, e))?;
    std::fs::write(&stamp, b"").map_err(|e| FetchError::io(&stamp, e))?;
    Ok(())
}

/// Unpacks every entry of `archive` under `staging`, refusing unsafe ones.
fn unpack_into(archive: &Path, staging: &Path) -> Result<(), FetchError> {
    let bad = |message: String| FetchError::Archive {
        archive: archive.display().to_string(),
        message,
    };
    let file = std::fs::File::open(archive).map_err(|e| FetchError::io(archive, e))?;
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    let entries = tar.entries().map_err(|e| bad(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let path = entry.path().map_err(|e| bad(e.to_string()))?.into_owned();
        let safe = path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !safe {
            return Err(bad(format!(
                "entry `{}` points outside the folder; refusing to unpack",
                path.display()
            )));
        }
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_dir()) {
            return Err(bad(format!(
                "entry `{}` is not a plain file or folder; refusing to unpack",
                path.display()
            )));
        }
        entry
            .unpack_in(staging)
            .map_err(|e| bad(format!("cannot unpack `{}`: {e}", path.display())))?;
    }
    Ok(())
}
