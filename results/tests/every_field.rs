//! No field of `[report]` may be accepted and ignored: each non-default value changes the
//! statistics computed (not merely the option echoed into the summary) or the files
//! written. The field list comes from serde, so a new field fails here until it has a case.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::record;
use serde_json::{json, Value};
use sieve_results::{summarize_with, write_report, Record, RecordWriter, ReportOptions};

/// random and margin, 6 repeats, 3 rounds; margin slightly better with noise, so that
/// verdicts depend on alpha and on the test, and label efficiency on the target.
fn records() -> Vec<Record> {
    let noise = [0.013, -0.021, 0.004, 0.017, -0.009, -0.002];
    let mut out = Vec::new();
    for repeat in 0..6u32 {
        for round in 0..3u32 {
            let base = 0.5 + 0.1 * f64::from(round);
            let r = repeat as usize;
            out.push(record("random", repeat, round, base + noise[r]));
            let gain = 0.006 * f64::from(round) + noise[(r + 2) % 6];
            out.push(record("margin", repeat, round, base + gain));
        }
    }
    out
}

/// The computed statistics only: option echoes (`confidence`, `interval`) left out.
fn statistics(options: &ReportOptions) -> String {
    let summary = summarize_with(&records(), options);
    summary
        .rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?} {} {:?}\n",
                r.method,
                r.metric,
                r.round,
                r.n,
                r.mean,
                r.ci_low,
                r.ci_high,
                r.diff_ci_low,
                r.diff_ci_high,
                r.p_adjusted,
                r.verdict,
                r.not_reached
            )
        })
        .collect()
}

fn options(value: &Value) -> ReportOptions {
    serde_json::from_value(value.clone()).unwrap()
}

#[test]
fn every_report_field_changes_the_report() {
    let base = json!({});
    let cases: Vec<(&str, Value)> = vec![
        ("confidence", json!(0.8)),
        ("alpha", json!(0.4)),
        (
            "interval",
            json!({"method": "bootstrap", "resamples": 1000, "seed": 1}),
        ),
        ("test", json!("wilcoxon")),
        ("reference_budget", json!(20)),
        ("metrics", json!(["balanced_accuracy"])),
        ("targets", json!([0.6])),
    ];
    let all: BTreeSet<String> = serde_json::to_value(ReportOptions::default())
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let covered: BTreeSet<String> = cases
        .iter()
        .map(|c| c.0)
        .chain(["plots"]) // checked below: it changes the files, not the statistics
        .map(str::to_string)
        .collect();
    assert_eq!(covered, all, "every [report] field needs a case here");

    let before = statistics(&options(&base));
    for (field, value) in &cases {
        let mut changed = base.clone();
        changed
            .as_object_mut()
            .unwrap()
            .insert(field.to_string(), value.clone());
        assert_ne!(
            before,
            statistics(&options(&changed)),
            "report field `{field}` = {value} changed no statistic"
        );
    }

    // The bootstrap's own fields.
    let boot = |resamples: usize, seed: u64| {
        statistics(&options(&json!({"interval": {
            "method": "bootstrap", "resamples": resamples, "seed": seed
        }})))
    };
    assert_ne!(boot(1000, 1), boot(1000, 2), "interval.seed");
    assert_ne!(boot(1000, 1), boot(2000, 1), "interval.resamples");

    // plots: the files written.
    let dir = tempfile::tempdir().unwrap();
    let mut writer =
        RecordWriter::open_append(&dir.path().join("records.csv"), &common::METRICS).unwrap();
    for r in records() {
        writer.append(&r).unwrap();
    }
    drop(writer);
    let with_plots = write_report(dir.path(), &options(&json!({"plots": true}))).unwrap();
    let without = write_report(dir.path(), &options(&json!({"plots": false}))).unwrap();
    assert!(with_plots.written.len() > without.written.len());
    assert!(!without
        .written
        .iter()
        .any(|p| p.to_string_lossy().contains("plots")));
}

#[test]
fn unknown_report_keys_are_refused() {
    for text in [
        r#"{"interval": {"method": "student_t", "resamples": 5000}}"#,
        r#"{"interval": {"method": "bootstrap", "resamples": 5000, "seed": 1, "level": 2}}"#,
        r#"{"alpah": 0.1}"#,
    ] {
        let err = serde_json::from_str::<ReportOptions>(text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field"), "{text}: {err}");
    }
}
