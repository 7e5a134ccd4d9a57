//! Appending records to a CSV as each evaluation finishes.
//!
//! Every record is flushed and fsync-ed before `append` returns, so a killed run
//! loses nothing it reported; a row cut short by the kill is removed when the file
//! is reopened, so the resumed run appends onto a clean line.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::ResultsError;
use crate::metric::Metric;
use crate::record::Record;
use crate::rows::{header_names, split_rows};

/// Appends records to a CSV file, writing the header only when the file is new or
/// empty.
#[derive(Debug)]
pub struct RecordWriter {
    path: PathBuf,
    file: File,
    repaired_bytes: u64,
    /// The metric columns of the file, in order.
    metrics: Vec<Metric>,
}

impl RecordWriter {
    /// Checks, without changing anything, that records carrying `metrics` could be
    /// appended to `path`: absent, empty, or with exactly that header.
    pub fn check_header(path: &Path, metrics: &[Metric]) -> Result<(), ResultsError> {
        if !path.exists() {
            return Ok(());
        }
        let bytes = std::fs::read(path).map_err(|e| ResultsError::io(path, e))?;
        let rows = split_rows(&bytes).map_err(|e| ResultsError::csv(path, &e))?;
        let columns = Record::columns(metrics);
        if let Some(header) = &rows.header {
            let found = header_names(header);
            if found != columns {
                return Err(ResultsError::HeaderMismatch {
                    file: path.display().to_string(),
                    expected: columns.join(","),
                    found: found.join(","),
                });
            }
        }
        Ok(())
    }

    /// Opens `path` for appending records that carry `metrics`, creating it if needed.
    ///
    /// An existing non-empty file must have exactly [`Record::columns`]`(metrics)` as header,
    /// so one file never mixes two layouts. If its last row is truncated (no
    /// trailing newline, or too few fields), the file is cut back to the end of the
    /// last complete row; [`RecordWriter::repaired_bytes`] says how much was cut.
    pub fn open_append(path: &Path, metrics: &[Metric]) -> Result<Self, ResultsError> {
        let columns = Record::columns(metrics);
        let io = |e| ResultsError::io(path, e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let rows = split_rows(&bytes).map_err(|e| ResultsError::csv(path, &e))?;

        if let Some(header) = &rows.header {
            let found = header_names(header);
            if found != columns {
                return Err(ResultsError::HeaderMismatch {
                    file: path.display().to_string(),
                    expected: columns.join(","),
                    found: found.join(","),
                });
            }
        }
        let mut repaired_bytes = 0;
        if let Some(cut) = &rows.truncated {
            repaired_bytes = bytes.len() as u64 - cut.byte;
            file.set_len(cut.byte).map_err(io)?;
            file.sync_data().map_err(io)?;
        }
        drop(file);

        // Reopen in append mode: every write lands at the end, whatever else
        // happened to the file position.
        let file = OpenOptions::new().append(true).open(path).map_err(io)?;
        let mut writer = Self {
            path: path.to_path_buf(),
            file,
            repaired_bytes,
            metrics: metrics.to_vec(),
        };
        if rows.header.is_none() {
            let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
            csv.write_record(&columns)
                .map_err(|e| ResultsError::csv(path, &e))?;
            let header = writer.finish(csv)?;
            writer.write_synced(&header)?;
        }
        Ok(writer)
    }

    /// Appends one record and makes it durable before returning.
    pub fn append(&mut self, record: &Record) -> Result<(), ResultsError> {
        let mut csv = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        csv.write_record(record.cells(&self.metrics))
            .map_err(|e| ResultsError::csv(&self.path, &e))?;
        let bytes = self.finish(csv)?;
        self.write_synced(&bytes)
    }

    /// Bytes removed from a truncated last row when the file was opened (0 when
    /// the file was clean), so the caller can mention the repair.
    pub fn repaired_bytes(&self) -> u64 {
        self.repaired_bytes
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the serialized bytes out of an in-memory CSV writer.
    fn finish(&self, csv: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, ResultsError> {
        csv.into_inner().map_err(|e| ResultsError::Csv {
            file: self.path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Writes a whole row in one call, then flushes and fsyncs it.
    fn write_synced(&mut self, bytes: &[u8]) -> Result<(), ResultsError> {
        let io = |e| ResultsError::io(&self.path, e);
        self.file.write_all(bytes).map_err(io)?;
        self.file.flush().map_err(io)?;
        self.file.sync_data().map_err(io)
    }
}
