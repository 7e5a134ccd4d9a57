//! summary.md: per setting, a table of mean ± std per method and budget with
//! verdict markers, and a table of the comparisons with random behind them.

use std::fmt::Write as _;

use crate::metric::Metric;
use crate::options::ReportOptions;
use crate::summary::{
    target_header, target_of, SummaryRow, AUBC_SUFFIX, BWT_SUFFIX, FORGETTING_SUFFIX,
    LABELS_SUFFIX, SPEEDUP_SUFFIX,
};

use super::table::setting_tables;

/// Escapes the characters that would break a Markdown table cell.
pub fn md_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('*', "\\*")
        .replace('_', "\\_")
}

/// A number with `d` decimals, or `–` when missing.
pub(crate) fn opt(v: Option<f64>, scale: f64, d: usize) -> String {
    v.map_or("–".to_string(), |x| format!("{:.*}", d, x * scale))
}

/// A p-value: 3 significant digits, `<0.001` below that.
pub(crate) fn pval(p: Option<f64>) -> String {
    match p {
        None => "–".into(),
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{p:.3}"),
    }
}

/// The Markdown report for the primary metric of `options`.
pub fn summary_markdown(rows: &[SummaryRow], options: &ReportOptions) -> String {
    let metric = options.primary_metric();
    let mut s = String::new();
    let _ = writeln!(s, "# sieve summary: {}\n", metric.display_name());
    let _ = writeln!(
        s,
        "Mean ± standard deviation over repeats. ▲ / ▼: better / worse than the \
         reference method of the kind (random, uniform or reservoir; paired {} test, Holm-adjusted p < {} \
         across the methods of the setting); **bold**: best mean of the column. AUBC: \
         normalised area under the curve over x (labels, fraction). X to reference@B: \
         the x needed to reach the reference's mean at B (lower is better; `n/r` \
         repeats not reached). See docs/statistics.md.\n",
        match options.test {
            crate::options::PairedTest::T => "t",
            crate::options::PairedTest::Wilcoxon => "Wilcoxon signed-rank",
        },
        options.alpha
    );
    for table in setting_tables(rows, metric) {
        let _ = writeln!(s, "## {}\n", md_escape(&table.setting.title()));
        s.push_str("| method |");
        for c in &table.columns {
            let _ = write!(s, " {} |", md_escape(&c.header));
        }
        s.push_str("\n|---|");
        for _ in &table.columns {
            s.push_str("---:|");
        }
        s.push('\n');
        for (i, (label, entries)) in table.rows.iter().enumerate() {
            let _ = write!(s, "| {} |", md_escape(label));
            for (j, e) in entries.iter().enumerate() {
                let Some(e) = e else {
                    s.push_str(" – |");
                    continue;
                };
                let mut text = table.format(j, e);
                if table.is_best(i, j) {
                    text = format!("**{text}**");
                }
                if let Some(v) = e.verdict {
                    text.push_str(v.marker());
                }
                if e.not_reached > 0 {
                    let _ = write!(text, " ({}/r)", e.not_reached);
                }
                let _ = write!(s, " {text} |");
            }
            s.push('\n');
        }
        s.push('\n');
        detail(&mut s, rows, &table.setting, metric);
    }
    s
}

/// The comparison table of one setting: final round, AUBC and label efficiency.
fn detail(s: &mut String, rows: &[SummaryRow], setting: &crate::cells::Setting, metric: Metric) {
    let in_setting: Vec<&SummaryRow> = rows.iter().filter(|r| &r.setting() == setting).collect();
    let last_round = in_setting
        .iter()
        .filter(|r| r.metric == metric.as_str())
        .filter_map(|r| r.round)
        .max();
    let aubc = format!("{}{AUBC_SUFFIX}", metric.as_str());
    let labels = format!("{}{LABELS_SUFFIX}", metric.as_str());
    let speedup = format!("{}{SPEEDUP_SUFFIX}", metric.as_str());
    let reference = setting.reference();
    let _ = writeln!(
        s,
        "Against {reference} (difference method − {reference}, paired by repeat):\n\n\
         | summary | method | pairs | difference [interval] | p (t) | p (Wilcoxon) | p (Holm) | d_z | verdict |\n\
         |---|---|---:|---|---:|---:|---:|---:|---|"
    );
    for r in in_setting {
        let what = if r.metric == metric.as_str() && r.round == last_round && r.round.is_some() {
            format!("{} {}", opt(r.x, 1.0, x_digits(r.x)), r.x_name)
        } else if r.metric == aubc {
            "AUBC".to_string()
        } else if r.metric == labels {
            format!(
                "{} to {}@{}",
                r.x_name,
                crate::kinds::reference_method(&r.kind),
                opt(r.x, 1.0, x_digits(r.x))
            )
        } else if r.metric == speedup {
            format!(
                "speed-up (×) to {}@{}",
                crate::kinds::reference_method(&r.kind),
                opt(r.x, 1.0, x_digits(r.x))
            )
        } else if let Some(t) = r.metric.strip_prefix(&format!("{speedup}_to_")) {
            format!("speed-up (×) to {t}")
        } else if r.metric == format!("{}{BWT_SUFFIX}", metric.as_str()) {
            "backward transfer".to_string()
        } else if r.metric == format!("{}{FORGETTING_SUFFIX}", metric.as_str()) {
            "forgetting (lower is better)".to_string()
        } else if let Some(t) = target_of(&r.metric, metric) {
            target_header(&r.x_name, metric, t)
        } else {
            continue;
        };
        if r.verdict.is_empty() {
            continue;
        }
        let is_speedup = r.metric.starts_with(&speedup);
        let (scale, d) = if is_speedup {
            (1.0, 2)
        } else if r.metric == labels || target_of(&r.metric, metric).is_some() {
            // Labels need one decimal; fractions as many as the x itself has.
            (1.0, x_digits(r.x).max(1) + 1)
        } else if metric.higher_is_better() {
            (100.0, 2)
        } else {
            (1.0, 4)
        };
        // A speed-up row's difference is speed-up − 1 (the reference is 1 per repeat):
        // shown as the speed-up itself.
        let shift = |v: Option<f64>| v.map(|v| if is_speedup { v + 1.0 } else { v });
        let diff = format!(
            "{} [{}, {}]",
            opt(shift(r.diff_vs_reference), scale, d),
            opt(shift(r.diff_ci_low), scale, d),
            opt(shift(r.diff_ci_high), scale, d)
        );
        let verdict = r.verdict_with_note();
        let _ = writeln!(
            s,
            "| {what} | {} | {} | {diff} | {} | {} | {} | {} | {} |",
            md_escape(&r.arm().label()),
            r.n_pairs,
            pval(r.diff_p_value),
            pval(r.wilcoxon_p_value),
            pval(r.p_adjusted),
            opt(r.effect_size, 1.0, 2),
            md_escape(&verdict)
        );
    }
    s.push('\n');
}

/// Decimals that show `x` exactly (0 for counts, 3 for 0.005), at most 6.
pub(crate) fn x_digits(x: Option<f64>) -> usize {
    let Some(x) = x else { return 0 };
    (0..6)
        .find(|&d| {
            let scaled = x * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-9 * scaled.abs().max(1.0)
        })
        .unwrap_or(6)
}
