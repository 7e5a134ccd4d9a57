//! summary.csv: one tidy row per cell and metric (pandas and R read it as is).

use std::path::Path;

use crate::atomic::write_atomic;
use crate::error::ResultsError;
use crate::summary::SummaryRow;

/// The CSV text of `rows`, header first (written even with no rows).
pub fn summary_csv_bytes(rows: &[SummaryRow], path: &Path) -> Result<Vec<u8>, ResultsError> {
    let csv_err = |e: csv::Error| ResultsError::csv(path, &e);
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(SummaryRow::columns()).map_err(csv_err)?;
    for row in rows {
        w.serialize(row).map_err(csv_err)?;
    }
    w.into_inner().map_err(|e| ResultsError::Csv {
        file: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Writes `rows` as summary.csv, atomically: a temporary file in the same
/// directory, then a rename.
pub fn write_summary_csv(rows: &[SummaryRow], path: &Path) -> Result<(), ResultsError> {
    write_atomic(path, &summary_csv_bytes(rows, path)?)
}
