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
use crate::record::{Record, SCHEMA_VERSION};
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
/// `(trial_id, round)` is dropped with a warning (the first is kept). An empty
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

    let columns = Columns::new(&header, &file)?;
    // (trial_id, round) -> line of the first row with it.
    let mut seen: HashMap<(String, u32), u64> = HashMap::new();
    for row in &rows.rows {
        let cells = Cells {
            row,
            columns: &columns,
            file: &file,
            line: row.position().map_or(0, csv::Position::line),
        };
        let record = cells.record()?;
        match seen.get(&(record.trial_id.clone(), record.round)) {
            Some(first) => out.warnings.push(format!(
                "{file} line {}: duplicate of line {first} (trial_id `{}`, round {}), kept the first",
                cells.line, record.trial_id, record.round
            )),
            None => {
                seen.insert((record.trial_id.clone(), record.round), cells.line);
                out.records.push(record);
            }
        }
    }
    Ok(out)
}

/// Where each needed column sits in the file.
struct Columns {
    index: HashMap<&'static str, usize>,
    width: usize,
}

impl Columns {
    /// Maps every column of [`Record::columns`] to its position, or names the
    /// first one missing. Columns added after schema 1 may be missing; a row that
    /// claims a schema that has them is refused then (see [`Cells::record`]).
    fn new(header: &ByteRecord, file: &str) -> Result<Self, ResultsError> {
        let names = header_names(header);
        let mut index = HashMap::new();
        for &column in Record::columns() {
            match names.iter().position(|n| n == column) {
                Some(i) => {
                    index.insert(column, i);
                }
                None if Record::ADDED_COLUMNS.iter().any(|(c, _)| *c == column) => {}
                None => {
                    return Err(ResultsError::MissingColumn {
                        file: file.to_string(),
                        column: column.to_string(),
                    })
                }
            }
        }
        Ok(Self {
            index,
            width: names.len(),
        })
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
        for &(column, since) in Record::ADDED_COLUMNS {
            if schema_version >= since && !self.columns.index.contains_key(column) {
                return Err(ResultsError::MissingColumn {
                    file: self.file.to_string(),
                    column: column.to_string(),
                });
            }
        }
        Ok(Record {
            schema_version,
            sweep_id: self.text("sweep_id")?,
            kind: self.text("kind")?,
            trial_id: self.text("trial_id")?,
            dataset: self.text("dataset")?,
            scenario: self.text("scenario")?,
            model: self.text("model")?,
            regularization: self.text("regularization")?,
            budget: self.text("budget")?,
            strategy: self.text("strategy")?,
            strategy_params: self.text("strategy_params")?,
            repeat: self.parse("repeat", "a non-negative integer")?,
            seed: self.parse("seed", "a non-negative integer")?,
            round: self.parse("round", "a non-negative integer")?,
            labeled: self.parse("labeled", "a non-negative integer")?,
            test_accuracy: self.metric("test_accuracy")?,
            test_loss: self.metric("test_loss")?,
            balanced_accuracy: self.metric("balanced_accuracy")?,
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
    fn raw(&self, column: &'static str) -> &[u8] {
        self.columns
            .index
            .get(column)
            .and_then(|&i| self.row.get(i))
            .unwrap_or_default()
    }

    /// The cell as text; it must be UTF-8.
    fn text(&self, column: &'static str) -> Result<String, ResultsError> {
        let raw = self.raw(column);
        std::str::from_utf8(raw)
            .map(str::to_string)
            .map_err(|_| self.bad(column, "UTF-8 text", raw))
    }

    /// The cell parsed as `T` (surrounding spaces allowed).
    fn parse<T: FromStr>(
        &self,
        column: &'static str,
        expected: &'static str,
    ) -> Result<T, ResultsError> {
        let raw = self.raw(column);
        std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| self.bad(column, expected, raw))
    }

    /// A metric cell: empty means "not measured" (a failed trial).
    fn metric(&self, column: &'static str) -> Result<Option<f64>, ResultsError> {
        if self.raw(column).iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        self.parse(column, "a number").map(Some)
    }

    /// An optional count: an absent column or an empty cell is `None`.
    fn count(&self, column: &'static str) -> Result<Option<u64>, ResultsError> {
        if self.raw(column).iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        self.parse(column, "a non-negative integer").map(Some)
    }

    /// The error for a cell that does not hold what its column needs.
    fn bad(&self, column: &'static str, expected: &'static str, raw: &[u8]) -> ResultsError {
        ResultsError::BadValue {
            file: self.file.to_string(),
            line: self.line,
            column: column.to_string(),
            expected,
            found: String::from_utf8_lossy(raw).into_owned(),
        }
    }
}
