//! Users' own feature tables: a CSV file with a header row, one example per line, a
//! label column (named in the config, `label` by default) and numeric feature columns.
//!
//! Labels may be any text: the distinct labels, sorted (numerically when every label is
//! a whole number, else as text), become classes 0..C. Features are `f32`; a
//! non-numeric, missing or non-finite value is an error naming the file, line and
//! column. The examples are flat vectors (`mlp`), split into train and test by the
//! config's `test_fraction` like the other sources without a test split.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::error::DatasetError;
use crate::set::LabeledSet;
use crate::shape::ExampleShape;

/// Default name of the label column.
pub const DEFAULT_LABEL_COLUMN: &str = "label";

/// Splits a CSV line on commas, trimming spaces and one level of double quotes.
fn fields(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|f| {
            let f = f.trim();
            f.strip_prefix('"')
                .and_then(|f| f.strip_suffix('"'))
                .unwrap_or(f)
        })
        .collect()
}

/// Reads a labeled feature table from `path`.
pub fn load_csv(path: &Path, label_column: &str) -> Result<LabeledSet, DatasetError> {
    let origin = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let parse_error = |line: usize, column: Option<usize>, message: String| DatasetError::Parse {
        origin: origin.clone(),
        line,
        column,
        message,
    };
    let mut lines = BufReader::new(file).lines().enumerate();
    let header = loop {
        match lines.next() {
            None => {
                return Err(parse_error(
                    1,
                    None,
                    "empty file: expected a header row".into(),
                ))
            }
            Some((_, Err(source))) => {
                return Err(DatasetError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
            Some((_, Ok(line))) if line.trim().is_empty() => continue,
            Some((_, Ok(line))) => break line,
        }
    };
    let names: Vec<String> = fields(&header).into_iter().map(str::to_string).collect();
    let label_at = names.iter().position(|n| n == label_column).ok_or_else(|| {
        parse_error(
            1,
            None,
            format!(
                "no column named `{label_column}` (the label column; set `label_column`); the header has {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let width = names.len() - 1;
    if width == 0 {
        return Err(parse_error(
            1,
            None,
            "the header has the label column only: expected feature columns too".into(),
        ));
    }
    let mut features = Vec::new();
    let mut raw_labels: Vec<String> = Vec::new();
    for (index, line) in lines {
        let line_no = index + 1;
        let line = line.map_err(|source| DatasetError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let values = fields(&line);
        if values.len() != names.len() {
            return Err(parse_error(
                line_no,
                None,
                format!(
                    "expected {} comma-separated values (as the header), found {}",
                    names.len(),
                    values.len()
                ),
            ));
        }
        for (column, value) in values.iter().enumerate() {
            if column == label_at {
                if value.is_empty() {
                    return Err(parse_error(
                        line_no,
                        Some(column + 1),
                        format!("empty label in column `{label_column}`"),
                    ));
                }
                raw_labels.push((*value).to_string());
                continue;
            }
            let v: f32 = value.parse().map_err(|_| {
                parse_error(
                    line_no,
                    Some(column + 1),
                    format!(
                        "column `{}`: expected a number, found `{value}`",
                        names[column]
                    ),
                )
            })?;
            if !v.is_finite() {
                return Err(parse_error(
                    line_no,
                    Some(column + 1),
                    format!(
                        "column `{}`: expected a finite number, found `{value}`",
                        names[column]
                    ),
                ));
            }
            features.push(v);
        }
    }
    if raw_labels.is_empty() {
        return Err(parse_error(2, None, "no examples after the header".into()));
    }
    // Classes: the distinct labels, numerically sorted when all are whole numbers.
    let distinct: BTreeSet<&str> = raw_labels.iter().map(String::as_str).collect();
    let mut classes: Vec<&str> = distinct.into_iter().collect();
    if classes.iter().all(|l| l.parse::<i64>().is_ok()) {
        classes.sort_by_key(|l| l.parse::<i64>().unwrap_or_default());
    }
    if classes.len() < 2 {
        return Err(DatasetError::Invalid(format!(
            "{origin}: every example has the label `{}`; a classification task needs at least 2 classes",
            classes[0]
        )));
    }
    let labels: Vec<u32> = raw_labels
        .iter()
        .map(|l| classes.iter().position(|c| c == l).unwrap_or(0) as u32)
        .collect();
    LabeledSet::new(ExampleShape::flat(width), classes.len(), features, labels)
}
