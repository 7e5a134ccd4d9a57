//! configs/al-realistic.toml parses as shipped, and a reduced copy runs on the built-in
//! digits: every method on the imbalanced, redundant and OOD-contaminated pools under
//! each training (supervised, pseudo-labels, rotation-pretrained initialisation), with
//! SIMILAR's query and private sets and POAL's Gaussians built from the annotations.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use sieve_results::read_records;

fn realistic() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/al-realistic.toml");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_realistic_pools_config_runs_reduced_on_digits() {
    let config =
        sieve_runners::config::SweepConfig::from_toml(&realistic(), "al-realistic.toml").unwrap();
    let sieve_runners::config::KindConfig::Active(active) = &config.kind else {
        panic!("al-realistic is an active-learning config");
    };
    let methods = active.strategies.len();
    let trainings = config.common.regularizations.len();
    assert_eq!(trainings, 3, "supervised, pseudo-label, rotation-init");
    let tmp = tempfile::tempdir().unwrap();
    let reduced = realistic()
        .replace(
            "name = \"fashion-mnist\"\nsource = \"idx\"\npath = \"/usr/share/datasets/fashion-mnist\"\npool_size = 20000",
            "name = \"digits\"",
        )
        .replace("repeats = 2", "repeats = 1")
        .replace("rounds = 5", "rounds = 2")
        .replace("epochs = 20", "epochs = 3")
        .replace("min_steps = 300", "min_steps = 10")
        .replace("initial = 100", "initial = 40")
        .replace("query = 100", "query = 20")
        .replace("pretext_epochs = 5", "pretext_epochs = 1");
    assert!(
        reduced.contains("name = \"digits\""),
        "the dataset block changed"
    );
    let path = tmp.path().join("realistic.toml");
    std::fs::write(&path, reduced).unwrap();
    let out = tmp.path().join("out");
    common::run(&path, &out);
    let records = read_records(&out.join("records.csv")).unwrap().records;
    assert_eq!(
        records.len(),
        methods * 3 * trainings * 3,
        "methods x scenarios x trainings x rounds"
    );
    for r in &records {
        assert!(r.is_ok(), "{} {}: {}", r.method, r.scenario, r.status);
    }
}
