//! One file over HTTP(S): into `.<name>.part` beside its final name, resumed with a
//! `Range` request when a partial file is there, checked against the pinned size and
//! SHA-256, and only then renamed to its final name (atomic on one file system).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use sieve_datasets::KnownFile;

use super::FetchError;

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownloadOutcome {
    /// Already there with the right checksum.
    Present,
    /// Downloaded from the start.
    Downloaded,
    /// A partial download was completed.
    Resumed { from: u64 },
}

/// Downloads files with one HTTP agent (connection reuse, redirects followed).
pub struct Downloader {
    agent: ureq::Agent,
    quiet: bool,
}

impl Downloader {
    pub fn new(quiet: bool) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(30))
            .timeout_read(Duration::from_secs(60))
            .redirects(5)
            .user_agent(concat!("sieve/", env!("CARGO_PKG_VERSION")))
            .build();
        Self { agent, quiet }
    }

    /// Makes `dir/<file.name>` the verified official file.
    pub fn fetch_file(
        &self,
        url: &str,
        file: &KnownFile,
        dir: &Path,
    ) -> Result<DownloadOutcome, FetchError> {
        let target = dir.join(file.name);
        if target.exists() {
            let found = sha256_of(&target)?;
            if found == file.sha256 {
                return Ok(DownloadOutcome::Present);
            }
            return Err(FetchError::ExistingMismatch {
                file: target.display().to_string(),
                found,
                expected: file.sha256.to_string(),
            });
        }
        let part = part_path(dir, file.name);
        let mut have = std::fs::metadata(&part).map_or(0, |m| m.len());
        if have > file.size {
            // Longer than the official file: nothing in it can be trusted.
            remove(&part)?;
            have = 0;
        }
        let resumed_from = have;
        if have < file.size {
            have = self.transfer(url, file, &part, have)?;
        }
        if have != file.size {
            return Err(FetchError::Interrupted {
                url: url.to_string(),
                got: have,
                expected: file.size,
                part: part.display().to_string(),
            });
        }
        let found = sha256_of(&part)?;
        if found != file.sha256 {
            remove(&part)?;
            return Err(FetchError::Checksum {
                file: target.display().to_string(),
                url: url.to_string(),
                found,
                expected: file.sha256.to_string(),
            });
        }
        std::fs::rename(&part, &target).map_err(|e| FetchError::io(&target, e))?;
        Ok(if resumed_from > 0 {
            DownloadOutcome::Resumed { from: resumed_from }
        } else {
            DownloadOutcome::Downloaded
        })
    }

    /// Appends the rest of the file (from byte `have`) to `part`; returns its length
    /// afterwards. A server that ignores the range starts the file over.
    fn transfer(
        &self,
        url: &str,
        file: &KnownFile,
        part: &Path,
        have: u64,
    ) -> Result<u64, FetchError> {
        let mut request = self.agent.get(url);
        if have > 0 {
            request = request.set("Range", &format!("bytes={have}-"));
        }
        let response = match request.call() {
            Ok(response) => response,
            // The partial file is already whole (or the range is bad): start over.
            Err(ureq::Error::Status(416, _)) if have > 0 => {
                remove(part)?;
                return self.transfer(url, file, part, 0);
            }
            Err(ureq::Error::Status(status, response)) => {
                return Err(FetchError::Status {
                    url: url.to_string(),
                    status,
                    reason: response.status_text().to_string(),
                })
            }
            Err(e) => {
                return Err(FetchError::Transfer {
                    url: url.to_string(),
                    message: e.to_string(),
                })
            }
        };
        let (start, mut out) = if have > 0 && response.status() == 206 {
            let out = OpenOptions::new()
                .append(true)
                .open(part)
                .map_err(|e| FetchError::io(part, e))?;
            (have, out)
        } else {
            let out = File::create(part).map_err(|e| FetchError::io(part, e))?;
            (0, out)
        };
        let bar = self.bar(file, start);
        let mut reader = response.into_reader();
        let mut written = start;
        let mut buffer = vec![0u8; 1 << 16];
        let result = loop {
            match reader.read(&mut buffer) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    // Never more than the official size: a wrong file is caught early.
                    if written + n as u64 > file.size {
                        break Err(());
                    }
                    out.write_all(&buffer[..n])
                        .map_err(|e| FetchError::io(part, e))?;
                    written += n as u64;
                    bar.set_position(written);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // A dropped connection or a short body: keep what arrived, for resuming.
                Err(_) => break Ok(()),
            }
        };
        out.sync_all().map_err(|e| FetchError::io(part, e))?;
        bar.finish_and_clear();
        if result.is_err() {
            drop(out);
            remove(part)?;
            return Err(FetchError::Transfer {
                url: url.to_string(),
                message: format!(
                    "the server sent more than the official {} bytes; the partial file was removed",
                    file.size
                ),
            });
        }
        Ok(written)
    }

    fn bar(&self, file: &KnownFile, start: u64) -> ProgressBar {
        if self.quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(file.size);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:28} [{bar:32.cyan/blue}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(file.name.to_string());
        bar.set_position(start);
        bar
    }
}

/// `.<name>.part` in `dir`.
pub(super) fn part_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.part"))
}

fn remove(path: &Path) -> Result<(), FetchError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FetchError::io(path, e)),
    }
}

/// Lowercase hex SHA-256 of a file.
pub(super) fn sha256_of(path: &Path) -> Result<String, FetchError> {
    let mut file = File::open(path).map_err(|e| FetchError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| FetchError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
