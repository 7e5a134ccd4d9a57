//! The record schema: one tidy CSV row per evaluation, for every run kind.
//!
//! Columns: the identity of the evaluation ([`LEADING_COLUMNS`]), one column per metric
//! the sweep's kind measures (declared in [`crate::metric::METRICS`]), then timing,
//! training counts and provenance ([`TRAILING_COLUMNS`]). pandas and R read the file
//! with no cleanup; `schema_version` lets a reader refuse rows it would misread.

use crate::metric::{Metric, MetricValues};

/// The schema version this sieve writes and the newest it reads.
///
/// - 1: the first schema (active learning only: `budget`, `strategy`, `labeled`).
/// - 2: adds `train_steps` and `train_epochs` (how much training happened).
/// - 3: one schema for every run kind: `axis` / `axis_value` (the kind's setting axis,
///   e.g. `budget`), `method` / `method_params`, `eval_index` (several models evaluated
///   at one point), the curve's `x_name` / `x` (labels, fraction, ipc, step, task), and
///   metric columns declared per kind.
///
/// Files of schemas 1 and 2 still read: their `budget` column becomes `axis_value`
/// (axis `budget`), `strategy` becomes `method`, `labeled` becomes `x` (`labels`).
pub const SCHEMA_VERSION: u32 = 3;

/// The value of [`Record::status`] for a successful evaluation.
pub const STATUS_OK: &str = "ok";

/// The columns before the metrics, in order.
pub const LEADING_COLUMNS: [&str; 19] = [
    "schema_version",
    "sweep_id",
    "kind",
    "trial_id",
    "dataset",
    "scenario",
    "model",
    "regularization",
    "axis",
    "axis_value",
    "method",
    "method_params",
    "method_label",
    "repeat",
    "seed",
    "round",
    "eval_index",
    "x_name",
    "x",
];

/// The columns after the metrics, in order.
pub const TRAILING_COLUMNS: [&str; 7] = [
    "select_seconds",
    "train_seconds",
    "train_steps",
    "train_epochs",
    "status",
    "device",
    "sieve_version",
];

/// One evaluation: one CSV row.
///
/// Metrics are `Option` so a failed trial is still a row (with empty metric cells
/// and a reason in `status`) rather than a crashed sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// [`SCHEMA_VERSION`] of the sieve that wrote the row.
    pub schema_version: u32,
    /// Hash of the resolved sweep config.
    pub sweep_id: String,
    /// Run kind, e.g. `"active"`, `"coreset"`.
    pub kind: String,
    /// Stable id of the trial (includes the method); used to resume.
    pub trial_id: String,
    /// Dataset name.
    pub dataset: String,
    /// Scenario transform name, `"none"` when untransformed.
    pub scenario: String,
    /// Model name.
    pub model: String,
    /// Regularization setting name.
    pub regularization: String,
    /// The kind's setting axis: `budget` (active), `fractions` (coreset), ...
    pub axis: String,
    /// The axis value of this trial (e.g. the budget schedule's name).
    pub axis_value: String,
    /// Method name; `random` / `uniform` is the reference.
    pub method: String,
    /// Compact JSON of the method's parameters, `"{}"` when none.
    pub method_params: String,
    /// How tables and plots name the method: the config's `label`, or the name with
    /// the parameters that differ from their defaults (`bald (samples=5)`).
    pub method_label: String,
    /// Repeat index; comparisons against the reference pair on it.
    pub repeat: u32,
    /// The trial seed, shared by all methods at this repeat.
    pub seed: u64,
    /// Evaluation index within the trial (a point of the curve).
    pub round: u32,
    /// Which of several models evaluated at one point (condensation trains `n_eval`
    /// models on each synthetic set); 0 for kinds with one model per point. The
    /// statistics average them within a repeat.
    pub eval_index: u32,
    /// What `x` counts: `labels`, `fraction`, `ipc`, `step`, `task`.
    pub x_name: String,
    /// The curve's x at this evaluation (e.g. the labeled count).
    pub x: f64,
    /// The metrics measured, in column order; empty values when the trial failed.
    pub metrics: MetricValues,
    /// Wall time spent selecting, in seconds.
    pub select_seconds: f64,
    /// Wall time spent training, in seconds.
    pub train_seconds: f64,
    /// Optimizer steps of the training behind this evaluation (empty when the trial
    /// failed, or in schema-1 files).
    pub train_steps: Option<u64>,
    /// Epochs of that training (`min_steps` can make it more than `epochs`).
    pub train_epochs: Option<u64>,
    /// `"ok"` or `"failed: <reason>"`.
    pub status: String,
    /// Device the trial ran on, e.g. `"cpu"` or `"cuda:0"`.
    pub device: String,
    /// Version of sieve that produced the row.
    pub sieve_version: String,
}

impl Record {
    /// Columns that vary from run to run even with the same seed; comparisons of
    /// records for bit-for-bit reproducibility should ignore them.
    pub const TIMING_COLUMNS: &'static [&'static str] = &["select_seconds", "train_seconds"];

    /// The header of a file whose records carry `metrics`, in order.
    pub fn columns(metrics: &[Metric]) -> Vec<&'static str> {
        LEADING_COLUMNS
            .iter()
            .copied()
            .chain(metrics.iter().map(|m| m.as_str()))
            .chain(TRAILING_COLUMNS.iter().copied())
            .collect()
    }

    /// The cells of this record under [`Record::columns`]`(metrics)`.
    pub fn cells(&self, metrics: &[Metric]) -> Vec<String> {
        let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        let mut out = vec![
            self.schema_version.to_string(),
            self.sweep_id.clone(),
            self.kind.clone(),
            self.trial_id.clone(),
            self.dataset.clone(),
            self.scenario.clone(),
            self.model.clone(),
            self.regularization.clone(),
            self.axis.clone(),
            self.axis_value.clone(),
            self.method.clone(),
            self.method_params.clone(),
            self.method_label.clone(),
            self.repeat.to_string(),
            self.seed.to_string(),
            self.round.to_string(),
            self.eval_index.to_string(),
            self.x_name.clone(),
            number(self.x),
        ];
        for &m in metrics {
            out.push(self.metric(m).map(number).unwrap_or_default());
        }
        out.extend([
            number(self.select_seconds),
            number(self.train_seconds),
            opt(self.train_steps),
            opt(self.train_epochs),
            self.status.clone(),
            self.device.clone(),
            self.sieve_version.clone(),
        ]);
        out
    }

    /// The value of `metric`, if measured.
    pub fn metric(&self, metric: Metric) -> Option<f64> {
        self.metrics.get(metric)
    }

    /// Whether the evaluation succeeded (`status == "ok"`).
    pub fn is_ok(&self) -> bool {
        self.status == STATUS_OK
    }
}

/// A number as the shortest text that reads back to the same `f64` (Rust's `Display`).
fn number(v: f64) -> String {
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A filled-in record for tests.
    fn sample() -> Record {
        Record {
            schema_version: SCHEMA_VERSION,
            sweep_id: "abc".into(),
            kind: "active".into(),
            trial_id: "t".into(),
            dataset: "digits".into(),
            scenario: "none".into(),
            model: "mlp".into(),
            regularization: "none".into(),
            axis: "budget".into(),
            axis_value: "small".into(),
            method: "random".into(),
            method_params: "{}".into(),
            method_label: "random".into(),
            repeat: 0,
            seed: 1,
            round: 0,
            eval_index: 0,
            x_name: "labels".into(),
            x: 10.0,
            metrics: MetricValues::new([
                (Metric::TEST_ACCURACY, Some(0.5)),
                (Metric::TEST_LOSS, None),
            ]),
            select_seconds: 0.0,
            train_seconds: 1.0,
            train_steps: Some(40),
            train_epochs: Some(4),
            status: "ok".into(),
            device: "cpu".into(),
            sieve_version: "0.1.0".into(),
        }
    }

    #[test]
    fn cells_line_up_with_columns() {
        let metrics = [Metric::TEST_ACCURACY, Metric::TEST_LOSS];
        let r = sample();
        let columns = Record::columns(&metrics);
        let cells = r.cells(&metrics);
        assert_eq!(columns.len(), cells.len());
        let at = |c: &str| cells[columns.iter().position(|x| *x == c).unwrap()].clone();
        assert_eq!(at("x"), "10");
        assert_eq!(at("test_accuracy"), "0.5");
        assert_eq!(at("test_loss"), "");
        assert_eq!(at("train_steps"), "40");
        assert_eq!(at("axis_value"), "small");
    }

    #[test]
    fn timing_columns_are_columns() {
        for c in Record::TIMING_COLUMNS {
            assert!(TRAILING_COLUMNS.contains(c));
        }
    }

    #[test]
    fn is_ok_only_for_ok() {
        let mut r = sample();
        assert!(r.is_ok());
        r.status = "failed: NaN loss".into();
        assert!(!r.is_ok());
    }
}
