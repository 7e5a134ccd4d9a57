//! The one error type of the results crate.
//!
//! Every variant names the file it is about, and, where it is about one value, the
//! line and column, so a user can open the file and fix it without guessing.

use std::path::Path;

/// Errors from reading, writing or summarising records.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The operating system refused a read or write.
    #[error("{file}: {source}")]
    Io {
        /// The file (or temporary file) involved.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The header lacks a column this sieve needs.
    #[error("{file}: missing column `{column}` in header")]
    MissingColumn {
        /// The records file.
        file: String,
        /// The column that is missing.
        column: String,
    },

    /// A schema-3 header names no metric sieve knows.
    #[error("{file}: no metric column in header (known metrics: {known})")]
    NoMetricColumns {
        /// The records file.
        file: String,
        /// The metric names sieve knows, comma-separated.
        known: String,
    },

    /// An existing file's header is not the header this sieve would append under,
    /// so appending would mix two layouts in one file.
    #[error("{file}: header does not match this sieve's record columns (expected `{expected}`, found `{found}`); write to a new file or convert this one")]
    HeaderMismatch {
        /// The records file.
        file: String,
        /// The header this sieve writes, comma-separated.
        expected: String,
        /// The header found in the file, comma-separated.
        found: String,
    },

    /// A row was written by a newer sieve whose columns may mean something else.
    #[error("{file} line {line}: schema_version {found} is newer than this sieve understands ({supported})")]
    NewerSchema {
        /// The records file.
        file: String,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The schema version in the row.
        found: u32,
        /// [`crate::SCHEMA_VERSION`].
        supported: u32,
    },

    /// A cell does not hold a value of the column's type.
    #[error("{file} line {line}, column `{column}`: expected {expected}, found `{found}`")]
    BadValue {
        /// The records file.
        file: String,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The column name.
        column: String,
        /// What the column holds, in words ("a number", "a non-negative integer").
        expected: &'static str,
        /// The cell's text, as found.
        found: String,
    },

    /// A metric value outside the metric's range (an accuracy of 57.3, a negative loss).
    #[error("{file} line {line}, column `{column}`: expected {expected}, found {found}")]
    OutOfRange {
        /// The records file.
        file: String,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The column name.
        column: String,
        /// The valid range, in words.
        expected: String,
        /// The value found.
        found: f64,
    },

    /// A row (other than a truncated last one) has the wrong number of fields.
    #[error("{file} line {line}: expected {expected} fields, found {found}")]
    FieldCount {
        /// The records file.
        file: String,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The number of header columns.
        expected: usize,
        /// The number of fields in the row.
        found: usize,
    },

    /// A folder given as a results folder has no records.csv.
    #[error("{dir}: no records.csv here; is this a sieve results folder?")]
    NotAResultsDir {
        /// The folder.
        dir: String,
    },

    /// Report or compare options out of range.
    #[error("invalid options: {message}")]
    Options {
        /// Which option, and why.
        message: String,
    },

    /// Drawing a plot failed.
    #[error("{file}: cannot draw plot: {message}")]
    Plot {
        /// The plot file.
        file: String,
        /// What went wrong.
        message: String,
    },

    /// A records file with no rows (empty, or a header only): nothing to report or gate on.
    #[error("{file} holds no records (empty or header only): nothing to summarise or compare")]
    NoRecords {
        /// The records file.
        file: String,
    },

    /// `sweep.json` is not a sieve sweep file.
    #[error("{file} is not a sieve sweep file: {message}")]
    BadSweepFile {
        /// The file.
        file: String,
        /// What is wrong with it.
        message: String,
    },

    /// The CSV layer failed (malformed input, or serialising a value).
    #[error("{file}: {message}")]
    Csv {
        /// The file involved.
        file: String,
        /// What went wrong.
        message: String,
    },
}

impl ResultsError {
    /// Wraps an I/O error with the file it concerns.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            file: path.display().to_string(),
            source,
        }
    }

    /// Wraps a CSV error with the file it concerns.
    pub(crate) fn csv(path: &Path, err: &csv::Error) -> Self {
        Self::Csv {
            file: path.display().to_string(),
            message: err.to_string(),
        }
    }
}
