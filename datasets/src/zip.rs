//! The part of the ZIP format `.npz` archives use: the central directory (located from
//! the end-of-central-directory record), members stored (method 0) or deflated (8).
//! NumPy writes members with `force_zip64`, so a local header may carry 0xFFFFFFFF
//! sizes with a zip64 extra field; the sizes are taken from the central directory,
//! which holds the real ones for members under 4 GiB. Archives that need zip64 in the
//! central directory are refused. Every size is checked against the file before use.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::DeflateDecoder;

use crate::error::DatasetError;

/// One member as the central directory describes it.
struct Entry {
    name: String,
    method: u16,
    compressed: usize,
    uncompressed: usize,
    local_offset: usize,
}

/// A ZIP archive read into memory.
pub struct ZipArchive {
    path: PathBuf,
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

impl ZipArchive {
    fn error(&self, message: impl Into<String>) -> DatasetError {
        DatasetError::Format {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Reads `path` and its central directory.
    pub fn open(path: &Path) -> Result<Self, DatasetError> {
        let bytes = std::fs::read(path).map_err(|source| DatasetError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut archive = Self {
            path: path.to_path_buf(),
            bytes,
            entries: Vec::new(),
        };
        archive.entries = archive.read_directory()?;
        Ok(archive)
    }

    fn read_directory(&self) -> Result<Vec<Entry>, DatasetError> {
        let b = &self.bytes;
        // The end record: its signature within the last 22 + 65,535 bytes.
        let earliest = b.len().saturating_sub(22 + 0xFFFF);
        let end = (earliest..b.len().saturating_sub(21))
            .rev()
            .find(|&i| u32_at(b, i) == Some(0x0605_4b50))
            .ok_or_else(|| self.error("not a ZIP archive (no end-of-central-directory record)"))?;
        let count = usize::from(u16_at(b, end + 10).unwrap_or(0));
        let dir_size = u32_at(b, end + 12).unwrap_or(0);
        let dir_offset = u32_at(b, end + 16).unwrap_or(0);
        if count == 0xFFFF || dir_size == u32::MAX || dir_offset == u32::MAX {
            return Err(self.error("zip64 archives are not supported"));
        }
        let mut at = dir_offset as usize;
        let mut entries = Vec::with_capacity(count.min(64));
        for _ in 0..count {
            if u32_at(b, at) != Some(0x0201_4b50) {
                return Err(self.error(format!("bad central directory entry at byte {at}")));
            }
            let field = |offset: usize| u32_at(b, at + offset);
            let (
                Some(method),
                Some(compressed),
                Some(uncompressed),
                Some(name_len),
                Some(extra_len),
                Some(comment_len),
                Some(local),
            ) = (
                u16_at(b, at + 10),
                field(20),
                field(24),
                u16_at(b, at + 28),
                u16_at(b, at + 30),
                u16_at(b, at + 32),
                field(42),
            )
            else {
                return Err(self.error(format!("truncated central directory entry at byte {at}")));
            };
            if compressed == u32::MAX || uncompressed == u32::MAX || local == u32::MAX {
                return Err(self.error("zip64 members are not supported"));
            }
            let name_at = at + 46;
            let name = b
                .get(name_at..name_at + usize::from(name_len))
                .map(|n| String::from_utf8_lossy(n).to_string())
                .ok_or_else(|| self.error("truncated member name"))?;
            entries.push(Entry {
                name,
                method,
                compressed: compressed as usize,
                uncompressed: uncompressed as usize,
                local_offset: local as usize,
            });
            at =
                name_at + usize::from(name_len) + usize::from(extra_len) + usize::from(comment_len);
        }
        Ok(entries)
    }

    /// The uncompressed bytes of member `name`, or `None` when the archive has none.
    pub fn member(&self, name: &str) -> Result<Option<Vec<u8>>, DatasetError> {
        let Some(entry) = self.entries.iter().find(|e| e.name == name) else {
            return Ok(None);
        };
        let b = &self.bytes;
        let at = entry.local_offset;
        if u32_at(b, at) != Some(0x0403_4b50) {
            return Err(self.error(format!("{name}: bad local header at byte {at}")));
        }
        let (Some(name_len), Some(extra_len)) = (u16_at(b, at + 26), u16_at(b, at + 28)) else {
            return Err(self.error(format!("{name}: truncated local header")));
        };
        let start = at + 30 + usize::from(name_len) + usize::from(extra_len);
        let data = b
            .get(start..start.saturating_add(entry.compressed))
            .ok_or_else(|| {
                self.error(format!("{name}: the member runs past the end of the file"))
            })?;
        let out = match entry.method {
            0 => data.to_vec(),
            8 => {
                // Never more than the directory's size, so a forged header cannot make
                // the decoder allocate without bound.
                let mut out = Vec::with_capacity(entry.uncompressed.min(1 << 30));
                DeflateDecoder::new(data)
                    .take(entry.uncompressed as u64 + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| self.error(format!("{name}: cannot inflate: {e}")))?;
                out
            }
            m => {
                return Err(self.error(format!(
                    "{name}: compression method {m} is not supported (stored or deflated only)"
                )))
            }
        };
        if out.len() != entry.uncompressed {
            return Err(self.error(format!(
                "{name}: {} bytes after decompression, the directory says {}",
                out.len(),
                entry.uncompressed
            )));
        }
        Ok(Some(out))
    }
}
