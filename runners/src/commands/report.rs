//! `sieve report DIR`: statistics over the records of a results folder, written to
//! `DIR/summary.csv`, with a compact table on stdout.

use std::path::Path;

use anyhow::Context;
use sieve_results::{read_records, summarize, write_summary_csv, SummaryRow};

/// Reads `DIR/records.csv`, writes `DIR/summary.csv`; prints the table unless `quiet`.
pub fn write_summary(dir: &Path, quiet: bool) -> anyhow::Result<Vec<SummaryRow>> {
    let records_path = dir.join("records.csv");
    if !records_path.exists() {
        anyhow::bail!(
            "{}: no records.csv here; is this a sieve results folder?",
            dir.display()
        );
    }
    let read = read_records(&records_path)?;
    for warning in &read.warnings {
        eprintln!("{warning}");
    }
    let rows = summarize(&read.records);
    let summary_path = dir.join("summary.csv");
    write_summary_csv(&rows, &summary_path)
        .with_context(|| format!("cannot write {}", summary_path.display()))?;
    if !quiet {
        print!("{}", table(&rows));
        eprintln!("wrote {}", summary_path.display());
    }
    Ok(rows)
}

fn fmt_opt(v: Option<f64>, scale: f64) -> String {
    v.map(|x| format!("{:.2}", x * scale))
        .unwrap_or_else(|| "-".into())
}

/// A plain-text table: accuracy (%) per cell and the paired difference to random (points).
pub fn table(rows: &[SummaryRow]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<14} {:<10} {:<10} {:<18} {:>7} {:>3}  {:>16}  {:>22}\n",
        "dataset",
        "model",
        "reg",
        "strategy",
        "labeled",
        "n",
        "accuracy % (95%)",
        "vs random, points (95%)"
    ));
    for r in rows {
        let acc = format!(
            "{} ±{}",
            fmt_opt(r.mean, 100.0),
            fmt_opt(r.ci_high.zip(r.mean).map(|(h, m)| h - m), 100.0)
        );
        let diff = match r.diff_vs_random {
            Some(d) => format!(
                "{:+.2} [{}, {}]",
                d * 100.0,
                fmt_opt(r.diff_ci_low, 100.0),
                fmt_opt(r.diff_ci_high, 100.0)
            ),
            None => "-".into(),
        };
        out.push_str(&format!(
            "{:<14} {:<10} {:<10} {:<18} {:>7.0} {:>3}  {:>16}  {:>22}\n",
            r.dataset, r.model, r.regularization, r.strategy, r.labeled, r.n, acc, diff
        ));
    }
    out
}
