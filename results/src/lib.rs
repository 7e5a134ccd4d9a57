//! sieve's results: the record schema, the append-only record writer and the
//! tolerant reader, statistics over repeats (Student t intervals, paired
//! differences against random) and per-cell summaries.
//!
//! This crate never depends on burn, so reading and reporting results needs no
//! training backend.

// Tests may unwrap; library code is still checked (the lib target builds without `test`).
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod atomic;
pub mod error;
pub mod reader;
pub mod record;
mod rows;
pub mod stats;
pub mod summary;
pub mod writer;

pub use atomic::write_atomic;
pub use error::ResultsError;
pub use reader::{parse_records, read_records, RecordsRead};
pub use record::{Record, SCHEMA_VERSION, STATUS_OK};
pub use stats::descriptive::{estimate, Estimate};
pub use stats::paired::{paired_difference, PairedDifference};
pub use stats::student_t::{student_t_cdf, student_t_quantile, student_t_two_sided_p};
pub use summary::{
    summarize, summarize_metric, write_summary_csv, Metric, SummaryRow, DEFAULT_CONFIDENCE,
    REFERENCE_STRATEGY,
};
pub use writer::RecordWriter;
