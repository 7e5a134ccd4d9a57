//! `sieve report DIR`: read DIR/records.csv, write the summary files, the plots
//! and report.html, each atomically.

use std::path::{Path, PathBuf};

use crate::atomic::write_atomic;
use crate::error::ResultsError;
use crate::export::markdown::summary_markdown;
use crate::export::{exporters, ExportInput};
use crate::folder::SweepFile;
use crate::options::ReportOptions;
use crate::reader::read_records;
use crate::summary::{summarize_with, SummaryRow};

/// What a report wrote.
#[derive(Clone, Debug, Default)]
pub struct ReportOutcome {
    /// Every file written, in the order written.
    pub written: Vec<PathBuf>,
    /// Records skipped while reading, statistics left out, plots not drawn.
    pub warnings: Vec<String>,
    /// The summary rows (as in summary.csv).
    pub rows: Vec<SummaryRow>,
    /// The Markdown summary (as in summary.md), e.g. to print.
    pub markdown: String,
}

/// Reads `dir/records.csv` and writes, under `dir`: summary.csv, summary.json,
/// summary.md, summary.tex, and unless `options.plots` is false, plots/*.svg,
/// plots/*.png and report.html.
pub fn write_report(dir: &Path, options: &ReportOptions) -> Result<ReportOutcome, ResultsError> {
    options
        .validate()
        .map_err(|message| ResultsError::Options { message })?;
    let records_path = dir.join("records.csv");
    if !records_path.is_file() {
        return Err(ResultsError::NotAResultsDir {
            dir: dir.display().to_string(),
        });
    }
    let read = read_records(&records_path)?;
    if read.records.is_empty() {
        return Err(ResultsError::NoRecords {
            file: records_path.display().to_string(),
        });
    }
    let summary = summarize_with(&read.records, options);
    let mut out = ReportOutcome {
        warnings: read.warnings,
        ..ReportOutcome::default()
    };
    out.warnings.extend(summary.warnings);

    let sweep = read_sweep(dir, &mut out.warnings);
    let write = |name: &str, bytes: &[u8], out: &mut ReportOutcome| {
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        out.written.push(path);
        Ok::<(), ResultsError>(())
    };
    let warnings = out.warnings.clone();
    let input = ExportInput {
        rows: &summary.rows,
        options,
        sweep: sweep.as_ref(),
        warnings: &warnings,
        dir,
    };
    for exporter in exporters() {
        let bytes = exporter.render(&input)?;
        write(exporter.file_name(), &bytes, &mut out)?;
    }
    let markdown = summary_markdown(&summary.rows, options);

    if options.plots {
        let plots = crate::plot::draw_all(dir, &read.records, &summary.rows, options)?;
        out.warnings.extend(plots.warnings.iter().cloned());
        out.written.extend(plots.files.iter().cloned());
        let html =
            crate::html::report_html(&summary.rows, &plots, &markdown, options, sweep.as_ref());
        write("report.html", html.as_bytes(), &mut out)?;
    }
    out.rows = summary.rows;
    out.markdown = markdown;
    Ok(out)
}

/// `dir/sweep.json`, if present and readable; a warning otherwise.
fn read_sweep(dir: &Path, warnings: &mut Vec<String>) -> Option<serde_json::Value> {
    match SweepFile::read(dir) {
        Ok(file) => file.and_then(|f| serde_json::to_value(f).ok()),
        Err(e) => {
            warnings.push(format!("{e}; left out of the report"));
            None
        }
    }
}
