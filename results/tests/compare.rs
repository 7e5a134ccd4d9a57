//! `compare_records` / `compare_dirs`: the regression gate's decisions.

#![allow(clippy::unwrap_used)]

mod common;

use common::{failed, record};
use sieve_results::compare::Change;
use sieve_results::{
    compare_dirs, compare_records, CompareOptions, CompareTest, Record, RecordWriter,
};

/// random and entropy, 5 repeats, one round, accuracies `base + offset(rep)`.
fn run(random: f64, entropy: f64) -> Vec<Record> {
    let mut v = Vec::new();
    for rep in 0..5 {
        let wobble = [0.0, 0.004, -0.003, 0.002, -0.001][rep as usize];
        v.push(record("random", rep, 0, random + wobble));
        v.push(record("entropy", rep, 0, entropy - wobble));
    }
    v
}

fn change(c: &sieve_results::Comparison, strategy: &str) -> Change {
    c.cells
        .iter()
        .find(|c| c.cell.method == strategy)
        .unwrap()
        .change
}

#[test]
fn regression_improvement_and_noise() {
    let base = run(0.80, 0.85);
    // Same seeds: paired test. entropy drops 3 points; random gains 0.2 (noise).
    let new = run(0.802, 0.82);
    let c = compare_records(&base, &new, &CompareOptions::default());
    assert_eq!(change(&c, "entropy"), Change::Regressed);
    assert_eq!(change(&c, "random"), Change::WithinNoise);
    assert!(c.any_regressed());
    assert_eq!(c.cells[0].test, "paired t");
    let md = c.to_markdown();
    assert!(md.contains("REGRESSED") && md.contains("| setting |"));

    let c = compare_records(&new, &base, &CompareOptions::default());
    assert_eq!(change(&c, "entropy"), Change::Improved);
    assert!(!c.any_regressed());
}

#[test]
fn tolerance_absorbs_small_significant_changes() {
    let base = run(0.80, 0.85);
    let new = run(0.80, 0.847);
    let strict = CompareOptions {
        tolerance: 0.0,
        ..CompareOptions::default()
    };
    // A constant 0.3-point shift is significant (zero variance of differences)…
    assert_eq!(
        change(&compare_records(&base, &new, &strict), "entropy"),
        Change::Regressed
    );
    // …but within the default half-point tolerance.
    let c = compare_records(&base, &new, &CompareOptions::default());
    assert_eq!(change(&c, "entropy"), Change::WithinNoise);
}

#[test]
fn different_seeds_use_welch_or_mann_whitney() {
    let base = run(0.80, 0.85);
    let mut new = run(0.80, 0.80);
    for r in &mut new {
        r.seed += 1000;
    }
    let c = compare_records(&base, &new, &CompareOptions::default());
    assert_eq!(c.cells[0].test, "welch t");
    assert_eq!(change(&c, "entropy"), Change::Regressed);
    let mw = CompareOptions {
        test: CompareTest::MannWhitney,
        ..CompareOptions::default()
    };
    let c = compare_records(&base, &new, &mw);
    // 5 vs 5, complete separation: exact two-sided p = 2/252 = 0.0079.
    let e = c.cells.iter().find(|c| c.cell.method == "entropy").unwrap();
    assert!((e.p_value.unwrap() - 2.0 / 252.0).abs() < 1e-12);
    assert_eq!(e.change, Change::Regressed);
}

#[test]
fn one_sided_cells_are_listed_and_failures_regress() {
    let base = run(0.80, 0.85);
    let mut new: Vec<Record> = run(0.80, 0.85)
        .into_iter()
        .filter(|r| r.method != "entropy")
        .collect();
    for rep in 0..5 {
        new.push(record("margin", rep, 0, 0.9));
    }
    let c = compare_records(&base, &new, &CompareOptions::default());
    assert_eq!(c.only_in_base.len(), 1);
    assert_eq!(c.only_in_new.len(), 1);
    assert!(!c.any_regressed());
    let md = c.to_markdown();
    assert!(md.contains("Only in BASE (1)") && md.contains("Only in NEW (1)"));

    // Every entropy evaluation failed in NEW: a regression, not a silent drop.
    let mut new = run(0.80, 0.85);
    new.retain(|r| r.method != "entropy");
    for rep in 0..5 {
        new.push(failed("entropy", rep, 0));
    }
    let c = compare_records(&base, &new, &CompareOptions::default());
    assert_eq!(change(&c, "entropy"), Change::Regressed);
}

#[test]
fn single_repeat_is_untested() {
    let base = vec![record("random", 0, 0, 0.8)];
    let new = vec![record("random", 0, 0, 0.5)];
    let c = compare_records(&base, &new, &CompareOptions::default());
    assert_eq!(c.cells[0].change, Change::Untested);
    assert!(!c.any_regressed());
}

#[test]
fn dirs_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let (b, n) = (tmp.path().join("base"), tmp.path().join("new"));
    for (dir, recs) in [(&b, run(0.80, 0.85)), (&n, run(0.80, 0.82))] {
        std::fs::create_dir(dir).unwrap();
        let mut w = RecordWriter::open_append(&dir.join("records.csv"), &common::METRICS).unwrap();
        for r in &recs {
            w.append(r).unwrap();
        }
    }
    let c = compare_dirs(&b, &n, &CompareOptions::default()).unwrap();
    assert!(c.any_regressed());
    let err =
        compare_dirs(&b, &tmp.path().join("missing"), &CompareOptions::default()).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
    let bad = CompareOptions {
        alpha: 0.0,
        ..CompareOptions::default()
    };
    assert!(compare_dirs(&b, &n, &bad).is_err());
}
