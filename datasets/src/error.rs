//! The one error type of this crate.
//!
//! Every variant says where the problem is (a file, a line, a config field) and
//! what was expected versus found, because users meet these errors when pointing
//! a benchmark at a directory they downloaded themselves.

use std::io;
use std::path::PathBuf;

/// Why a data set could not be loaded, parsed, split or configured.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// Reading (or decompressing) a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file being read.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// None of the accepted names for a required file exists.
    #[error("missing file: expected {}", join_paths(expected))]
    MissingFile {
        /// Every path that was tried, in order of preference.
        expected: Vec<PathBuf>,
    },
    /// A binary file does not have the layout its format requires.
    #[error("{}: {message}", path.display())]
    Format {
        /// The offending file.
        path: PathBuf,
        /// What was expected versus what was found.
        message: String,
    },
    /// A text file has a bad line.
    #[error("{origin} line {line}{}: {message}", column_suffix(*column))]
    Parse {
        /// Where the text came from (a file name, or a description of an embedded file).
        origin: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number, when one column is at fault.
        column: Option<usize>,
        /// What was expected versus what was found.
        message: String,
    },
    /// Arguments that are inconsistent with each other or with the data (lengths, sizes, fractions).
    #[error("{0}")]
    Invalid(String),
    /// A data-set config is wrong; names the data set and the field.
    #[error("dataset `{name}`: {message}")]
    Spec {
        /// The `name` of the data-set config.
        name: String,
        /// What is wrong, naming the field.
        message: String,
    },
}

impl DatasetError {
    /// Shorthand for a [`DatasetError::Format`] error.
    pub(crate) fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        DatasetError::Format {
            path: path.into(),
            message: message.into(),
        }
    }
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" or ")
}

fn column_suffix(column: Option<usize>) -> String {
    column.map(|c| format!(", column {c}")).unwrap_or_default()
}
