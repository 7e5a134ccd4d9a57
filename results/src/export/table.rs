//! The layout the Markdown and LaTeX tables share: per setting, one row per arm
//! and one column per budget, then AUBC and label efficiency, for one metric.

use std::collections::BTreeMap;

use crate::cells::{Arm, Setting};
use crate::metric::Metric;
use crate::stats::verdict::Verdict;
use crate::summary::{target_header, target_of, SummaryRow, AUBC_SUFFIX, LABELS_SUFFIX};

/// A column of a setting's table.
pub(crate) struct Column {
    /// Header text.
    pub header: String,
    /// Whether the best value is the largest.
    pub higher_is_better: bool,
    /// Display scale (100 for accuracies in %).
    pub scale: f64,
    /// Decimals shown.
    pub decimals: usize,
}

/// One entry of the table.
#[derive(Clone)]
pub(crate) struct Entry {
    pub mean: f64,
    pub std: Option<f64>,
    pub n: usize,
    /// `None` for the reference row.
    pub verdict: Option<Verdict>,
    /// Label efficiency: repeats that never reached the target.
    pub not_reached: usize,
}

/// A setting's table.
pub(crate) struct SettingTable {
    pub setting: Setting,
    pub columns: Vec<Column>,
    /// (arm label, one entry per column).
    pub rows: Vec<(String, Vec<Option<Entry>>)>,
}

impl SettingTable {
    /// Whether entry (row, col) has the best mean of its column (ties all best).
    pub fn is_best(&self, row: usize, col: usize) -> bool {
        let Some(Some(e)) = self.rows.get(row).and_then(|r| r.1.get(col)) else {
            return false;
        };
        let hib = self.columns[col].higher_is_better;
        self.rows.iter().filter_map(|r| r.1[col].as_ref()).all(|o| {
            if hib {
                e.mean >= o.mean
            } else {
                e.mean <= o.mean
            }
        })
    }

    /// "mean ± std" of an entry in display units.
    pub fn format(&self, col: usize, e: &Entry) -> String {
        let c = &self.columns[col];
        let mean = format!("{:.*}", c.decimals, e.mean * c.scale);
        match e.std {
            Some(s) => format!("{mean} ± {:.*}", c.decimals, s * c.scale),
            None => mean,
        }
    }
}

fn verdict_of(row: &SummaryRow) -> Option<Verdict> {
    match row.verdict.as_str() {
        "better" => Some(Verdict::Better),
        "worse" => Some(Verdict::Worse),
        "indistinguishable" => Some(Verdict::Indistinguishable),
        "" => None,
        _ => Some(Verdict::NoVerdict),
    }
}

/// An x value as a column header: integers plainly, fractions with the digits they need.
pub(crate) fn format_x(x: f64) -> String {
    format!("{x:.*}", crate::export::markdown::x_digits(Some(x)))
}

/// One table per setting for `metric`, from summary rows.
pub(crate) fn setting_tables(rows: &[SummaryRow], metric: Metric) -> Vec<SettingTable> {
    let aubc = format!("{}{AUBC_SUFFIX}", metric.as_str());
    let labels = format!("{}{LABELS_SUFFIX}", metric.as_str());
    // setting -> column key -> arm -> entry. Column keys order rounds first.
    type Cols = BTreeMap<(u8, u32), (String, BTreeMap<Arm, Entry>)>;
    let mut by_setting: BTreeMap<Setting, Cols> = BTreeMap::new();
    for r in rows {
        let (key, header) = if r.metric == metric.as_str() {
            let Some(round) = r.round else { continue };
            let header = r.x.map_or(format!("round {round}"), format_x);
            ((0, round), header)
        } else if r.metric == aubc {
            ((1, 0), "AUBC".to_string())
        } else if r.metric == labels {
            let b = r.x.map_or(String::new(), format_x);
            (
                (2, 0),
                format!(
                    "{} to {}@{b}",
                    r.x_name,
                    crate::kinds::reference_method(&r.kind)
                ),
            )
        } else if let Some(t) = target_of(&r.metric, metric) {
            // Fixed targets after the reference's, in increasing order.
            let order = (t * 1e6).round().clamp(0.0, f64::from(u32::MAX)) as u32;
            ((3, order), target_header(&r.x_name, metric, t))
        } else {
            continue;
        };
        let Some(mean) = r.mean else { continue };
        let col = by_setting
            .entry(r.setting())
            .or_default()
            .entry(key)
            .or_insert_with(|| (header, BTreeMap::new()));
        col.1.insert(
            r.arm(),
            Entry {
                mean,
                std: r.std,
                n: r.n,
                verdict: verdict_of(r),
                not_reached: r.not_reached.unwrap_or(0),
            },
        );
    }
    by_setting
        .into_iter()
        .map(|(setting, cols)| {
            let mut arms: Vec<Arm> = cols.values().flat_map(|c| c.1.keys().cloned()).collect();
            arms.sort();
            arms.dedup();
            let columns = cols
                .iter()
                .map(|(key, (header, _))| {
                    let is_labels = key.0 >= 2;
                    Column {
                        header: header.clone(),
                        higher_is_better: if is_labels {
                            false
                        } else {
                            metric.higher_is_better()
                        },
                        scale: if is_labels {
                            1.0
                        } else {
                            metric.display_scale()
                        },
                        decimals: if is_labels {
                            0
                        } else if metric.higher_is_better() {
                            1
                        } else {
                            3
                        },
                    }
                })
                .collect();
            let rows = arms
                .iter()
                .map(|arm| {
                    let entries = cols.values().map(|c| c.1.get(arm).cloned()).collect();
                    (arm.label(), entries)
                })
                .collect();
            SettingTable {
                setting,
                columns,
                rows,
            }
        })
        .collect()
}
