//! Shared builders for the integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use sieve_results::{Metric, MetricValues, Record, SCHEMA_VERSION};

/// The metric columns the test files carry.
pub const METRICS: [Metric; 3] = [
    Metric::TEST_ACCURACY,
    Metric::TEST_LOSS,
    Metric::BALANCED_ACCURACY,
];

/// An ok record for `strategy` at `repeat` and `round`, with the given accuracy.
pub fn record(strategy: &str, repeat: u32, round: u32, accuracy: f64) -> Record {
    Record {
        schema_version: SCHEMA_VERSION,
        sweep_id: "sweep0".into(),
        kind: "active".into(),
        trial_id: format!("digits/none/mlp/none/small/{strategy}/r{repeat}"),
        dataset: "digits".into(),
        scenario: "none".into(),
        model: "mlp".into(),
        regularization: "none".into(),
        axis: "budget".into(),
        axis_value: "small".into(),
        method: strategy.into(),
        method_params: if strategy == "random" {
            "{}".into()
        } else {
            r#"{"batch":10,"note":"a, \"quoted\" value"}"#.into()
        },
        method_label: String::new(),
        repeat,
        seed: 1000 + u64::from(repeat),
        round,
        eval_index: 0,
        x_name: "labels".into(),
        x: f64::from(10 + 10 * round),
        metrics: MetricValues::new([
            (Metric::TEST_ACCURACY, Some(accuracy)),
            (Metric::TEST_LOSS, Some(1.0 - accuracy)),
            (Metric::BALANCED_ACCURACY, Some(accuracy - 0.01)),
        ]),
        select_seconds: 0.125,
        train_seconds: 2.5,
        train_steps: Some(100),
        train_epochs: Some(10),
        status: "ok".into(),
        device: "cpu".into(),
        sieve_version: "0.1.0".into(),
    }
}

/// A failed record: no metrics, a reason in `status`.
pub fn failed(strategy: &str, repeat: u32, round: u32) -> Record {
    Record {
        metrics: MetricValues::new(METRICS.iter().map(|&m| (m, None))),
        status: "failed: NaN loss".into(),
        ..record(strategy, repeat, round, 0.0)
    }
}
