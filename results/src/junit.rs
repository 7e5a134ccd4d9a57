//! `sieve compare --junit FILE`: the gate's per-cell decisions as JUnit XML, the format
//! GitLab, Jenkins and GitHub's test-report actions display. One test suite per setting,
//! one test case per cell: a regression (or a cell missing from NEW) is a failure, an
//! untested cell is skipped.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::cells::Setting;
use crate::compare::{Change, Comparison};

/// Escapes text for an XML attribute or element.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// One test case.
struct Case {
    name: String,
    failure: Option<String>,
    skipped: Option<String>,
}

/// The comparison as a JUnit XML document.
pub fn junit_xml(cmp: &Comparison) -> String {
    let metric = cmp.options.metric;
    let scale = metric.display_scale();
    let mut suites: BTreeMap<Setting, Vec<Case>> = BTreeMap::new();
    for c in &cmp.cells {
        let name = format!("{} round {} (x = {})", c.cell.label(), c.cell.round, c.x);
        let fmt = |v: Option<f64>| v.map_or("–".to_string(), |x| format!("{:.4}", x * scale));
        let detail = format!(
            "{}: base {} (n {}), new {} (n {}), difference {}, p {} ({})",
            metric.as_str(),
            fmt(c.base_mean),
            c.n_base,
            fmt(c.new_mean),
            c.n_new,
            fmt(c.diff),
            c.p_value.map_or("–".into(), |p| format!("{p:.4}")),
            c.test
        );
        let (failure, skipped) = match c.change {
            Change::Regressed => (Some(format!("regressed: {detail}")), None),
            Change::Untested => (None, Some(format!("untested: {} {detail}", c.note))),
            _ => (None, None),
        };
        suites
            .entry(c.cell.setting.clone())
            .or_default()
            .push(Case {
                name,
                failure,
                skipped,
            });
    }
    for id in &cmp.only_in_base {
        let message = "missing from NEW".to_string();
        let (failure, skipped) = if cmp.options.allow_missing {
            (None, Some(format!("{message} (allowed)")))
        } else {
            (Some(message), None)
        };
        suites.entry(id.setting.clone()).or_default().push(Case {
            name: format!("{} round {}", id.label(), id.round),
            failure,
            skipped,
        });
    }
    let total: usize = suites.values().map(Vec::len).sum();
    let failures: usize = suites
        .values()
        .flatten()
        .filter(|c| c.failure.is_some())
        .count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"sieve compare {} vs {}\" tests=\"{total}\" failures=\"{failures}\">",
        xml(&cmp.base),
        xml(&cmp.new)
    );
    for (setting, cases) in &suites {
        let fails = cases.iter().filter(|c| c.failure.is_some()).count();
        let skips = cases.iter().filter(|c| c.skipped.is_some()).count();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\" skipped=\"{skips}\">",
            xml(&setting.title()),
            cases.len()
        );
        for case in cases {
            let _ = write!(
                s,
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(&setting.slug()),
                xml(&case.name)
            );
            match (&case.failure, &case.skipped) {
                (Some(f), _) => {
                    let _ = writeln!(
                        s,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        xml(f),
                        xml(f)
                    );
                }
                (None, Some(k)) => {
                    let _ = writeln!(
                        s,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(k)
                    );
                }
                (None, None) => {
                    let _ = writeln!(s, "/>");
                }
            }
        }
        let _ = writeln!(s, "  </testsuite>");
    }
    s.push_str("</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            xml(r#"a<b & "c" 'd'>"#),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
    }
}
