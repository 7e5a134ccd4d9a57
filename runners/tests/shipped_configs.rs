//! Every config in configs/ parses and plans (its kind, every block's fields, every
//! method's parameters), so a shipped config never fails on a typo; the runs of reduced copies (catalogue, gal2017,
//! realistic, coreset) check the rest.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use sieve_runners::config::SweepConfig;

#[test]
fn every_shipped_config_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let config =
                SweepConfig::from_toml(&text, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Everything that needs no data: methods and their parameters, the axis,
            // regularizations, models, the trial list.
            sieve_runners::sweep::plan(&config, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
            names.push(name);
        }
    }
    names.sort();
    assert!(names.len() >= 7, "{names:?}");
}
