//! LL4AL through the runner (the `learning_loss_arm` the strategy tests point to): the
//! arm's parameters reach the trainer — detached from the start, the module leaves every
//! round-0 network exactly as random's plain training; attached, it changes them — and
//! bad parameters fail before any training.
#![allow(clippy::unwrap_used)]

mod common;

use common::{plan_error_of, write_config};
use sieve_results::{read_records, Metric};

const CONFIG: &str = r#"
kind = "active"
seed = 2
repeats = 2

[[dataset]]
name = "digits"

[[model]]
name = "mlp"
hidden = [32, 16]

[[regularization]]
name = "none"
epochs = 6
lr = 0.01

[[strategy]]
name = "random"

[[strategy]]
name = "learning_loss"

[[strategy]]
name = "learning_loss"
label = "ll-detached"
params = { detach_after = 0.0, candidate_pool = 300 }

[[budget]]
initial = 40
query = 20
rounds = 2
"#;

#[test]
fn learning_loss_arm() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "ll.toml", CONFIG);
    let out = tmp.path().join("out");
    common::run(&config, &out);
    let records = read_records(&out.join("records.csv")).unwrap().records;
    let round0 = |label: &str| -> Vec<Option<f64>> {
        records
            .iter()
            .filter(|r| r.method_label == label && r.round == 0)
            .map(|r| r.metric(Metric::TEST_LOSS))
            .collect()
    };
    for label in ["random", "learning_loss", "ll-detached"] {
        let rows: Vec<_> = records.iter().filter(|r| r.method_label == label).collect();
        assert_eq!(rows.len(), 6, "{label}: 2 repeats x 3 rounds");
        assert!(rows.iter().all(|r| r.is_ok()), "{label}");
    }
    assert_eq!(round0("ll-detached"), round0("random"));
    assert_ne!(round0("learning_loss"), round0("random"));
}

#[test]
fn bad_learning_loss_parameters_fail_before_training() {
    let text = CONFIG.replace("detach_after = 0.0", "detach_after = 2.0");
    let err = plan_error_of(&text);
    assert!(err.contains("detach_after"), "{err}");
    let text = CONFIG.replace("detach_after = 0.0", "margn = 1.0");
    let err = plan_error_of(&text);
    assert!(err.contains("margn"), "{err}");
}
