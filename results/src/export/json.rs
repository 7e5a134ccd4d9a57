//! summary.json: the rows, the options they were computed with and the sweep
//! they came from, so the file stands on its own.

use serde::Serialize;

use crate::options::ReportOptions;
use crate::summary::SummaryRow;

/// The document written to summary.json.
#[derive(Serialize)]
pub struct SummaryJson<'a> {
    /// Version of the sieve-results crate that wrote the file.
    pub sieve_version: &'static str,
    /// `sweep.json` of the results folder, if present.
    pub sweep: Option<&'a serde_json::Value>,
    /// The options the statistics were computed with.
    pub options: &'a ReportOptions,
    /// Things the report left out, and records skipped while reading.
    pub warnings: &'a [String],
    /// One entry per cell and metric, as in summary.csv.
    pub rows: &'a [SummaryRow],
}

/// Pretty-printed JSON of the summary.
pub fn summary_json(doc: &SummaryJson<'_>) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(doc)
}
