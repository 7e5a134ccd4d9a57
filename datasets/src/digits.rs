//! The built-in `digits` data set, embedded in the binary.
//!
//! 1,797 8x8 handwritten digits (UCI "Optical Recognition of Handwritten
//! Digits", Alpaydin & Kaynak 1998, CC BY 4.0, via scikit-learn; see
//! `data/SOURCE.md`). Small enough to ship, so the quick start runs on real
//! data with no download.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use flate2::read::GzDecoder;

use crate::error::DatasetError;
use crate::set::LabeledSet;
use crate::shape::ExampleShape;

/// The gzip CSV, embedded at compile time.
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../data/digits.csv.gz");

/// Shape of a digit: one 8x8 grey-scale channel.
pub const DIGITS_SHAPE: ExampleShape = ExampleShape::new(1, 8, 8);
/// Number of digit classes.
pub const DIGITS_CLASSES: usize = 10;
/// Largest raw pixel value (pixels count on-bits in 4x4 blocks).
const MAX_PIXEL: u32 = 16;

/// The built-in digits: 1,797 examples, shape 1x8x8, pixels scaled by 1/16 into [0, 1], 10 classes.
pub fn load_digits() -> Result<LabeledSet, DatasetError> {
    parse_digits_csv(GzDecoder::new(DIGITS_CSV_GZ), "digits.csv.gz (built in)")
}

/// Parses the digits CSV: no header, 65 integers per line (64 pixels in 0..=16,
/// row-major, then the label in 0..=9). Blank lines are skipped. Errors name
/// `origin`, the line and, where one value is wrong, the column.
pub fn parse_digits_csv(reader: impl Read, origin: &str) -> Result<LabeledSet, DatasetError> {
    let columns = DIGITS_SHAPE.len() + 1;
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for (index, line) in BufReader::new(reader).lines().enumerate() {
        let line_no = index + 1;
        let line = line.map_err(|source| DatasetError::Io {
            path: PathBuf::from(origin),
            source,
        })?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != columns {
            return Err(DatasetError::Parse {
                origin: origin.to_string(),
                line: line_no,
                column: None,
                message: format!("expected {columns} columns, found {}", fields.len()),
            });
        }
        for (col, field) in fields.iter().enumerate() {
            let is_label = col + 1 == columns;
            let max = if is_label {
                DIGITS_CLASSES as u32 - 1
            } else {
                MAX_PIXEL
            };
            let value = field
                .parse::<u32>()
                .ok()
                .filter(|&v| v <= max)
                .ok_or_else(|| DatasetError::Parse {
                    origin: origin.to_string(),
                    line: line_no,
                    column: Some(col + 1),
                    message: format!(
                        "expected {} 0..={max}, found `{field}`",
                        if is_label { "a label" } else { "a pixel" }
                    ),
                })?;
            if is_label {
                labels.push(value);
            } else {
                features.push(value as f32 / MAX_PIXEL as f32);
            }
        }
    }
    LabeledSet::new(DIGITS_SHAPE, DIGITS_CLASSES, features, labels)
}
