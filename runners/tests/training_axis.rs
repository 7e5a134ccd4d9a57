//! The training axis through the runner: `pseudo_label` and `self_supervised_init`
//! regularizations sweep against supervised training like any other setting; the
//! rotation network is trained once per repeat and cached; kinds without an unlabeled
//! pool, and flat data for rotations, are refused before any training.
#![allow(clippy::unwrap_used)]

mod common;

use common::{plan_error_of, write_config};
use sieve_results::{read_records, Metric};

const CONFIG: &str = r#"
kind = "active"
seed = 2
repeats = 1

[[dataset]]
name = "digits"

[[model]]
name = "mlp"
hidden = [32]

[[regularization]]
name = "none"
epochs = 5

[[regularization]]
name = "fixmatch"
preset = "none"
epochs = 5
training = { kind = "pseudo_label", threshold = 0.8, ratio = 1 }

[[regularization]]
name = "rotation-init"
preset = "none"
epochs = 5
training = { kind = "self_supervised_init", pretext_epochs = 3, pretext_lr = 0.05, pretext_batch_size = 128 }

[[strategy]]
name = "random"

[[strategy]]
name = "margin"

[[budget]]
initial = 20
query = 20
rounds = 2
"#;

#[test]
fn each_training_mode_runs_as_a_regularization_setting() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "training.toml", CONFIG);
    let out = tmp.path().join("out");
    common::run(&config, &out);
    let records = read_records(&out.join("records.csv")).unwrap().records;
    assert_eq!(records.len(), 3 * 2 * 3);
    assert!(records.iter().all(|r| r.is_ok()));
    let losses = |reg: &str| -> Vec<Option<f64>> {
        records
            .iter()
            .filter(|r| r.regularization == reg && r.method == "random")
            .map(|r| r.metric(Metric::TEST_LOSS))
            .collect()
    };
    // Same labeled rows (random, same repeat), different training: different models.
    assert_ne!(losses("none"), losses("fixmatch"));
    assert_ne!(losses("none"), losses("rotation-init"));
    // One rotation network for the repeat, kept for both strategies.
    let folders: Vec<_> = std::fs::read_dir(out.join("cache").join("pretext"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    assert!(folders[0].join("rotation-e3-lr0.05-b128.bin").exists());
}

#[test]
fn kinds_without_an_unlabeled_pool_and_flat_data_are_refused() {
    let coreset = r#"
kind = "coreset"
seed = 1
repeats = 1
fractions = [0.1]

[[dataset]]
name = "digits"

[[model]]
name = "mlp"

[[regularization]]
name = "fixmatch"
preset = "none"
training = { kind = "pseudo_label" }

[[method]]
name = "uniform"
"#;
    let err = plan_error_of(coreset);
    assert!(
        err.contains("regularization[0].training") && err.contains("active"),
        "{err}"
    );
    let flat = CONFIG.replace(
        "[[dataset]]\nname = \"digits\"",
        "[[dataset]]\nname = \"synthetic\"",
    );
    let err = plan_error_of(&flat);
    assert!(
        err.contains("regularization[2]") && err.contains("square"),
        "{err}"
    );
}
