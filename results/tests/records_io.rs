//! The record writer and reader: round trip, resume, repair, and error messages
//! that name the file, the line and the column.

#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::io::Write;

use common::{failed, record};
use sieve_results::{read_records, Metric, Record, RecordWriter, ResultsError};

#[test]
fn round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    let mut records = vec![
        record("random", 0, 0, 0.5),
        record("entropy", 0, 1, 0.1 + 0.2), // not exactly representable: ryu round-trips it
        failed("entropy", 1, 0),
    ];
    records[0].status = "ok".into();
    records[2].status = "failed: out of memory\n(line two)".into();
    let mut w = RecordWriter::open_append(&path, &common::METRICS).unwrap();
    assert_eq!(w.repaired_bytes(), 0);
    for r in &records {
        w.append(r).unwrap();
    }
    drop(w);
    let read = read_records(&path).unwrap();
    assert_eq!(read.records, records);
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
}

#[test]
fn header_written_once_across_two_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    RecordWriter::open_append(&path, &common::METRICS)
        .unwrap()
        .append(&record("random", 0, 0, 0.5))
        .unwrap();
    RecordWriter::open_append(&path, &common::METRICS)
        .unwrap()
        .append(&record("random", 1, 0, 0.6))
        .unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let header = Record::columns(&common::METRICS).join(",");
    assert_eq!(text.matches(&header).count(), 1);
    assert!(text.starts_with(&header));
    assert_eq!(text.lines().count(), 3);
    assert_eq!(read_records(&path).unwrap().records.len(), 2);
}

#[test]
fn empty_existing_file_gets_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    fs::write(&path, "").unwrap();
    RecordWriter::open_append(&path, &common::METRICS).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        format!("{}\n", Record::columns(&common::METRICS).join(","))
    );
    assert!(read_records(&path).unwrap().records.is_empty());
}

/// Writes two records, then half of a third, as a killed run would.
fn killed_run(path: &std::path::Path) -> usize {
    let mut w = RecordWriter::open_append(path, &common::METRICS).unwrap();
    w.append(&record("random", 0, 0, 0.5)).unwrap();
    w.append(&record("random", 1, 0, 0.6)).unwrap();
    drop(w);
    let mut full = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    full.write_record(record("random", 2, 0, 0.7).cells(&common::METRICS))
        .unwrap();
    let row = full.into_inner().unwrap();
    let partial = &row[..row.len() / 2];
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(partial)
        .unwrap();
    partial.len()
}

#[test]
fn truncated_last_line_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    killed_run(&path);
    let read = read_records(&path).unwrap();
    assert_eq!(read.records.len(), 2);
    assert_eq!(read.warnings.len(), 1);
    let w = &read.warnings[0];
    assert!(w.contains("records.csv line 4"), "{w}");
    assert!(w.contains("truncated"), "{w}");
}

#[test]
fn truncated_last_line_is_repaired_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    let partial = killed_run(&path);
    let before = fs::metadata(&path).unwrap().len();
    let mut w = RecordWriter::open_append(&path, &common::METRICS).unwrap();
    assert_eq!(w.repaired_bytes(), partial as u64);
    assert_eq!(fs::metadata(&path).unwrap().len(), before - partial as u64);
    w.append(&record("random", 2, 0, 0.7)).unwrap();
    drop(w);
    let read = read_records(&path).unwrap();
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    let accs: Vec<_> = read
        .records
        .iter()
        .map(|r| r.metric(Metric::TEST_ACCURACY))
        .collect();
    assert_eq!(accs, vec![Some(0.5), Some(0.6), Some(0.7)]);
}

#[test]
fn truncated_header_is_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    fs::write(&path, "schema_version,sweep_").unwrap();
    let read = read_records(&path).unwrap();
    assert!(read.records.is_empty());
    assert_eq!(read.warnings.len(), 1);
    let mut w = RecordWriter::open_append(&path, &common::METRICS).unwrap();
    assert_eq!(w.repaired_bytes(), 21);
    w.append(&record("random", 0, 0, 0.5)).unwrap();
    drop(w);
    assert_eq!(read_records(&path).unwrap().records.len(), 1);
}

#[test]
fn foreign_header_is_refused_by_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    fs::write(&path, "a,b,c\n1,2,3\n").unwrap();
    let err = RecordWriter::open_append(&path, &common::METRICS).unwrap_err();
    assert!(matches!(err, ResultsError::HeaderMismatch { .. }));
    assert!(err.to_string().contains("records.csv"), "{err}");
    // Nothing was changed.
    assert_eq!(fs::read_to_string(&path).unwrap(), "a,b,c\n1,2,3\n");
}

#[test]
fn duplicate_trial_and_round_keeps_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    let mut w = RecordWriter::open_append(&path, &common::METRICS).unwrap();
    w.append(&record("random", 0, 0, 0.5)).unwrap();
    w.append(&record("random", 0, 1, 0.6)).unwrap();
    w.append(&record("random", 0, 0, 0.9)).unwrap();
    drop(w);
    let read = read_records(&path).unwrap();
    assert_eq!(read.records.len(), 2);
    assert_eq!(read.records[0].metric(Metric::TEST_ACCURACY), Some(0.5));
    assert_eq!(read.warnings.len(), 1);
    let w = &read.warnings[0];
    assert!(w.contains("line 4") && w.contains("line 2"), "{w}");
}

/// Writes a header and two good rows, then lets `edit` change the text.
fn edited_file(edit: impl Fn(String) -> String) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    let mut w = RecordWriter::open_append(&path, &common::METRICS).unwrap();
    w.append(&record("random", 0, 0, 0.5)).unwrap();
    w.append(&record("random", 1, 0, 0.25)).unwrap();
    drop(w);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, edit(text)).unwrap();
    (dir, path)
}

#[test]
fn missing_column_names_file_and_column() {
    let (_dir, path) = edited_file(|t| t.replacen("axis_value", "axis_val", 1));
    let err = read_records(&path).unwrap_err().to_string();
    assert!(err.contains("records.csv"), "{err}");
    assert!(
        err.ends_with("missing column `axis_value` in header"),
        "{err}"
    );
    // A schema-3 file without any metric column is refused too.
    let (_dir, path) = edited_file(|t| {
        t.replace("test_accuracy", "a")
            .replace("test_loss", "b")
            .replace("balanced_accuracy", "c")
    });
    let err = read_records(&path).unwrap_err().to_string();
    assert!(err.contains("no metric column"), "{err}");
}

#[test]
fn newer_schema_names_file_and_line() {
    // Line 3 (the second data row) claims schema 4.
    let (_dir, path) = edited_file(|t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        lines[2] = lines[2].replacen('3', "4", 1);
        lines.join("\n") + "\n"
    });
    let err = read_records(&path).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "records.csv line 3: schema_version 4 is newer than this sieve understands (3)"
        ),
        "{err}"
    );
}

#[test]
fn non_numeric_metric_names_file_line_and_column() {
    let (_dir, path) = edited_file(|t| t.replacen(",0.25,", ",abc,", 1));
    let err = read_records(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("records.csv line 3, column `test_accuracy`: expected a number, found `abc`"),
        "{err}"
    );
}

#[test]
fn columns_are_found_by_name() {
    // An extra column and a reordered header still read (as a spreadsheet might save).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    let r = record("random", 0, 0, 0.5);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(Record::columns(&common::METRICS)).unwrap();
    w.write_record(r.cells(&common::METRICS)).unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let row: Vec<String> = rdr
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut h: Vec<&str> = header.iter().rev().map(String::as_str).collect();
    h.push("notes");
    let mut v: Vec<&str> = row.iter().rev().map(String::as_str).collect();
    v.push("hello");
    out.write_record(&h).unwrap();
    out.write_record(&v).unwrap();
    fs::write(&path, out.into_inner().unwrap()).unwrap();
    assert_eq!(read_records(&path).unwrap().records, vec![r]);
}

#[test]
fn empty_metric_cells_read_as_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    let mut w = RecordWriter::open_append(&path, &common::METRICS).unwrap();
    w.append(&failed("random", 0, 0)).unwrap();
    drop(w);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(",,,"), "{text}");
    let r = &read_records(&path).unwrap().records[0];
    assert_eq!(r.metric(Metric::TEST_ACCURACY), None);
    assert!(!r.is_ok());
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_records(&dir.path().join("nope.csv")).unwrap_err();
    assert!(matches!(err, ResultsError::Io { .. }));
    assert!(err.to_string().contains("nope.csv"));
}

#[test]
fn schema_1_files_read_with_empty_training_counts() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/qs1/records.csv");
    let read = read_records(&path).unwrap();
    assert!(!read.records.is_empty());
    for r in &read.records {
        assert_eq!(r.schema_version, 1);
        assert_eq!((r.train_steps, r.train_epochs), (None, None));
    }
}

#[test]
fn schema_2_rows_need_the_training_count_columns() {
    // Drop the `train_steps` column from a schema-2 file: its rows are refused.
    let (_dir, path) = edited_file(|t| {
        let mut out = String::new();
        for line in t.lines() {
            let mut cells: Vec<&str> = line.split(',').collect();
            let at = Record::columns(&common::METRICS)
                .iter()
                .position(|c| *c == "train_steps")
                .unwrap();
            cells.remove(at);
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    });
    let err = read_records(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("missing column `train_steps` in header"),
        "{err}"
    );
}

#[test]
fn training_counts_round_trip() {
    let (_dir, path) = edited_file(|t| t);
    let read = read_records(&path).unwrap();
    assert_eq!(read.records[0].train_steps, Some(100));
    assert_eq!(read.records[0].train_epochs, Some(10));
}

#[test]
fn metric_values_outside_their_range_are_refused() {
    let (_dir, path) = edited_file(|t| t.replacen(",0.25,", ",57.3,", 1));
    let err = read_records(&path).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "records.csv line 3, column `test_accuracy`: expected a value from 0 to 1, found 57.3"
        ),
        "{err}"
    );
}

#[test]
fn schema_version_0_is_refused() {
    let (_dir, path) = edited_file(|t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        lines[1] = lines[1].replacen('3', "0", 1);
        lines.join("\n") + "\n"
    });
    let err = read_records(&path).unwrap_err().to_string();
    assert!(err.contains("line 2, column `schema_version`"), "{err}");
}

#[test]
fn many_duplicates_are_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.csv");
    let mut w = RecordWriter::open_append(&path, &common::METRICS).unwrap();
    for _ in 0..3 {
        for repeat in 0..20 {
            w.append(&record("random", repeat, 0, 0.5)).unwrap();
        }
    }
    drop(w);
    let read = read_records(&path).unwrap();
    assert_eq!(read.records.len(), 20);
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    assert!(
        read.warnings[0].contains("40 duplicate row(s)"),
        "{}",
        read.warnings[0]
    );
}
