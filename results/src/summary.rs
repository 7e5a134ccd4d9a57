//! Per-cell summaries: statistics over repeats of one metric, and the paired
//! difference to random in the same setting and round.
//!
//! A cell is everything but the repeat: (kind, dataset, scenario, model,
//! regularization, budget, strategy, strategy_params, round).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::atomic::write_atomic;
use crate::error::ResultsError;
use crate::record::Record;
use crate::stats::descriptive::estimate;
use crate::stats::paired::paired_difference;

/// The strategy every other strategy is compared against.
pub const REFERENCE_STRATEGY: &str = "random";

/// `strategy_params` of a strategy without parameters.
const NO_PARAMS: &str = "{}";

/// The interval level [`summarize`] uses.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// Which metric of a [`Record`] a summary describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// [`Record::test_accuracy`].
    TestAccuracy,
    /// [`Record::test_loss`].
    TestLoss,
    /// [`Record::balanced_accuracy`].
    BalancedAccuracy,
}

impl Metric {
    /// Every metric, in column order.
    pub const ALL: [Metric; 3] = [
        Metric::TestAccuracy,
        Metric::TestLoss,
        Metric::BalancedAccuracy,
    ];

    /// The record column name.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::TestAccuracy => "test_accuracy",
            Metric::TestLoss => "test_loss",
            Metric::BalancedAccuracy => "balanced_accuracy",
        }
    }

    /// The metric's value in `record`, if measured.
    pub fn value(self, record: &Record) -> Option<f64> {
        match self {
            Metric::TestAccuracy => record.test_accuracy,
            Metric::TestLoss => record.test_loss,
            Metric::BalancedAccuracy => record.balanced_accuracy,
        }
    }
}

/// One row of summary.csv. Column order = field order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Experiment kind.
    pub kind: String,
    /// Dataset name.
    pub dataset: String,
    /// Scenario name.
    pub scenario: String,
    /// Model name.
    pub model: String,
    /// Regularization setting name.
    pub regularization: String,
    /// Budget schedule name.
    pub budget: String,
    /// Strategy name.
    pub strategy: String,
    /// Compact JSON of the strategy's parameters.
    pub strategy_params: String,
    /// Round.
    pub round: u32,
    /// Mean labeled count over the cell's records (the same for every repeat in a
    /// normal run, so normally a whole number).
    pub labeled: f64,
    /// The metric summarised (a [`Metric::as_str`] name).
    pub metric: String,
    /// The two-sided interval level of `ci_*` and `diff_ci_*`, e.g. 0.95.
    pub confidence: f64,
    /// Repeats contributing (ok records with a finite metric).
    pub n: usize,
    /// Mean over repeats; `None` when n = 0.
    pub mean: Option<f64>,
    /// Sample standard deviation; `None` when n < 2.
    pub std: Option<f64>,
    /// Standard error of the mean; `None` when n < 2.
    pub sem: Option<f64>,
    /// Student t interval, lower bound; `None` when n < 2.
    pub ci_low: Option<f64>,
    /// Student t interval, upper bound; `None` when n < 2.
    pub ci_high: Option<f64>,
    /// Smallest value; `None` when n = 0.
    pub min: Option<f64>,
    /// Largest value; `None` when n = 0.
    pub max: Option<f64>,
    /// Mean paired difference to random (this - random); `None` for the
    /// reference row itself and when no repeat matches.
    pub diff_vs_random: Option<f64>,
    /// Interval of the paired difference, lower bound; `None` when n_pairs < 2.
    pub diff_ci_low: Option<f64>,
    /// Interval of the paired difference, upper bound; `None` when n_pairs < 2.
    pub diff_ci_high: Option<f64>,
    /// Two-sided paired t test p-value (unadjusted); `None` when n_pairs < 2.
    pub diff_p_value: Option<f64>,
    /// Repeats matched with random.
    pub n_pairs: usize,
    /// Records in the cell that did not contribute: failed, or ok without a
    /// finite value of the metric.
    pub failed: usize,
}

/// The header of summary.csv, in field order (checked against serde by a test).
const SUMMARY_COLUMNS: [&str; 26] = [
    "kind",
    "dataset",
    "scenario",
    "model",
    "regularization",
    "budget",
    "strategy",
    "strategy_params",
    "round",
    "labeled",
    "metric",
    "confidence",
    "n",
    "mean",
    "std",
    "sem",
    "ci_low",
    "ci_high",
    "min",
    "max",
    "diff_vs_random",
    "diff_ci_low",
    "diff_ci_high",
    "diff_p_value",
    "n_pairs",
    "failed",
];

impl SummaryRow {
    /// The summary.csv header, in field order.
    pub fn columns() -> &'static [&'static str] {
        &SUMMARY_COLUMNS
    }
}

/// Cell key, ordered as the summary is: setting, round, random first, then
/// strategies alphabetically; within a strategy, no parameters (`{}`) first, then
/// parameters as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CellKey {
    setting: Setting,
    round: u32,
    not_reference: bool,
    strategy: String,
    has_params: bool,
    strategy_params: String,
}

/// Everything that defines a comparison against random, except the round.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Setting {
    kind: String,
    dataset: String,
    scenario: String,
    model: String,
    regularization: String,
    budget: String,
}

impl CellKey {
    fn of(r: &Record) -> Self {
        Self {
            setting: Setting {
                kind: r.kind.clone(),
                dataset: r.dataset.clone(),
                scenario: r.scenario.clone(),
                model: r.model.clone(),
                regularization: r.regularization.clone(),
                budget: r.budget.clone(),
            },
            round: r.round,
            not_reference: r.strategy != REFERENCE_STRATEGY,
            strategy: r.strategy.clone(),
            has_params: r.strategy_params != NO_PARAMS,
            strategy_params: r.strategy_params.clone(),
        }
    }
}

/// Summarises test accuracy at 95%: see [`summarize_metric`].
pub fn summarize(records: &[Record]) -> Vec<SummaryRow> {
    summarize_metric(records, Metric::TestAccuracy, DEFAULT_CONFIDENCE)
}

/// One row per cell, for `metric`, with `confidence`-level intervals.
///
/// Only ok records with a finite metric contribute; the rest are counted in
/// `failed`. A record repeating an earlier `(trial_id, round)` is ignored (the
/// reader warns about those). The reference of a setting and round is its
/// `"random"` cell (with params `{}` if present, else the smallest params); every
/// other cell, a second random variant included (an A/A check), is compared
/// with it by repeat. Rows are sorted by setting, round, random first, then
/// strategy name and parameters (`{}` first).
pub fn summarize_metric(records: &[Record], metric: Metric, confidence: f64) -> Vec<SummaryRow> {
    let mut seen = HashSet::new();
    let mut cells: BTreeMap<CellKey, Vec<&Record>> = BTreeMap::new();
    for r in records {
        if seen.insert((r.trial_id.as_str(), r.round)) {
            cells.entry(CellKey::of(r)).or_default().push(r);
        }
    }

    let usable = |rs: &[&Record]| -> Vec<(u32, f64)> {
        rs.iter()
            .filter(|r| r.is_ok())
            .filter_map(|r| {
                metric
                    .value(r)
                    .filter(|v| v.is_finite())
                    .map(|v| (r.repeat, v))
            })
            .collect()
    };

    let mut rows = Vec::with_capacity(cells.len());
    // The reference cell of the (setting, round) being walked: random sorts first.
    let mut reference: Option<(&CellKey, Vec<(u32, f64)>)> = None;
    for (key, rs) in &cells {
        let values = usable(rs);
        let same_group = |k: &CellKey| k.setting == key.setting && k.round == key.round;
        if !reference.as_ref().is_some_and(|(k, _)| same_group(k)) {
            reference = (!key.not_reference).then(|| (key, values.clone()));
        }
        let is_reference = reference.as_ref().is_some_and(|(k, _)| *k == key);
        let diff = match &reference {
            Some((_, ref_values)) if !is_reference => {
                paired_difference(&values, ref_values, confidence)
            }
            _ => None,
        };

        let plain: Vec<f64> = values.iter().map(|&(_, v)| v).collect();
        let est = estimate(&plain, confidence);
        let labeled = rs.iter().map(|r| r.labeled as f64).sum::<f64>() / rs.len() as f64;
        rows.push(SummaryRow {
            kind: key.setting.kind.clone(),
            dataset: key.setting.dataset.clone(),
            scenario: key.setting.scenario.clone(),
            model: key.setting.model.clone(),
            regularization: key.setting.regularization.clone(),
            budget: key.setting.budget.clone(),
            strategy: key.strategy.clone(),
            strategy_params: key.strategy_params.clone(),
            round: key.round,
            labeled,
            metric: metric.as_str().to_string(),
            confidence,
            n: plain.len(),
            mean: est.as_ref().map(|e| e.mean),
            std: est.as_ref().and_then(|e| e.std),
            sem: est.as_ref().and_then(|e| e.sem),
            ci_low: est.as_ref().and_then(|e| e.ci_low),
            ci_high: est.as_ref().and_then(|e| e.ci_high),
            min: est.as_ref().map(|e| e.min),
            max: est.as_ref().map(|e| e.max),
            diff_vs_random: diff.as_ref().map(|d| d.mean),
            diff_ci_low: diff.as_ref().and_then(|d| d.ci_low),
            diff_ci_high: diff.as_ref().and_then(|d| d.ci_high),
            diff_p_value: diff.as_ref().and_then(|d| d.p_value),
            n_pairs: diff.as_ref().map_or(0, |d| d.n_pairs),
            failed: rs.len() - values.len(),
        });
    }
    rows
}

/// Writes `rows` as summary.csv (header always written, even with no rows),
/// atomically: a temporary file in the same directory, then a rename.
pub fn write_summary_csv(rows: &[SummaryRow], path: &Path) -> Result<(), ResultsError> {
    let csv_err = |e: csv::Error| ResultsError::csv(path, &e);
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(SummaryRow::columns()).map_err(csv_err)?;
    for row in rows {
        w.serialize(row).map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| ResultsError::Csv {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_match_serde_field_order() {
        let row = SummaryRow {
            kind: "active".into(),
            dataset: "d".into(),
            scenario: "none".into(),
            model: "m".into(),
            regularization: "r".into(),
            budget: "b".into(),
            strategy: "random".into(),
            strategy_params: "{}".into(),
            round: 0,
            labeled: 10.0,
            metric: "test_accuracy".into(),
            confidence: 0.95,
            n: 0,
            mean: None,
            std: None,
            sem: None,
            ci_low: None,
            ci_high: None,
            min: None,
            max: None,
            diff_vs_random: None,
            diff_ci_low: None,
            diff_ci_high: None,
            diff_p_value: None,
            n_pairs: 0,
            failed: 1,
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(&row).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(
            text.lines().next().unwrap(),
            SummaryRow::columns().join(",")
        );
    }
}
