//! The record schema: one tidy CSV row per evaluation.
//!
//! Column order is field order, so pandas and R read the file with no cleanup, and
//! `schema_version` lets a reader refuse rows whose columns it would misread.

use serde::{Deserialize, Serialize};

/// The schema version this sieve writes and the newest it reads.
///
/// - 1: the first schema.
/// - 2: adds `train_steps` and `train_epochs` (how much training happened). Files of
///   schema 1 read with those cells empty.
pub const SCHEMA_VERSION: u32 = 2;

/// The value of [`Record::status`] for a successful evaluation.
pub const STATUS_OK: &str = "ok";

/// One evaluation: one tidy CSV row. Column order = field order.
///
/// Metrics are `Option` so a failed trial is still a row (with empty metric cells
/// and a reason in `status`) rather than a crashed sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// [`SCHEMA_VERSION`] of the sieve that wrote the row.
    pub schema_version: u32,
    /// Hash of the resolved sweep config.
    pub sweep_id: String,
    /// Experiment kind, e.g. `"active"`.
    pub kind: String,
    /// Stable id of the trial (includes the strategy); used to resume.
    pub trial_id: String,
    /// Dataset name.
    pub dataset: String,
    /// Scenario transform name, `"none"` when untransformed.
    pub scenario: String,
    /// Model name.
    pub model: String,
    /// Regularization setting name.
    pub regularization: String,
    /// Name of the budget schedule.
    pub budget: String,
    /// Strategy name; `"random"` is the reference.
    pub strategy: String,
    /// Compact JSON of the strategy's parameters, `"{}"` when none.
    pub strategy_params: String,
    /// Repeat index; comparisons against random pair on it.
    pub repeat: u32,
    /// The trial seed, shared by all strategies at this repeat.
    pub seed: u64,
    /// Round (evaluation index within the trial).
    pub round: u32,
    /// Labeled count (or ipc) at this evaluation.
    pub labeled: u64,
    /// Test accuracy in [0, 1]; empty when the trial failed.
    pub test_accuracy: Option<f64>,
    /// Mean test loss; empty when the trial failed.
    pub test_loss: Option<f64>,
    /// Balanced (per-class mean) test accuracy; empty when the trial failed.
    pub balanced_accuracy: Option<f64>,
    /// Wall time spent selecting, in seconds.
    pub select_seconds: f64,
    /// Wall time spent training, in seconds.
    pub train_seconds: f64,
    /// Optimizer steps of the training behind this evaluation (schema 2; empty when the
    /// trial failed, or in schema-1 files).
    pub train_steps: Option<u64>,
    /// Epochs of that training (schema 2; `min_steps` can make it more than `epochs`).
    pub train_epochs: Option<u64>,
    /// `"ok"` or `"failed: <reason>"`.
    pub status: String,
    /// Device the trial ran on, e.g. `"cpu"` or `"cuda:0"`.
    pub device: String,
    /// Version of sieve that produced the row.
    pub sieve_version: String,
}

/// The header, in field order (checked against serde's order by a test).
const COLUMNS: [&str; 25] = [
    "schema_version",
    "sweep_id",
    "kind",
    "trial_id",
    "dataset",
    "scenario",
    "model",
    "regularization",
    "budget",
    "strategy",
    "strategy_params",
    "repeat",
    "seed",
    "round",
    "labeled",
    "test_accuracy",
    "test_loss",
    "balanced_accuracy",
    "select_seconds",
    "train_seconds",
    "train_steps",
    "train_epochs",
    "status",
    "device",
    "sieve_version",
];

impl Record {
    /// Columns that vary from run to run even with the same seed; comparisons of
    /// records for bit-for-bit reproducibility should ignore them.
    pub const TIMING_COLUMNS: &'static [&'static str] = &["select_seconds", "train_seconds"];

    /// Columns added after schema 1, with the version that added them: a file of an
    /// older schema may lack them (its records read them as empty).
    pub const ADDED_COLUMNS: &'static [(&'static str, u32)] =
        &[("train_steps", 2), ("train_epochs", 2)];

    /// The CSV header, in field order.
    pub fn columns() -> &'static [&'static str] {
        &COLUMNS
    }

    /// Whether the evaluation succeeded (`status == "ok"`).
    pub fn is_ok(&self) -> bool {
        self.status == STATUS_OK
    }
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
            budget: "small".into(),
            strategy: "random".into(),
            strategy_params: "{}".into(),
            repeat: 0,
            seed: 1,
            round: 0,
            labeled: 10,
            test_accuracy: Some(0.5),
            test_loss: None,
            balanced_accuracy: Some(0.5),
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
    fn columns_match_serde_field_order() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(sample()).unwrap();
        let bytes = w.into_inner().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let header = text.lines().next().unwrap();
        assert_eq!(header, Record::columns().join(","));
    }

    #[test]
    fn timing_columns_are_columns() {
        for c in Record::TIMING_COLUMNS {
            assert!(Record::columns().contains(c));
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
