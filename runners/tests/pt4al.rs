//! PT4AL through the runner: the rotation pretext trains once per repeat and is cached
//! in the results folder for every PT4AL arm; bad settings fail before any training.
#![allow(clippy::unwrap_used)]

mod common;

use common::{plan_error_of, write_config};
use sieve_results::{read_records, Metric};

const CONFIG: &str = r#"
kind = "active"
seed = 4
repeats = 1

[[dataset]]
name = "digits"

[[model]]
name = "mlp"
hidden = [32]

[[regularization]]
name = "none"
epochs = 5

[[strategy]]
name = "random"

[[strategy]]
name = "pt4al"
label = "pt4al"
params = { pretext_epochs = 3, pretext_lr = 0.05, pretext_batch_size = 128 }

[[strategy]]
name = "pt4al"
label = "pt4al-b5"
params = { batches = 5, pretext_epochs = 3, pretext_lr = 0.05, pretext_batch_size = 128 }

[[budget]]
initial = 20
query = 20
rounds = 2
"#;

#[test]
fn the_pretext_trains_once_and_both_arms_read_it() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "pt4al.toml", CONFIG);
    let out = tmp.path().join("out");
    common::run(&config, &out);
    let records = read_records(&out.join("records.csv")).unwrap().records;
    for label in ["pt4al", "pt4al-b5"] {
        let rows: Vec<_> = records.iter().filter(|r| r.method_label == label).collect();
        assert_eq!(rows.len(), 3, "{label}");
        assert!(rows.iter().all(|r| r.is_ok()), "{label}");
    }
    // One pretext folder (one repeat) holding one settings file: both arms shared it.
    let folders: Vec<_> = std::fs::read_dir(out.join("cache").join("pretext"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    let file = folders[0].join("rotation-e3-lr0.05-b128.json");
    let losses: Vec<f32> = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        losses.len(),
        1258,
        "one loss per image of the digits pool (its train split)"
    );
    assert!(losses.iter().all(|v| v.is_finite() && *v >= 0.0));
    // The two arms split the pool differently (3 batches against 5), so they pick
    // differently from the same losses.
    let picks = |label: &str| -> Vec<Option<f64>> {
        records
            .iter()
            .filter(|r| r.method_label == label && r.round > 0)
            .map(|r| r.metric(Metric::TEST_LOSS))
            .collect()
    };
    assert_ne!(picks("pt4al"), picks("pt4al-b5"));
}

#[test]
fn pt4al_needs_square_images_and_enough_batches() {
    let flat = CONFIG.replace(
        "[[dataset]]\nname = \"digits\"",
        "[[dataset]]\nname = \"synthetic\"",
    );
    let err = plan_error_of(&flat);
    assert!(
        err.contains("strategy[1]") && err.contains("square"),
        "{err}"
    );
    let few = CONFIG.replace("batches = 5", "batches = 2");
    let err = plan_error_of(&few);
    assert!(
        err.contains("strategy[2].params.batches") && err.contains("at least 3"),
        "{err}"
    );
    // `candidate_pool` beside the PT4AL settings does not hide them from the check.
    let few = CONFIG.replace("batches = 5", "batches = 2, candidate_pool = 100");
    let err = plan_error_of(&few);
    assert!(
        err.contains("strategy[2].params.batches") && err.contains("at least 3"),
        "{err}"
    );
}
