//! `sieve data fetch NAME`: downloads a public data set's official files into one
//! folder, verifies each against the SHA-256 pinned in `sieve_datasets::KNOWN_DATASETS`,
//! resumes partial downloads, unpacks archives, and never leaves a half-written file
//! under a final name.

mod download;
mod unpack;

use std::path::{Path, PathBuf};

use sieve_datasets::{default_data_dir, known_dataset, known_names, KnownDataset};

pub use download::{DownloadOutcome, Downloader};

/// Why a fetch failed. Every message names the file or URL concerned.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("unknown data set `{name}`; sieve data fetch knows {known}{hint}")]
    Unknown {
        name: String,
        known: String,
        hint: String,
    },
    #[error("{url}: the server answered {status} {reason}")]
    Status {
        url: String,
        status: u16,
        reason: String,
    },
    #[error("{url}: {message}")]
    Transfer { url: String, message: String },
    #[error("{url}: the transfer stopped after {got} of {expected} bytes; run the same command again to resume (the partial file {part} is kept)")]
    Interrupted {
        url: String,
        got: u64,
        expected: u64,
        part: String,
    },
    #[error("{file}: SHA-256 is {found}, expected {expected} (pinned for {url}); the download was corrupted or the server sent another file, so it was removed")]
    Checksum {
        file: String,
        url: String,
        found: String,
        expected: String,
    },
    #[error("{file} exists but its SHA-256 is {found}, not the official file's {expected}: move it away (or delete it) and fetch again")]
    ExistingMismatch {
        file: String,
        found: String,
        expected: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{archive}: {message}")]
    Archive { archive: String, message: String },
}

impl FetchError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        FetchError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Options of `sieve data fetch`.
pub struct FetchOptions {
    pub name: String,
    /// The folder that receives the files (default: the fetch folder of the data set).
    pub dir: Option<PathBuf>,
    /// A base URL that replaces each file's official location (`<mirror>/<file name>`);
    /// the pinned checksums still apply.
    pub mirror: Option<String>,
    pub quiet: bool,
}

/// What a fetch did.
#[derive(Debug)]
pub struct FetchReport {
    pub dataset: &'static KnownDataset,
    /// The folder to give as `path` in a config.
    pub dir: PathBuf,
    /// Per file: what happened.
    pub files: Vec<(String, DownloadOutcome)>,
    /// Whether `dir` is the default fetch folder (so a config needs no `path`).
    pub default_dir: bool,
}

/// Downloads (or completes) the data set.
pub fn fetch(options: &FetchOptions) -> Result<FetchReport, FetchError> {
    let dataset = known_dataset(&options.name).ok_or_else(|| FetchError::Unknown {
        name: options.name.clone(),
        known: known_names().join(", "),
        hint: sieve_bench_core::names::did_you_mean(&options.name, &known_names())
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default(),
    })?;
    fetch_dataset(dataset, options)
}

/// Downloads (or completes) `dataset` (named by the caller, e.g. a test's own list).
pub fn fetch_dataset(
    dataset: &'static KnownDataset,
    options: &FetchOptions,
) -> Result<FetchReport, FetchError> {
    let default_dir = options.dir.is_none();
    let dir = options
        .dir
        .clone()
        .unwrap_or_else(|| default_data_dir().join(dataset.name));
    std::fs::create_dir_all(&dir).map_err(|e| FetchError::io(&dir, e))?;
    let downloader = Downloader::new(options.quiet);
    let mut files = Vec::new();
    for file in dataset.files {
        let url = match &options.mirror {
            Some(base) => format!("{}/{}", base.trim_end_matches('/'), file.name),
            None => file.url.to_string(),
        };
        let outcome = downloader.fetch_file(&url, file, &dir)?;
        if dataset.archive {
            unpack::unpack_tar_gz(&dir.join(file.name), &dir)?;
        }
        files.push((file.name.to_string(), outcome));
    }
    Ok(FetchReport {
        dataset,
        dir,
        files,
        default_dir,
    })
}
