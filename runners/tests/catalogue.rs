//! configs/al-catalogue.toml names every registered strategy, and a reduced run of it
//! gives every one of them valid selections (the runner fails a trial whose selection is
//! not exactly the requested count of distinct unlabeled indices).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use sieve_results::read_records;

fn catalogue() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/al-catalogue.toml");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_catalogue_lists_every_registered_strategy() {
    let config =
        sieve_runners::config::SweepConfig::from_toml(&catalogue(), "al-catalogue.toml").unwrap();
    let sieve_runners::config::KindConfig::Active(active) = &config.kind else {
        panic!("the catalogue is an active-learning config");
    };
    let listed: BTreeSet<&str> = active.strategies.iter().map(|s| s.name.as_str()).collect();
    let registered: BTreeSet<&str> = sieve_strategies::strategy_names().into_iter().collect();
    assert_eq!(listed, registered);
}

#[test]
fn every_registered_strategy_runs_and_selects_validly() {
    let tmp = tempfile::tempdir().unwrap();
    let reduced = catalogue()
        .replace("repeats = 2", "repeats = 1")
        .replace("rounds = 4", "rounds = 2")
        .replace("epochs = 30", "epochs = 5");
    let config = tmp.path().join("catalogue.toml");
    std::fs::write(&config, reduced).unwrap();
    let out = tmp.path().join("out");
    common::run(&config, &out);
    let records = read_records(&out.join("records.csv")).unwrap().records;
    for name in sieve_strategies::strategy_names() {
        for budget in ["i20-q20-n60", "i20-q20-n60-typiclust"] {
            let rows: Vec<_> = records
                .iter()
                .filter(|r| r.method == name && r.axis_value == budget)
                .collect();
            assert_eq!(rows.len(), 3, "{name} {budget}: one row per round");
            for row in &rows {
                assert!(row.is_ok(), "{name} {budget}: {}", row.status);
                assert_eq!(
                    row.x,
                    f64::from(20 + 20 * row.round),
                    "{name}: exact query size"
                );
            }
        }
    }
}
