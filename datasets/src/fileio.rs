//! Finding and reading data files, raw or gzip-compressed.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::error::DatasetError;

/// The gzip magic bytes; files are decompressed when they start with these,
/// whatever their name, so a mis-named download still loads.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The first of `names` (relative to `dir`) that exists as a file, or an error
/// listing every name tried.
pub(crate) fn find_file(dir: &Path, names: &[String]) -> Result<PathBuf, DatasetError> {
    let candidates: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or(DatasetError::MissingFile {
            expected: candidates,
        })
}

/// `name` followed by `name.gz`: the two spellings every loader accepts.
pub(crate) fn with_gz(name: &str) -> [String; 2] {
    [name.to_string(), format!("{name}.gz")]
}

/// The whole file, decompressed if it is gzip.
pub(crate) fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DatasetError> {
    let io_err = |source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw = std::fs::read(path).map_err(io_err)?;
    if raw.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(io_err)?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Bytes scaled by `1/255` into `[0, 1]`.
pub(crate) fn bytes_to_unit(bytes: &[u8]) -> Vec<f32> {
    bytes.iter().map(|&b| f32::from(b) / 255.0).collect()
}
