//! sieve's results: the record schema, the append-only record writer and the
//! tolerant reader, statistics over repeats, comparisons with random, whole-curve
//! summaries, the report (tables and plots) and the regression gate (`compare`).
//!
//! This crate never depends on burn, so reading and reporting results needs no
//! training backend.

// Tests may unwrap; library code is still checked (the lib target builds without `test`).
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod atomic;
pub mod cells;
pub mod compare;
pub mod curves;
pub mod error;
pub mod export;
pub mod folder;
pub mod html;
pub mod junit;
pub mod kinds;
pub mod metric;
pub mod options;
pub mod plot;
pub mod reader;
pub mod record;
pub mod report;
mod rows;
pub mod stats;
pub mod summary;
mod versus;
pub mod writer;

pub use atomic::write_atomic;
pub use cells::{Arm, Setting};
pub use compare::{
    compare_dirs, compare_records, CellChange, CompareOptions, CompareTest, Comparison,
};
pub use curves::{aubc, labels_to_reach, LabelsNeeded};
pub use error::ResultsError;
pub use export::csv::write_summary_csv;
pub use folder::{SweepFile, SWEEP_FILE};
pub use junit::junit_xml;
pub use kinds::{kind_info, reference_method, CurveSummary, KindInfo};
pub use metric::{Metric, MetricDef, MetricValues, METRICS};
pub use options::{IntervalMethod, PairedTest, ReportOptions};
pub use reader::{parse_records, read_records, RecordsRead};
pub use record::{Record, LEADING_COLUMNS, SCHEMA_VERSION, STATUS_OK, TRAILING_COLUMNS};
pub use report::{write_report, ReportOutcome};
pub use stats::descriptive::{estimate, Estimate};
pub use stats::paired::{paired_difference, PairedDifference};
pub use stats::student_t::{student_t_cdf, student_t_quantile, student_t_two_sided_p};
pub use stats::verdict::Verdict;
pub use summary::{
    summarize, summarize_metric, summarize_with, transfer_and_forgetting, Summary, SummaryRow,
    DEFAULT_CONFIDENCE,
};
pub use writer::RecordWriter;
