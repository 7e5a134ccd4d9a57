//! Writing a summary out: tidy CSV, JSON, a Markdown table and a LaTeX table — one
//! [`Exporter`] per format, so a new format is one file and one line in [`exporters`].

use std::path::Path;

use crate::error::ResultsError;
use crate::options::ReportOptions;
use crate::summary::SummaryRow;

pub mod csv;
pub mod json;
pub mod latex;
pub mod markdown;
pub(crate) mod table;
pub mod terminal;

/// What every exporter renders from.
pub struct ExportInput<'a> {
    /// The summary rows.
    pub rows: &'a [SummaryRow],
    /// The options they were computed with.
    pub options: &'a ReportOptions,
    /// `sweep.json` of the results folder, if present.
    pub sweep: Option<&'a serde_json::Value>,
    /// Things the report left out.
    pub warnings: &'a [String],
    /// The results folder (for error messages).
    pub dir: &'a Path,
}

/// One output format of `sieve report`.
pub trait Exporter {
    /// The file written under the results folder.
    fn file_name(&self) -> &'static str;
    /// The file's bytes.
    fn render(&self, input: &ExportInput<'_>) -> Result<Vec<u8>, ResultsError>;
}

/// summary.csv.
pub struct CsvExporter;
/// summary.json.
pub struct JsonExporter;
/// summary.md.
pub struct MarkdownExporter;
/// summary.tex.
pub struct LatexExporter;

impl Exporter for CsvExporter {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }
    fn render(&self, input: &ExportInput<'_>) -> Result<Vec<u8>, ResultsError> {
        csv::summary_csv_bytes(input.rows, &input.dir.join(self.file_name()))
    }
}

impl Exporter for JsonExporter {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }
    fn render(&self, input: &ExportInput<'_>) -> Result<Vec<u8>, ResultsError> {
        json::summary_json(&json::SummaryJson {
            sieve_version: env!("CARGO_PKG_VERSION"),
            sweep: input.sweep,
            options: input.options,
            warnings: input.warnings,
            rows: input.rows,
        })
        .map(String::into_bytes)
        .map_err(|e| ResultsError::Csv {
            file: input.dir.join(self.file_name()).display().to_string(),
            message: e.to_string(),
        })
    }
}

impl Exporter for MarkdownExporter {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }
    fn render(&self, input: &ExportInput<'_>) -> Result<Vec<u8>, ResultsError> {
        Ok(markdown::summary_markdown(input.rows, input.options).into_bytes())
    }
}

impl Exporter for LatexExporter {
    fn file_name(&self) -> &'static str {
        "summary.tex"
    }
    fn render(&self, input: &ExportInput<'_>) -> Result<Vec<u8>, ResultsError> {
        Ok(latex::summary_latex(input.rows, input.options).into_bytes())
    }
}

/// Every exporter, in the order `sieve report` writes them.
pub fn exporters() -> [&'static dyn Exporter; 4] {
    [
        &CsvExporter,
        &JsonExporter,
        &MarkdownExporter,
        &LatexExporter,
    ]
}
