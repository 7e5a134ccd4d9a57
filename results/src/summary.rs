//! Per-cell summaries: statistics over repeats of each metric, per round and over
//! the whole curve, and the paired comparison with random in the same setting.
//!
//! A cell is everything but the repeat: (kind, dataset, scenario, model,
//! regularization, axis value, method, method_params, round). Whole-curve rows
//! (AUBC, label efficiency: whichever the kind declares) have no round.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::cells::{group, reference_arm, Arm, Setting};
use crate::curves::{aubc, labels_to_reach, LabelsNeeded};
use crate::kinds::{kind_info, CurveSummary};
use crate::metric::Metric;
use crate::options::ReportOptions;
use crate::record::Record;
use crate::stats::descriptive::estimate;
use crate::versus::{analyze, ArmInput, ArmOutput};

/// The interval level [`summarize`] uses.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// Suffix of the whole-curve AUBC metric names (`test_accuracy_aubc`).
pub const AUBC_SUFFIX: &str = "_aubc";
/// Suffix of the label-efficiency metric names (`test_accuracy_x_to_reference`: the x,
/// e.g. labels, a method needs to reach the reference's mean).
pub const LABELS_SUFFIX: &str = "_x_to_reference";
/// Suffix of the speed-up metric names (`test_accuracy_speedup`: per repeat, the x the
/// reference needs to reach its own mean at the reference x, divided by the x the
/// method needs; above 1, the method gets there sooner).
pub const SPEEDUP_SUFFIX: &str = "_speedup";
/// Suffix of continual learning's backward transfer (`test_accuracy_bwt`):
/// `1/(T−1) Σ_{i<T−1} (R[T−1][i] − R[i][i])`, higher is better.
pub const BWT_SUFFIX: &str = "_bwt";
/// Suffix of continual learning's forgetting (`test_accuracy_forgetting`; unrelated to
/// the coreset method `forgetting`): `1/(T−1) Σ_{i<T−1} max_{i≤t<T−1} R[t][i] −
/// R[T−1][i]`, lower is better.
pub const FORGETTING_SUFFIX: &str = "_forgetting";
/// Infix of the fixed-target label-efficiency names (`test_accuracy_x_to_0.9`: the x a
/// method needs to reach the metric value 0.9, `[report] targets`).
pub const TARGET_INFIX: &str = "_x_to_";

/// The summary name of the x needed to reach `target` of `metric`.
pub fn target_name(metric: Metric, target: f64) -> String {
    format!("{}{TARGET_INFIX}{target}", metric.as_str())
}

/// The fixed target a summary name `name` stands for, if it is one of `metric`'s.
pub fn target_of(name: &str, metric: Metric) -> Option<f64> {
    name.strip_prefix(metric.as_str())?
        .strip_prefix(TARGET_INFIX)?
        .parse()
        .ok()
}

/// How tables name a fixed target's column: `labels to 90%` (the metric's display scale).
pub fn target_header(x_name: &str, metric: Metric, target: f64) -> String {
    let shown = target * metric.display_scale();
    let unit = if metric.display_scale() == 100.0 {
        "%"
    } else {
        ""
    };
    let digits = crate::export::markdown::x_digits(Some(shown));
    format!("{x_name} to {shown:.digits$}{unit}")
}

/// One row of summary.csv: one cell and one metric. Column order = field order.
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
    /// The kind's setting axis (`budget`, `fractions`, ...).
    pub axis: String,
    /// Its value in this setting.
    pub axis_value: String,
    /// Method name.
    pub method: String,
    /// Compact JSON of the method's parameters.
    pub method_params: String,
    /// How tables and plots name the method.
    pub method_label: String,
    /// Round; empty for whole-curve rows.
    pub round: Option<u32>,
    /// What `x` counts (`labels`, `fraction`, ...).
    pub x_name: String,
    /// Mean x over the cell's records; for label-efficiency rows the reference x;
    /// empty for AUBC rows.
    pub x: Option<f64>,
    /// A [`Metric::as_str`] name, or one with [`AUBC_SUFFIX`] or [`LABELS_SUFFIX`].
    pub metric: String,
    /// The two-sided interval level of `ci_*` and `diff_ci_*`, e.g. 0.95.
    pub confidence: f64,
    /// `student_t` or `bootstrap`.
    pub interval: String,
    /// Repeats contributing (ok, finite; for label efficiency: reached).
    pub n: usize,
    /// Mean over repeats; `None` when n = 0.
    pub mean: Option<f64>,
    /// Sample standard deviation; `None` when n < 2.
    pub std: Option<f64>,
    /// Standard error of the mean; `None` when n < 2.
    pub sem: Option<f64>,
    /// Interval of the mean, lower bound; `None` when n < 2.
    pub ci_low: Option<f64>,
    /// Interval of the mean, upper bound; `None` when n < 2.
    pub ci_high: Option<f64>,
    /// Smallest value; `None` when n = 0.
    pub min: Option<f64>,
    /// Largest value; `None` when n = 0.
    pub max: Option<f64>,
    /// Evaluation models pooled over repeats (condensation evaluates several per
    /// repeat; otherwise equal to the records counted in `n`).
    pub n_evaluations: usize,
    /// Standard deviation over those models (the papers' ±); empty for whole-curve rows.
    pub std_evaluations: Option<f64>,
    /// Repeats matched with random.
    pub n_pairs: usize,
    /// Mean paired difference to random (this - random); `None` for the
    /// reference row itself and when no repeat matches.
    pub diff_vs_reference: Option<f64>,
    /// Interval of the paired difference, lower bound; `None` when n_pairs < 2.
    pub diff_ci_low: Option<f64>,
    /// Interval of the paired difference, upper bound; `None` when n_pairs < 2.
    pub diff_ci_high: Option<f64>,
    /// Two-sided paired t test p-value (unadjusted); `None` when n_pairs < 2.
    pub diff_p_value: Option<f64>,
    /// Two-sided Wilcoxon signed-rank p-value (unadjusted); `None` when n_pairs < 2.
    pub wilcoxon_p_value: Option<f64>,
    /// Holm-adjusted p-value of the verdict's test across the arms compared
    /// with random in the same setting, round and metric.
    pub p_adjusted: Option<f64>,
    /// Cohen's d_z: mean paired difference / std of the differences.
    pub effect_size: Option<f64>,
    /// `better`, `worse`, `indistinguishable`, `no verdict`; empty for random.
    pub verdict: String,
    /// Why there is no verdict, or what the reference row's target was.
    pub note: String,
    /// Records (or trials, for whole-curve rows) that did not contribute:
    /// failed, or without a finite value of the metric.
    pub failed: usize,
    /// Label efficiency only: repeats whose curve never reached the target.
    pub not_reached: Option<usize>,
}

/// The header of summary.csv, in field order (checked against serde by a test).
const SUMMARY_COLUMNS: [&str; 38] = [
    "kind",
    "dataset",
    "scenario",
    "model",
    "regularization",
    "axis",
    "axis_value",
    "method",
    "method_params",
    "method_label",
    "round",
    "x_name",
    "x",
    "metric",
    "confidence",
    "interval",
    "n",
    "mean",
    "std",
    "sem",
    "ci_low",
    "ci_high",
    "min",
    "max",
    "n_evaluations",
    "std_evaluations",
    "n_pairs",
    "diff_vs_reference",
    "diff_ci_low",
    "diff_ci_high",
    "diff_p_value",
    "wilcoxon_p_value",
    "p_adjusted",
    "effect_size",
    "verdict",
    "note",
    "failed",
    "not_reached",
];

impl SummaryRow {
    /// The verdict with its note in parentheses, as the tables print it.
    pub fn verdict_with_note(&self) -> String {
        if self.note.is_empty() {
            self.verdict.clone()
        } else {
            format!("{} ({})", self.verdict, self.note)
        }
    }

    /// The summary.csv header, in field order.
    pub fn columns() -> &'static [&'static str] {
        &SUMMARY_COLUMNS
    }

    /// The setting of the row.
    pub fn setting(&self) -> Setting {
        Setting {
            kind: self.kind.clone(),
            dataset: self.dataset.clone(),
            scenario: self.scenario.clone(),
            model: self.model.clone(),
            regularization: self.regularization.clone(),
            axis: self.axis.clone(),
            axis_value: self.axis_value.clone(),
        }
    }

    /// The arm of the row.
    pub fn arm(&self) -> Arm {
        Arm::new(&self.kind, &self.method, &self.method_params).with_display(&self.method_label)
    }
}

/// The summary of a records file, with what could not be computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Rows ordered by setting, metric, round (whole-curve rows last), arm.
    pub rows: Vec<SummaryRow>,
    /// Things left out, e.g. label efficiency without a random curve.
    pub warnings: Vec<String>,
}

/// Summarises test accuracy per round at 95%: see [`summarize_metric`].
pub fn summarize(records: &[Record]) -> Vec<SummaryRow> {
    summarize_metric(records, Metric::TEST_ACCURACY, DEFAULT_CONFIDENCE)
}

/// One row per (cell, round) for `metric`, with `confidence`-level Student t
/// intervals and default verdict settings; no whole-curve rows.
pub fn summarize_metric(records: &[Record], metric: Metric, confidence: f64) -> Vec<SummaryRow> {
    let options = ReportOptions {
        confidence,
        metrics: vec![metric],
        ..ReportOptions::default()
    };
    let mut out = Summary::default();
    for (setting, arms) in group(records) {
        per_round(&setting, &arms, metric, &options, &mut out.rows);
    }
    out.rows
}

/// Every row a report needs: per-round rows for each metric of `options`, then
/// AUBC rows, then label-efficiency rows (higher-is-better metrics only).
///
/// Only ok records with a finite metric contribute; the rest are counted in
/// `failed`. A record repeating an earlier `(trial_id, round)` is ignored. The
/// reference of a setting is its `random` arm (params `{}` if present); every
/// other arm, a second random variant included (an A/A check), is compared
/// with it by repeat.
pub fn summarize_with(records: &[Record], options: &ReportOptions) -> Summary {
    let mut out = Summary::default();
    for (setting, arms) in group(records) {
        for &metric in &options.metrics {
            per_round(&setting, &arms, metric, options, &mut out.rows);
            whole_curve(&setting, &arms, metric, options, &mut out);
        }
    }
    out
}

type Arms<'a> = BTreeMap<Arm, Vec<&'a Record>>;

/// One trial's (x, value) points and whether all its evaluations were usable.
type Trial = (Vec<(f64, f64)>, bool);

/// The usable values of a cell: one per repeat (the mean of the repeat's evaluation
/// models, when a kind evaluates several at one point), the number of records that did
/// not contribute, and every model's value pooled (for the spread the papers report).
struct Usable {
    per_repeat: Vec<(u32, f64)>,
    failed: usize,
    pooled: Vec<f64>,
}

/// The ok records with a finite value, averaged within each repeat.
fn usable(rs: &[&Record], metric: Metric) -> Usable {
    let mut by_repeat: BTreeMap<u32, (f64, usize)> = BTreeMap::new();
    let mut failed = 0;
    let mut pooled = Vec::new();
    for r in rs {
        match r.metric(metric).filter(|v| r.is_ok() && v.is_finite()) {
            Some(v) => {
                let e = by_repeat.entry(r.repeat).or_insert((0.0, 0));
                e.0 += v;
                e.1 += 1;
                pooled.push(v);
            }
            None => failed += 1,
        }
    }
    Usable {
        per_repeat: by_repeat
            .into_iter()
            .map(|(rep, (sum, n))| (rep, sum / n as f64))
            .collect(),
        failed,
        pooled,
    }
}

/// The fields every row of a cell shares.
struct RowBase<'a> {
    setting: &'a Setting,
    arm: &'a Arm,
    round: Option<u32>,
    x_name: &'a str,
    x: Option<f64>,
    metric: String,
}

/// Builds a row from the analysis of its arm.
fn row(
    base: RowBase<'_>,
    options: &ReportOptions,
    is_reference: bool,
    out: &ArmOutput,
    failed: usize,
) -> SummaryRow {
    let est = out.estimate.as_ref();
    let vs = out.versus.as_ref();
    let verdict = match vs {
        _ if is_reference => String::new(),
        Some(v) => v.verdict.as_str().to_string(),
        None => "no verdict".to_string(),
    };
    let note = match vs {
        _ if is_reference => "reference".to_string(),
        Some(v) => v.note.clone().unwrap_or_default(),
        None => format!("no repeat paired with {}", base.setting.reference()),
    };
    SummaryRow {
        kind: base.setting.kind.clone(),
        dataset: base.setting.dataset.clone(),
        scenario: base.setting.scenario.clone(),
        model: base.setting.model.clone(),
        regularization: base.setting.regularization.clone(),
        axis: base.setting.axis.clone(),
        axis_value: base.setting.axis_value.clone(),
        method: base.arm.method.clone(),
        method_params: base.arm.method_params.clone(),
        method_label: base.arm.label(),
        round: base.round,
        x_name: base.x_name.to_string(),
        x: base.x,
        metric: base.metric,
        confidence: options.confidence,
        interval: options.interval.as_str().to_string(),
        n: est.map_or(0, |e| e.n),
        mean: est.map(|e| e.mean),
        std: est.and_then(|e| e.std),
        sem: est.and_then(|e| e.sem),
        ci_low: est.and_then(|e| e.ci_low),
        ci_high: est.and_then(|e| e.ci_high),
        min: est.map(|e| e.min),
        max: est.map(|e| e.max),
        n_evaluations: est.map_or(0, |e| e.n),
        std_evaluations: None,
        n_pairs: vs.map_or(0, |v| v.n_pairs),
        diff_vs_reference: vs.map(|v| v.mean),
        diff_ci_low: vs.and_then(|v| v.ci_low),
        diff_ci_high: vs.and_then(|v| v.ci_high),
        diff_p_value: vs.and_then(|v| v.t_p),
        wilcoxon_p_value: vs.and_then(|v| v.wilcoxon_p),
        p_adjusted: vs.and_then(|v| v.p_adjusted),
        effect_size: vs.and_then(|v| v.effect_size),
        verdict,
        note,
        failed,
        not_reached: None,
    }
}

/// A stable text naming a cell, for bootstrap seeds.
fn seed_key(setting: &Setting, arm: &Arm, metric: &str, round: Option<u32>) -> String {
    format!("{}|{}|{metric}|{round:?}", setting.slug(), arm.label())
}

/// Rows for each round of `metric` in one setting.
fn per_round(
    setting: &Setting,
    arms: &Arms<'_>,
    metric: Metric,
    options: &ReportOptions,
    rows: &mut Vec<SummaryRow>,
) {
    let reference = reference_arm(arms);
    let rounds: BTreeSet<u32> = arms.values().flatten().map(|r| r.round).collect();
    for round in rounds {
        let cells: Vec<(&Arm, Vec<&Record>)> = arms
            .iter()
            .map(|(arm, rs)| {
                let at: Vec<&Record> = rs.iter().copied().filter(|r| r.round == round).collect();
                (arm, at)
            })
            .filter(|(_, at)| !at.is_empty())
            .collect();
        let usables: Vec<Usable> = cells.iter().map(|(_, rs)| usable(rs, metric)).collect();
        let inputs: Vec<ArmInput> = cells
            .iter()
            .zip(&usables)
            .map(|((arm, _), u)| ArmInput {
                values: u.per_repeat.clone(),
                seed_key: seed_key(setting, arm, metric.as_str(), Some(round)),
                withhold: None,
            })
            .collect();
        let ref_index = cells.iter().position(|(a, _)| Some(*a) == reference);
        let outputs = analyze(&inputs, ref_index, options, metric.higher_is_better());
        for (i, ((arm, rs), out)) in cells.iter().zip(&outputs).enumerate() {
            let x = rs.iter().map(|r| r.x).sum::<f64>() / rs.len() as f64;
            let base = RowBase {
                setting,
                arm,
                round: Some(round),
                x_name: x_name(rs),
                x: Some(x),
                metric: metric.as_str().to_string(),
            };
            let u = &usables[i];
            let mut row = row(base, options, ref_index == Some(i), out, u.failed);
            row.n_evaluations = u.pooled.len();
            row.std_evaluations = estimate(&u.pooled, options.confidence).and_then(|e| e.std);
            rows.push(row);
        }
    }
}

/// What the records' x counts (the first record's `x_name`).
fn x_name<'a>(rs: &[&'a Record]) -> &'a str {
    rs.first().map_or("", |r| r.x_name.as_str())
}

/// One trial's curve: (x, value) points, and whether every evaluation of
/// the trial was ok with a finite value.
fn trials(rs: &[&Record], metric: Metric) -> BTreeMap<u32, Trial> {
    // repeat -> round -> (x, sum, count): several evaluation models at one point are
    // averaged into one point of the repeat's curve.
    let mut points: BTreeMap<u32, BTreeMap<u32, (f64, f64, usize)>> = BTreeMap::new();
    let mut complete: BTreeMap<u32, bool> = BTreeMap::new();
    for r in rs {
        let ok = complete.entry(r.repeat).or_insert(true);
        match r.metric(metric).filter(|v| r.is_ok() && v.is_finite()) {
            Some(v) => {
                let p = points
                    .entry(r.repeat)
                    .or_default()
                    .entry(r.round)
                    .or_insert((r.x, 0.0, 0));
                p.1 += v;
                p.2 += 1;
            }
            None => *ok = false,
        }
    }
    complete
        .into_iter()
        .map(|(rep, ok)| {
            let pts = points
                .remove(&rep)
                .unwrap_or_default()
                .into_values()
                .map(|(x, sum, n)| (x, sum / n as f64))
                .collect();
            (rep, (pts, ok))
        })
        .collect()
}

/// The whole-curve rows of `metric` in one setting: those the kind declares (AUBC,
/// label efficiency).
fn whole_curve(
    setting: &Setting,
    arms: &Arms<'_>,
    metric: Metric,
    options: &ReportOptions,
    out: &mut Summary,
) {
    let summaries = kind_info(&setting.kind).summaries;
    let x_name = arms.values().next().map_or("", |rs| x_name(rs));
    let reference = reference_arm(arms);
    let ref_index = reference.and_then(|r| arms.keys().position(|a| a == r));
    let mut curves: Vec<(&Arm, BTreeMap<u32, Trial>)> = arms
        .iter()
        .map(|(arm, rs)| (arm, trials(rs, metric)))
        .collect();
    // A curve with fewer points than the setting's longest (a sweep still running, a
    // trial cut short) covers another x range: it is incomplete, like a failed one.
    let longest = curves
        .iter()
        .flat_map(|(_, t)| t.values().map(|(pts, _)| pts.len()))
        .max()
        .unwrap_or(0);
    for (_, trials) in &mut curves {
        for (pts, complete) in trials.values_mut() {
            *complete &= pts.len() == longest;
        }
    }

    if summaries.contains(&CurveSummary::Aubc) {
        aubc_rows(setting, &curves, ref_index, metric, x_name, options, out);
    }
    if summaries.contains(&CurveSummary::AccuracyMatrix) && metric.higher_is_better() {
        matrix_rows(setting, arms, ref_index, metric, x_name, options, out);
    }
    if summaries.contains(&CurveSummary::LabelEfficiency) && metric.higher_is_better() {
        label_efficiency(setting, &curves, ref_index, metric, x_name, options, out);
        for &target in &options.targets {
            let goal = Goal {
                name: target_name(metric, target),
                target,
                x: None,
                note: format!("reference; target {} = {target}", metric.as_str()),
            };
            let needed = x_to_goal(setting, &curves, ref_index, x_name, options, &goal, out);
            if let (Some(r), true) = (ref_index, summaries.contains(&CurveSummary::SpeedUp)) {
                speed_up(setting, &curves, r, x_name, options, &goal, &needed, out);
            }
        }
    }
}

/// The accuracy matrix of each repeat of an arm: `R[t][i]` from the ok records with
/// `round` = t and `eval_index` = i.
fn matrices(rs: &[&Record], metric: Metric) -> BTreeMap<u32, BTreeMap<(u32, u32), f64>> {
    let mut out: BTreeMap<u32, BTreeMap<(u32, u32), f64>> = BTreeMap::new();
    for r in rs {
        if let Some(v) = r.metric(metric).filter(|v| r.is_ok() && v.is_finite()) {
            out.entry(r.repeat)
                .or_default()
                .insert((r.round, r.eval_index), v);
        }
    }
    out
}

/// Backward transfer and forgetting of one matrix over `tasks` tasks; `None` when an
/// entry they need is missing.
pub fn transfer_and_forgetting(
    matrix: &BTreeMap<(u32, u32), f64>,
    tasks: u32,
) -> Option<(f64, f64)> {
    if tasks < 2 {
        return None;
    }
    let last = tasks - 1;
    let (mut bwt, mut forgetting) = (0.0, 0.0);
    for i in 0..last {
        let end = *matrix.get(&(last, i))?;
        bwt += end - matrix.get(&(i, i))?;
        let mut best = f64::NEG_INFINITY;
        for t in i..last {
            best = best.max(*matrix.get(&(t, i))?);
        }
        forgetting += best - end;
    }
    Some((bwt / f64::from(last), forgetting / f64::from(last)))
}

/// Backward-transfer and forgetting rows, paired with the reference by repeat.
fn matrix_rows(
    setting: &Setting,
    arms: &Arms<'_>,
    ref_index: Option<usize>,
    metric: Metric,
    x_name: &str,
    options: &ReportOptions,
    out: &mut Summary,
) {
    let tasks = arms
        .values()
        .flat_map(|rs| rs.iter().map(|r| r.round + 1))
        .max()
        .unwrap_or(0);
    // Per arm: (repeat, (backward transfer, forgetting)) and the repeats without both.
    type PerArm<'a> = (&'a Arm, Vec<(u32, (f64, f64))>, usize);
    let per_arm: Vec<PerArm<'_>> = arms
        .iter()
        .map(|(arm, rs)| {
            let all = matrices(rs, metric);
            let repeats: std::collections::BTreeSet<u32> = rs.iter().map(|r| r.repeat).collect();
            let values: Vec<(u32, (f64, f64))> = all
                .iter()
                .filter_map(|(&rep, m)| transfer_and_forgetting(m, tasks).map(|v| (rep, v)))
                .collect();
            let failed = repeats.len() - values.len();
            (arm, values, failed)
        })
        .collect();
    for (suffix, higher_is_better, pick) in [
        (BWT_SUFFIX, true, 0usize),
        (FORGETTING_SUFFIX, false, 1usize),
    ] {
        let name = format!("{}{suffix}", metric.as_str());
        let inputs: Vec<ArmInput> = per_arm
            .iter()
            .map(|(arm, values, _)| ArmInput {
                values: values
                    .iter()
                    .map(|&(rep, (b, f))| (rep, if pick == 0 { b } else { f }))
                    .collect(),
                seed_key: seed_key(setting, arm, &name, None),
                withhold: None,
            })
            .collect();
        let outputs = analyze(&inputs, ref_index, options, higher_is_better);
        for (i, ((arm, _, failed), o)) in per_arm.iter().zip(&outputs).enumerate() {
            let base = RowBase {
                setting,
                arm,
                round: None,
                x_name,
                x: Some(f64::from(tasks)),
                metric: name.clone(),
            };
            out.rows
                .push(row(base, options, ref_index == Some(i), o, *failed));
        }
    }
}

/// What a label-efficiency summary measures: the x each trial needs to reach `target`.
struct Goal {
    name: String,
    target: f64,
    /// The x recorded on the rows (the reference x, for the reference's target).
    x: Option<f64>,
    /// The reference row's note.
    note: String,
}

/// AUBC rows: complete trials only; an incomplete curve would be biased.
fn aubc_rows(
    setting: &Setting,
    curves: &[(&Arm, BTreeMap<u32, Trial>)],
    ref_index: Option<usize>,
    metric: Metric,
    x_name: &str,
    options: &ReportOptions,
    out: &mut Summary,
) {
    let name = format!("{}{AUBC_SUFFIX}", metric.as_str());
    let mut failed = Vec::new();
    let inputs: Vec<ArmInput> = curves
        .iter()
        .map(|(arm, trials)| {
            let values: Vec<(u32, f64)> = trials
                .iter()
                .filter(|(_, (_, complete))| *complete)
                .filter_map(|(&rep, (pts, _))| aubc(pts).map(|a| (rep, a)))
                .collect();
            failed.push(trials.len() - values.len());
            ArmInput {
                values,
                seed_key: seed_key(setting, arm, &name, None),
                withhold: None,
            }
        })
        .collect();
    let outputs = analyze(&inputs, ref_index, options, metric.higher_is_better());
    for (i, ((arm, _), o)) in curves.iter().zip(&outputs).enumerate() {
        let base = RowBase {
            setting,
            arm,
            round: None,
            x_name,
            x: None,
            metric: name.clone(),
        };
        out.rows
            .push(row(base, options, ref_index == Some(i), o, failed[i]));
    }
}

/// Label-efficiency rows: the x (labels, fraction) each trial needs to reach the
/// reference's mean at the reference x.
fn label_efficiency(
    setting: &Setting,
    curves: &[(&Arm, BTreeMap<u32, Trial>)],
    ref_index: Option<usize>,
    metric: Metric,
    x_name: &str,
    options: &ReportOptions,
    out: &mut Summary,
) {
    let name = format!("{}{LABELS_SUFFIX}", metric.as_str());
    let Some(r) = ref_index else {
        out.warnings.push(format!(
            "{}: no {} arm, so no label efficiency for {}",
            setting.title(),
            setting.reference(),
            metric.as_str()
        ));
        return;
    };
    let random_points: Vec<(f64, f64)> = curves[r]
        .1
        .values()
        .flat_map(|(pts, _)| pts.iter().copied())
        .collect();
    let budget = options
        .reference_budget
        .or_else(|| random_points.iter().map(|p| p.0).reduce(f64::max));
    let at_budget: Vec<f64> = budget
        .map(|b| {
            random_points
                .iter()
                .filter(|p| p.0 == b)
                .map(|p| p.1)
                .collect()
        })
        .unwrap_or_default();
    let (Some(budget), false) = (budget, at_budget.is_empty()) else {
        out.warnings.push(format!(
            "{}: {} has no {} at the reference x{}, so no label efficiency",
            setting.title(),
            setting.reference(),
            metric.as_str(),
            options
                .reference_budget
                .map_or(String::new(), |b| format!(" ({b} {x_name})"))
        ));
        return;
    };
    let target = at_budget.iter().sum::<f64>() / at_budget.len() as f64;
    let goal = Goal {
        name,
        target,
        x: Some(budget),
        note: format!(
            "reference; target {target:.6} = {}'s mean {} at {x_name} = {budget}",
            setting.reference(),
            metric.as_str()
        ),
    };
    let needed = x_to_goal(setting, curves, Some(r), x_name, options, &goal, out);
    if kind_info(&setting.kind)
        .summaries
        .contains(&CurveSummary::SpeedUp)
    {
        speed_up(setting, curves, r, x_name, options, &goal, &needed, out);
    }
}

/// Speed-up rows: per repeat, the reference's x to the goal over the arm's (repeats
/// where both reached it); the reference is 1 at each repeat it reached, so the paired
/// difference is speed-up − 1.
#[allow(clippy::too_many_arguments)]
fn speed_up(
    setting: &Setting,
    curves: &[(&Arm, BTreeMap<u32, Trial>)],
    r: usize,
    x_name: &str,
    options: &ReportOptions,
    goal: &Goal,
    needed: &[ArmInput],
    out: &mut Summary,
) {
    // `test_accuracy_speedup` for the reference's own mean, `test_accuracy_speedup_to_0.9`
    // for a fixed target.
    let name = if goal.name.ends_with(LABELS_SUFFIX) {
        goal.name.replace(LABELS_SUFFIX, SPEEDUP_SUFFIX)
    } else {
        goal.name
            .replacen(TARGET_INFIX, &format!("{SPEEDUP_SUFFIX}_to_"), 1)
    };
    let reference: BTreeMap<u32, f64> = needed[r].values.iter().copied().collect();
    let inputs: Vec<ArmInput> = needed
        .iter()
        .enumerate()
        .zip(curves)
        .map(|((i, input), (arm, _))| ArmInput {
            values: input
                .values
                .iter()
                .filter_map(|&(rep, x)| {
                    let base = reference.get(&rep)?;
                    (x > 0.0).then(|| (rep, if i == r { 1.0 } else { base / x }))
                })
                .collect(),
            seed_key: seed_key(setting, arm, &name, None),
            withhold: input.withhold.clone(),
        })
        .collect();
    let outputs = analyze(&inputs, Some(r), options, true);
    for (i, ((arm, _), o)) in curves.iter().zip(&outputs).enumerate() {
        let base = RowBase {
            setting,
            arm,
            round: None,
            x_name,
            x: goal.x,
            metric: name.clone(),
        };
        let mut row = row(base, options, i == r, o, 0);
        if i == r {
            row.note = format!(
                "reference; speed-up = {}'s {x_name} / the method's, per repeat",
                setting.reference()
            );
        } else if row.n_pairs == 0 {
            if let Some(why) = &inputs[i].withhold {
                row.note.clone_from(why);
            }
        }
        out.rows.push(row);
    }
}

/// Rows of the x each trial of each arm needs to reach `goal.target`, compared with the
/// reference (fewer is better). Verdicts are withheld where a repeat of the arm or of the
/// reference never reached it. Returns each arm's (repeat, x) values.
fn x_to_goal(
    setting: &Setting,
    curves: &[(&Arm, BTreeMap<u32, Trial>)],
    ref_index: Option<usize>,
    x_name: &str,
    options: &ReportOptions,
    goal: &Goal,
    out: &mut Summary,
) -> Vec<ArmInput> {
    let mut extra = Vec::new();
    let inputs: Vec<ArmInput> = curves
        .iter()
        .map(|(arm, trials)| {
            let mut values = Vec::new();
            let (mut not_reached, mut failed) = (0, 0);
            for (&rep, (pts, complete)) in trials {
                match labels_to_reach(pts, goal.target) {
                    Some(LabelsNeeded::Reached(x)) => values.push((rep, x)),
                    // An incomplete curve that stays below may have reached
                    // the target at a failed evaluation.
                    Some(LabelsNeeded::NotReached) if *complete => not_reached += 1,
                    _ => failed += 1,
                }
            }
            extra.push((not_reached, failed));
            ArmInput {
                values,
                seed_key: seed_key(setting, arm, &goal.name, None),
                withhold: None,
            }
        })
        .collect();
    // Withhold verdicts where a repeat of the arm or of the reference did not reach it:
    // dropping those repeats would favour whichever side failed more.
    let ref_missing = ref_index.map_or(0, |r| extra[r].0);
    let inputs: Vec<ArmInput> = inputs
        .into_iter()
        .enumerate()
        .map(|(i, mut input)| {
            let (nr, _) = extra[i];
            if Some(i) != ref_index && (nr > 0 || ref_missing > 0) {
                input.withhold = Some(format!(
                    "target not reached in {nr} repeat(s) of this arm and {ref_missing} of {}",
                    setting.reference()
                ));
            }
            input
        })
        .collect();
    // Fewer labels is better.
    let outputs = analyze(&inputs, ref_index, options, false);
    for (i, ((arm, _), o)) in curves.iter().zip(&outputs).enumerate() {
        let base = RowBase {
            setting,
            arm,
            round: None,
            x_name,
            x: goal.x,
            metric: goal.name.clone(),
        };
        let mut row = row(base, options, ref_index == Some(i), o, extra[i].1);
        row.not_reached = Some(extra[i].0);
        if ref_index == Some(i) {
            row.note.clone_from(&goal.note);
        } else if row.n_pairs == 0 {
            // No pair at all: say why, rather than only that none was paired.
            if let Some(why) = &inputs[i].withhold {
                row.note.clone_from(why);
            }
        }
        out.rows.push(row);
    }
    inputs
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
            axis: "budget".into(),
            axis_value: "b".into(),
            method: "random".into(),
            method_params: "{}".into(),
            method_label: "random".into(),
            round: Some(0),
            x_name: "labels".into(),
            x: Some(10.0),
            metric: "test_accuracy".into(),
            confidence: 0.95,
            interval: "student_t".into(),
            n: 0,
            mean: None,
            std: None,
            sem: None,
            ci_low: None,
            ci_high: None,
            min: None,
            max: None,
            n_evaluations: 0,
            std_evaluations: None,
            n_pairs: 0,
            diff_vs_reference: None,
            diff_ci_low: None,
            diff_ci_high: None,
            diff_p_value: None,
            wilcoxon_p_value: None,
            p_adjusted: None,
            effect_size: None,
            verdict: String::new(),
            note: String::new(),
            failed: 1,
            not_reached: None,
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
