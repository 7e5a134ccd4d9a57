//! The summary as a compact, aligned table for a terminal: per setting, one row per
//! method with the last point of the curve and the whole-curve AUBC, verdicts marked
//! (▲ better, ▼ worse than the reference; coloured on a terminal), cut to the width.
//! The full tables are in summary.md and report.html.

use std::fmt::Write;

use super::table::{setting_tables, Entry};
use crate::options::ReportOptions;
use crate::stats::verdict::Verdict;
use crate::summary::SummaryRow;

/// The table, at most `width` characters wide, with ANSI colours when `colour`.
pub fn terminal_summary(
    rows: &[SummaryRow],
    options: &ReportOptions,
    width: usize,
    colour: bool,
) -> String {
    let metric = options.primary_metric();
    let mut out = String::new();
    for table in setting_tables(rows, metric) {
        // The last per-round column and AUBC, when present.
        let last = table
            .columns
            .iter()
            .rposition(|c| c.header != "AUBC" && !c.header.contains(" to "));
        let aubc = table.columns.iter().position(|c| c.header == "AUBC");
        let picked: Vec<usize> = [last, aubc].into_iter().flatten().collect();
        if picked.is_empty() {
            continue;
        }
        let cell = |e: &Option<Entry>, col: usize| -> (String, Option<Verdict>) {
            match e {
                Some(e) => (table.format(col, e), e.verdict),
                None => ("–".into(), None),
            }
        };
        let headers: Vec<String> = picked
            .iter()
            .map(|&c| {
                let h = &table.columns[c].header;
                if h == "AUBC" {
                    h.clone()
                } else {
                    format!("at {h}")
                }
            })
            .collect();
        let cells: Vec<Vec<(String, Option<Verdict>)>> = table
            .rows
            .iter()
            .map(|(_, entries)| picked.iter().map(|&c| cell(&entries[c], c)).collect())
            .collect();
        let col_width: Vec<usize> = (0..picked.len())
            .map(|k| {
                cells
                    .iter()
                    .map(|r| r[k].0.chars().count() + 2)
                    .chain([headers[k].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let fixed: usize = col_width.iter().map(|w| w + 2).sum();
        let longest = table
            .rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let name_width = longest.min(width.saturating_sub(fixed + 2).max(12));
        let title: String = table.setting.title().chars().take(width).collect();
        let _ = writeln!(out, "\n{title}");
        let _ = write!(out, "  {:<name_width$}", "method");
        for (h, w) in headers.iter().zip(&col_width) {
            let _ = write!(out, "  {h:>w$}");
        }
        out.push('\n');
        for ((label, _), row) in table.rows.iter().zip(&cells) {
            let name: String = if label.chars().count() > name_width {
                label
                    .chars()
                    .take(name_width.saturating_sub(1))
                    .chain(['…'])
                    .collect()
            } else {
                label.clone()
            };
            let _ = write!(out, "  {name:<name_width$}");
            for ((text, verdict), w) in row.iter().zip(&col_width) {
                let (mark, start, end) = match verdict {
                    Some(Verdict::Better) => (" ▲", "\x1b[32m", "\x1b[0m"),
                    Some(Verdict::Worse) => (" ▼", "\x1b[31m", "\x1b[0m"),
                    _ => ("  ", "", ""),
                };
                let text = format!("{text}{mark}");
                let pad = w.saturating_sub(text.chars().count());
                if colour && !start.is_empty() {
                    let _ = write!(out, "  {}{start}{text}{end}", " ".repeat(pad));
                } else {
                    let _ = write!(out, "  {}{text}", " ".repeat(pad));
                }
            }
            out.push('\n');
        }
    }
    if !out.is_empty() {
        let _ = writeln!(
            out,
            "\n{}: mean ± std over repeats; ▲/▼ better/worse than the reference (paired test, Holm, alpha {})",
            metric.display_name(),
            options.alpha
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fit_the_width_and_carry_the_marks() {
        let mut rows = Vec::new();
        for (method, mean, verdict) in [
            ("random", 0.70, ""),
            (
                "an_extremely_long_method_name_with_parameters {\"a\":1}",
                0.80,
                "better",
            ),
        ] {
            let mut r: SummaryRow = serde_json::from_value(serde_json::json!({
                "kind": "active", "dataset": "d", "scenario": "none", "model": "m",
                "regularization": "r", "axis": "budget", "axis_value": "b",
                "method": method, "method_params": "{}", "method_label": method,
                "round": 1, "x_name": "labels", "x": 40.0, "metric": "test_accuracy",
                "confidence": 0.95, "interval": "student_t", "n": 3, "mean": mean,
                "std": 0.01, "sem": null, "ci_low": null, "ci_high": null, "min": null,
                "max": null, "n_evaluations": 3, "std_evaluations": null, "n_pairs": 3,
                "diff_vs_reference": null, "diff_ci_low": null, "diff_ci_high": null,
                "diff_p_value": null, "wilcoxon_p_value": null, "p_adjusted": null,
                "effect_size": null, "verdict": verdict, "note": "", "failed": 0,
                "not_reached": null
            }))
            .unwrap();
            r.method_label = method.into();
            rows.push(r);
        }
        let text = terminal_summary(&rows, &ReportOptions::default(), 60, false);
        for line in text.lines().filter(|l| l.starts_with("  ")) {
            assert!(
                line.chars().count() <= 60,
                "{line} ({})",
                line.chars().count()
            );
        }
        assert!(text.contains('▲'), "{text}");
        assert!(text.contains('…'), "{text}");
        let coloured = terminal_summary(&rows, &ReportOptions::default(), 60, true);
        assert!(coloured.contains("\x1b[32m"));
    }
}
