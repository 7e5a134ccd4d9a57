//! Reading a records CSV back, tolerating what a killed run leaves behind and
//! rejecting what would be misread.
//!
//! Columns are found by name, so a file with extra columns (or reordered ones, as
//! a spreadsheet might save it) still reads. Errors name the file, the line and
//! the column.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use csv::ByteRecord;

use crate::error::ResultsError;
use crate::metric::{Metric, MetricValues};
use crate::record::{Record, LEADING_COLUMNS, SCHEMA_VERSION, TRAILING_COLUMNS};
use crate::rows::{header_names, split_rows};

/// The records of a file, and what was skipped while reading it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordsRead {
    /// The records, in file order, duplicates removed.
    pub records: Vec<Record>,
    /// One line per thing skipped (a truncated last row, a duplicate row).
    pub warnings: Vec<String>,
}

/// Reads a records CSV.
///
/// A truncated final row (no trailing newline, or too few fields) from a killed
/// run is skipped with a warning. A row repeating an earlier row's
/// `(trial_id, round, eval_index)` is dropped with a warning (the first is kept). An empty
/// file reads as no records.
pub fn read_records(path: &Path) -> Result<RecordsRead, ResultsError> {
    let bytes = std::fs::read(path).map_err(|e| ResultsError::io(path, e))?;
    parse_records(&bytes, path)
}

/// Parses the bytes of a records CSV; `path` is only used in messages.
pub fn parse_records(bytes: &[u8], path: &Path) -> Result<RecordsRead, ResultsError> {
    let file = path.display().to_string();
    let rows = split_rows(bytes).map_err(|e| ResultsError::csv(path, &e))?;
    let mut out = RecordsRead::default();
    if let Some(cut) = &rows.truncated {
        let what = if cut.is_header { "header" } else { "row" };
        out.warnings.push(format!(
            "{file} line {}: skipped truncated {what} ({}), probably from a killed run",
            cut.line, cut.reason
        ));
    }
    let Some(header) = rows.header else {
        return Ok(out);
    };

    let columns = Columns::new(&header);
    // (trial_id, round, eval_index) -> line of the first row with it.
    let mut seen: HashMap<(String, u32, u32), u64> = HashMap::new();
    // (line, line of the first row with the same key) of each duplicate, reported once.
    let mut duplicates: Vec<(u64, u64)> = Vec::new();
    for row in &rows.rows {
        let cells = Cells {
            row,
            columns: &columns,
            file: &file,
            line: row.position().map_or(0, csv::Position::line),
        };
        let record = cells.record()?;
        let key = (record.trial_id.clone(), record.round, record.eval_index);
        match seen.get(&key) {
            Some(first) => duplicates.push((cells.line, *first)),
            None => {
                seen.insert(key, cells.line);
                out.records.push(record);
            }
        }
    }
    if let Some(&(line, first)) = duplicates.first() {
        let more = if duplicates.len() > 1 {
            format!(
                " and {} more (lines {})",
                duplicates.len() - 1,
                duplicates
                    .iter()
                    .skip(1)
                    .take(5)
                    .map(|(l, _)| l.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if duplicates.len() > 6 { ", ..." } else { "" }
            )
        } else {
            String::new()
        };
        out.warnings.push(format!(
            "{file}: {} duplicate row(s) skipped, the first row of each kept: line {line} repeats line {first}{more}",
            duplicates.len()
        ));
    }
    Ok(out)
}

/// The columns schemas 1 and 2 wrote (schema 2 added the training counts).
const LEGACY_COLUMNS: [&str; 21] = [
    "schema_version",
    "sweep_id",
    "kind",
    "trial_id",
    "dataset",
    "scenario",
    "model",
    "regularization",
    "budget",
    "strategy",
    "strategy_params",
    "repeat",
    "seed",
    "round",
    "labeled",
    "test_accuracy",
    "test_loss",
    "balanced_accuracy",
    "select_seconds",
    "train_seconds",
    "status",
];
const LEGACY_TRAILING: [&str; 2] = ["device", "sieve_version"];
const LEGACY_METRICS: [Metric; 3] = [
    Metric::TEST_ACCURACY,
    Metric::TEST_LOSS,
    Metric::BALANCED_ACCURACY,
];

/// Where each column sits in the file, and which columns each schema version needs.
struct Columns {
    index: HashMap<String, usize>,
    width: usize,
    /// Metric columns of a schema-3 file, in header order.
    metrics: Vec<Metric>,
    /// Per schema version 1, 2, 3: the first column it needs that the header lacks.
    missing: [Option<String>; 3],
}

impl Columns {
    /// Maps every column of the header to its position.
    fn new(header: &ByteRecord) -> Self {
        let names = header_names(header);
        let index: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), i))
            .collect();
        let metrics: Vec<Metric> = names.iter().filter_map(|n| Metric::from_name(n)).collect();
        let first_missing = |needed: &mut dyn Iterator<Item = &str>| {
            for c in needed {
                if !index.contains_key(c) {
                    return Some(c.to_string());
                }
            }
            None
        };
        let v1 = first_missing(&mut LEGACY_COLUMNS.iter().chain(&LEGACY_TRAILING).copied());
        let v2 = first_missing(
            &mut LEGACY_COLUMNS
                .iter()
                .chain(&["train_steps", "train_epochs"])
                .chain(&LEGACY_TRAILING)
                .copied(),
        );
        let v3 = first_missing(&mut LEADING_COLUMNS.iter().chain(&TRAILING_COLUMNS).copied());
        Self {
            width: names.len(),
            index,
            metrics,
            missing: [v1, v2, v3],
        }
    }
}

/// One row, with enough context to name it in errors.
struct Cells<'a> {
    row: &'a ByteRecord,
    columns: &'a Columns,
    file: &'a str,
    line: u64,
}

impl Cells<'_> {
    /// Builds the record, checking the schema version before anything else so a
    /// newer file is refused as newer rather than as malformed.
    fn record(&self) -> Result<Record, ResultsError> {
        if self.row.len() != self.columns.width {
            return Err(ResultsError::FieldCount {
                file: self.file.to_string(),
                line: self.line,
                expected: self.columns.width,
                found: self.row.len(),
            });
        }
        let schema_version: u32 = self.parse("schema_version", "a non-negative integer")?;
        if schema_version > SCHEMA_VERSION {
            return Err(ResultsError::NewerSchema {
                file: self.file.to_string(),
                line: self.line,
                found: schema_version,
                supported: SCHEMA_VERSION,
            });
        }
        if schema_version == 0 {
            return Err(self.bad(
                "schema_version",
                "a schema version from 1 to 3",
                self.raw("schema_version"),
            ));
        }
        if let Some(column) = &self.columns.missing[schema_version as usize - 1] {
            return Err(ResultsError::MissingColumn {
                file: self.file.to_string(),
                column: column.clone(),
            });
        }
        let legacy = schema_version < 3;
        if !legacy && self.columns.metrics.is_empty() {
            return Err(ResultsError::NoMetricColumns {
                file: self.file.to_string(),
                known: Metric::names().join(", "),
            });
        }
        let metrics: &[Metric] = if legacy {
            &LEGACY_METRICS
        } else {
            &self.columns.metrics
        };
        let mut values = MetricValues::default();
        for &m in metrics {
            values.set(m, self.metric(m)?);
        }
        let (axis, axis_value, method, method_params, method_label, x_name, x) = if legacy {
            let (method, params) = (self.text("strategy")?, self.text("strategy_params")?);
            let label = if params == "{}" {
                method.clone()
            } else {
                format!("{method} {params}")
            };
            (
                "budget".to_string(),
                self.text("budget")?,
                method,
                params,
                label,
                "labels".to_string(),
                self.parse::<u64>("labeled", "a non-negative integer")? as f64,
            )
        } else {
            (
                self.text("axis")?,
                self.text("axis_value")?,
                self.text("method")?,
                self.text("method_params")?,
                self.text("method_label")?,
                self.text("x_name")?,
                self.finite("x")?,
            )
        };
        Ok(Record {
            schema_version,
            sweep_id: self.text("sweep_id")?,
            kind: self.text("kind")?,
            trial_id: self.text("trial_id")?,
            dataset: self.text("dataset")?,
            scenario: self.text("scenario")?,
            model: self.text("model")?,
            regularization: self.text("regularization")?,
            axis,
            axis_value,
            method,
            method_params,
            method_label,
            repeat: self.parse("repeat", "a non-negative integer")?,
            seed: self.parse("seed", "a non-negative integer")?,
            round: self.parse("round", "a non-negative integer")?,
            eval_index: if legacy {
                0
            } else {
                self.parse("eval_index", "a non-negative integer")?
            },
            x_name,
            x,
            metrics: values,
            select_seconds: self.parse("select_seconds", "a number")?,
            train_seconds: self.parse("train_seconds", "a number")?,
            train_steps: self.count("train_steps")?,
            train_epochs: self.count("train_epochs")?,
            status: self.text("status")?,
            device: self.text("device")?,
            sieve_version: self.text("sieve_version")?,
        })
    }

    /// The raw cell of `column`.
    fn raw(&self, column: &str) -> &[u8] {
        self.columns
            .index
            .get(column)
            .and_then(|&i| self.row.get(i))
            .unwrap_or_default()
    }

    /// The cell as text; it must be UTF-8.
    fn text(&self, column: &str) -> Result<String, ResultsError> {
        let raw = self.raw(column);
        std::str::from_utf8(raw)
            .map(str::to_string)
            .map_err(|_| self.bad(column, "UTF-8 text", raw))
    }

    /// The cell parsed as `T` (surrounding spaces allowed).
    fn parse<T: FromStr>(&self, column: &str, expected: &'static str) -> Result<T, ResultsError> {
        let raw = self.raw(column);
        std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| self.bad(column, expected, raw))
    }

    /// A metric cell: empty means "not measured" (a failed trial); a value outside the
    /// metric's range (an accuracy of 57.3) is refused.
    fn metric(&self, metric: Metric) -> Result<Option<f64>, ResultsError> {
        let column = metric.as_str();
        if self.raw(column).iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let value: f64 = self.parse(column, "a number")?;
        if !metric.accepts(value) {
            let expected = match metric.def().range {
                Some((lo, hi)) if hi.is_finite() => format!("a value from {lo} to {hi}"),
                Some((lo, _)) => format!("a value of at least {lo}"),
                None => "a finite number".to_string(),
            };
            return Err(ResultsError::OutOfRange {
                file: self.file.to_string(),
                line: self.line,
                column: column.to_string(),
                expected,
                found: value,
            });
        }
        Ok(Some(value))
    }

    /// A finite number.
    fn finite(&self, column: &str) -> Result<f64, ResultsError> {
        let value: f64 = self.parse(column, "a number")?;
        if value.is_finite() {
            Ok(value)
        } else {
            Err(self.bad(column, "a finite number", self.raw(column)))
        }
    }

    /// An optional count: an absent column or an empty cell is `None`.
    fn count(&self, column: &str) -> Result<Option<u64>, ResultsError> {
        if self.raw(column).iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        self.parse(column, "a non-negative integer").map(Some)
    }

    /// The error for a cell that does not hold what its column needs.
    fn bad(&self, column: &str, expected: &'static str, raw: &[u8]) -> ResultsError {
        ResultsError::BadValue {
            file: self.file.to_string(),
            line: self.line,
            column: column.to_string(),
            expected,
            found: String::from_utf8_lossy(raw).into_owned(),
        }
    }
}
