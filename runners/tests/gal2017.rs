//! configs/gal2017.toml parses and validates as shipped, and a reduced copy of it runs
//! end to end on the built-in digits: the Gal CNN with its own dropout, MC strategies
//! without a regularization dropout, the balanced cold start, the shared candidate pool
//! and the labels-to-target rows of the report.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use sieve_results::read_records;

fn gal2017() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/gal2017.toml");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_gal2017_protocol_runs_reduced_on_digits() {
    let config = sieve_runners::config::SweepConfig::from_toml(&gal2017(), "gal2017.toml").unwrap();
    let sieve_runners::config::KindConfig::Active(active) = &config.kind else {
        panic!("gal2017 is an active-learning config");
    };
    assert_eq!(active.strategies.len(), 5);
    let tmp = tempfile::tempdir().unwrap();
    let reduced = gal2017()
        .replace(
            "name = \"mnist\"\nsource = \"idx\"\npath = \"data/mnist\"\npool_size = 40000",
            "name = \"digits\"",
        )
        .replace("repeats = 3", "repeats = 1")
        .replace("rounds = 100", "rounds = 2")
        .replace("epochs = 50", "epochs = 2")
        .replace("min_steps = 200", "min_steps = 5")
        .replace(
            "samples = 100, candidate_pool = 2000",
            "samples = 4, candidate_pool = 60",
        );
    assert!(
        reduced.contains("name = \"digits\""),
        "the dataset block changed"
    );
    let path = tmp.path().join("gal.toml");
    std::fs::write(&path, reduced).unwrap();
    let out = tmp.path().join("out");
    common::run(&path, &out);
    let records = read_records(&out.join("records.csv")).unwrap().records;
    assert_eq!(records.len(), 5 * 3, "5 methods x 3 evaluations");
    for r in &records {
        assert!(r.is_ok(), "{}: {}", r.method, r.status);
        assert_eq!(r.x, f64::from(20 + 10 * r.round));
        assert_eq!(r.model, "gal_cnn");
    }
    let bald = records.iter().find(|r| r.method == "bald").unwrap();
    assert_eq!(bald.method_label, "bald (candidate_pool=60, samples=4)");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(
        summary.contains("test_accuracy_x_to_0.9") && summary.contains("test_accuracy_x_to_0.95"),
        "the report's targets"
    );
}

#[test]
fn a_regularization_dropout_beside_the_gal_cnn_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let text = gal2017().replace("batch_size = 128", "batch_size = 128\ndropout = 0.3");
    let path = tmp.path().join("gal.toml");
    std::fs::write(&path, text).unwrap();
    let out = common::sieve()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        !tmp.path().join("out/records.csv").exists(),
        "refused before any training"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("regularization[0].dropout") && err.contains("own dropout"),
        "{err}"
    );
}
