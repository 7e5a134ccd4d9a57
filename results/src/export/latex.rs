//! summary.tex: one booktabs table per setting, mean ± std per method and
//! budget, the best of each column in bold, ↑/↓ for significant differences to
//! the reference. Every table is scaled to `\linewidth` (so a wide one never runs off
//! a page, landscape or not). Needs `\usepackage{booktabs}` and `\usepackage{graphicx}`.

use std::fmt::Write as _;

use crate::options::ReportOptions;
use crate::stats::verdict::Verdict;
use crate::summary::SummaryRow;

use super::table::setting_tables;

/// Escapes LaTeX's special characters in text.
pub fn tex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '·' => out.push_str("$\\cdot$"),
            // A straight quote (JSON parameters), not the typographic ” of `"`.
            '"' => out.push_str("\\textquotedbl{}"),
            '…' => out.push_str("\\dots{}"),
            _ => out.push(c),
        }
    }
    out
}

/// The LaTeX tables for the primary metric of `options`.
pub fn summary_latex(rows: &[SummaryRow], options: &ReportOptions) -> String {
    let metric = options.primary_metric();
    let mut s = String::from(
        "% Written by sieve report. Needs \\usepackage{booktabs}, \\usepackage{graphicx} and\n\
         % \\usepackage[T1]{fontenc} (for straight quotes).\n",
    );
    for table in setting_tables(rows, metric) {
        let _ = writeln!(s, "\\begin{{table}}[t]\n\\centering\n\\small");
        let _ = writeln!(
            s,
            "\\caption{{{}: {}, mean $\\pm$ std over repeats. Bold: best per column. \
             $^{{\\uparrow}}$/$^{{\\downarrow}}$: better/worse than the reference (paired test, \
             Holm-adjusted $p < {}$).}}",
            tex_escape(&table.setting.title()),
            tex_escape(metric.display_name()),
            options.alpha
        );
        let _ = writeln!(
            s,
            "\\resizebox{{\\linewidth}}{{!}}{{%\n\\begin{{tabular}}{{l{}}}\n\\toprule",
            "r".repeat(table.columns.len())
        );
        s.push_str("Method");
        for c in &table.columns {
            let _ = write!(s, " & {}", tex_escape(&c.header));
        }
        s.push_str(" \\\\\n\\midrule\n");
        for (i, (label, entries)) in table.rows.iter().enumerate() {
            s.push_str(&tex_escape(label));
            for (j, e) in entries.iter().enumerate() {
                let Some(e) = e else {
                    s.push_str(" & --");
                    continue;
                };
                let text = table.format(j, e).replace(" ± ", " $\\pm$ ");
                let text = if table.is_best(i, j) {
                    format!("\\textbf{{{text}}}")
                } else {
                    text
                };
                let mark = match e.verdict {
                    Some(Verdict::Better) => "$^{\\uparrow}$",
                    Some(Verdict::Worse) => "$^{\\downarrow}$",
                    _ => "",
                };
                let _ = write!(s, " & {text}{mark}");
            }
            s.push_str(" \\\\\n");
        }
        s.push_str("\\bottomrule\n\\end{tabular}%\n}\n\\end{table}\n\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(tex_escape("a_b & 50%"), "a\\_b \\& 50\\%");
        assert_eq!(
            tex_escape(r#"{"k":1}"#),
            "\\{\\textquotedbl{}k\\textquotedbl{}:1\\}"
        );
    }
}
