//! report.html: one self-contained page — the tables (from summary.md's data)
//! and every plot inlined as SVG — that opens offline in any browser.

use std::fmt::Write as _;

use crate::export::markdown::{opt, pval};
use crate::options::ReportOptions;
use crate::plot::Plots;
use crate::summary::{target_header, target_of, SummaryRow, AUBC_SUFFIX, LABELS_SUFFIX};

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;\
max-width:1320px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.6em}h2{margin-top:2.2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
table{border-collapse:collapse;margin:1em 0;font-size:.92em}\
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}\
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}\
td{white-space:nowrap}td.l{text-align:left;white-space:normal}td.better{background:#e3eefa}td.worse{background:#fbe4e6}.best{font-weight:bold}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#555;font-size:.9em}.note{color:#666;font-size:.9em}";

/// The page.
pub fn report_html(
    rows: &[SummaryRow],
    plots: &Plots,
    _markdown: &str,
    options: &ReportOptions,
    sweep: Option<&serde_json::Value>,
) -> String {
    let metric = options.primary_metric();
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>sieve report</title><style>{STYLE}</style></head><body>\n<h1>sieve report: {}</h1>\n",
        html_escape(metric.display_name())
    );
    if let Some(id) = sweep
        .and_then(|v| v.get("sweep_id"))
        .and_then(|v| v.as_str())
    {
        let _ = writeln!(
            s,
            "<p class=\"note\">sweep <code>{}</code></p>",
            html_escape(id)
        );
    }
    let _ = writeln!(
        s,
        "<p>Mean ± standard deviation over repeats. Blue cells / ▲: better than the \
         reference method of the kind (random, uniform or reservoir), red / ▼: worse (paired {} test, \
         Holm-adjusted p &lt; {} across the methods of a setting); bold: best mean of its \
         column; intervals are {:.0}% {}. AUBC: normalised area under the curve over x \
         (labels, fraction). X to reference@B: the x needed to reach the reference's mean \
         at B (lower is better). docs/statistics.md explains every number.</p>",
        match options.test {
            crate::options::PairedTest::T => "t",
            crate::options::PairedTest::Wilcoxon => "Wilcoxon signed-rank",
        },
        options.alpha,
        options.confidence * 100.0,
        match options.interval {
            crate::options::IntervalMethod::StudentT {} => "Student t intervals",
            crate::options::IntervalMethod::Bootstrap { .. } => "percentile bootstrap intervals",
        }
    );
    let tables = crate::export::table::setting_tables(rows, metric);
    for table in &tables {
        let _ = writeln!(
            s,
            "<h2>{}</h2>\n<table><tr><th>method</th>",
            html_escape(&table.setting.title())
        );
        for c in &table.columns {
            let _ = write!(s, "<th>{}</th>", html_escape(&c.header));
        }
        s.push_str("</tr>\n");
        for (i, (label, entries)) in table.rows.iter().enumerate() {
            let _ = write!(s, "<tr><td>{}</td>", html_escape(label));
            for (j, e) in entries.iter().enumerate() {
                let Some(e) = e else {
                    s.push_str("<td>–</td>");
                    continue;
                };
                let mut class = match e.verdict {
                    Some(crate::Verdict::Better) => "better".to_string(),
                    Some(crate::Verdict::Worse) => "worse".to_string(),
                    _ => String::new(),
                };
                if table.is_best(i, j) {
                    class.push_str(" best");
                }
                let marker = e.verdict.map_or("", |v| v.marker());
                let _ = write!(
                    s,
                    "<td class=\"{}\" title=\"n = {}\">{}{}</td>",
                    class.trim(),
                    e.n,
                    html_escape(&table.format(j, e)),
                    marker
                );
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</table>\n");
        detail(&mut s, rows, &table.setting, metric);
        for fig in plots.figures.iter().filter(|f| f.setting == table.setting) {
            let _ = writeln!(
                s,
                "<figure>{}<figcaption>{} (<code>{}</code>)</figcaption></figure>",
                strip_xml_header(&fig.svg),
                html_escape(&fig.title),
                html_escape(
                    &fig.png_path
                        .file_name()
                        .map_or(String::new(), |n| n.to_string_lossy().into_owned())
                )
            );
        }
    }
    if tables.is_empty() {
        s.push_str("<p>No records with values to summarise.</p>\n");
    }
    for w in &plots.warnings {
        let _ = writeln!(s, "<p class=\"note\">{}</p>", html_escape(w));
    }
    s.push_str("</body></html>\n");
    s
}

/// The SVG element without an XML declaration (not allowed inside HTML).
fn strip_xml_header(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

/// Comparisons with random for the last round, AUBC and label efficiency.
fn detail(
    s: &mut String,
    rows: &[SummaryRow],
    setting: &crate::cells::Setting,
    metric: crate::Metric,
) {
    let in_setting: Vec<&SummaryRow> = rows.iter().filter(|r| &r.setting() == setting).collect();
    let last = in_setting
        .iter()
        .filter(|r| r.metric == metric.as_str())
        .filter_map(|r| r.round)
        .max();
    let aubc = format!("{}{AUBC_SUFFIX}", metric.as_str());
    let labels = format!("{}{LABELS_SUFFIX}", metric.as_str());
    s.push_str("<table><tr><th>summary</th><th>method</th><th>pairs</th><th>method − random [CI]</th>\
                <th>p (t)</th><th>p (Wilcoxon)</th><th>p (Holm)</th><th>d<sub>z</sub></th><th>verdict</th></tr>\n");
    for r in in_setting {
        if r.verdict.is_empty() {
            continue;
        }
        let what = if r.metric == metric.as_str() && r.round.is_some() && r.round == last {
            format!(
                "{} {}",
                opt(r.x, 1.0, crate::export::markdown::x_digits(r.x)),
                r.x_name
            )
        } else if r.metric == aubc {
            "AUBC".into()
        } else if r.metric == labels {
            format!(
                "{} to {}@{}",
                r.x_name,
                crate::kinds::reference_method(&r.kind),
                opt(r.x, 1.0, crate::export::markdown::x_digits(r.x))
            )
        } else if let Some(t) = target_of(&r.metric, metric) {
            target_header(&r.x_name, metric, t)
        } else {
            continue;
        };
        let (scale, d) = if r.metric == labels || target_of(&r.metric, metric).is_some() {
            (1.0, 1)
        } else {
            (metric.display_scale(), 2)
        };
        let verdict = r.verdict_with_note();
        let _ = writeln!(
            s,
            "<tr><td>{what}</td><td class=\"l\">{}</td><td>{}</td><td>{} [{}, {}]</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            html_escape(&r.arm().label()),
            r.n_pairs,
            opt(r.diff_vs_reference, scale, d),
            opt(r.diff_ci_low, scale, d),
            opt(r.diff_ci_high, scale, d),
            pval(r.diff_p_value),
            pval(r.wilcoxon_p_value),
            pval(r.p_adjusted),
            opt(r.effect_size, 1.0, 2),
            html_escape(&verdict)
        );
    }
    s.push_str("</table>\n");
}
