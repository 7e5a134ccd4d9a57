//! No top-level config field may be accepted and ignored: a non-default value of each
//! changes the records `sieve run` writes. The blocks' own fields are covered where they
//! are resolved (bench-core, datasets, strategies, results `every_field` tests); here each
//! block as a whole must reach the records. The field list comes from serde, so a new
//! top-level field fails this test until it has a case.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{run, untimed_records, write_config};
use sieve_results::Metric;
use sieve_runners::config::SweepConfig;

const BASE: &str = r#"
kind = "active"
seed = 3
repeats = 1

[[dataset]]
name = "digits"

[[model]]
name = "mlp"
hidden = [16]

[[regularization]]
name = "none"
epochs = 3

[[strategy]]
name = "random"

[[strategy]]
name = "margin"

[[budget]]
initial = 10
query = 10
rounds = 2
"#;

/// The records, minus the sweep id and trial ids (which change with any edit).
fn outcome(text: &str, tmp: &Path, name: &str) -> Vec<String> {
    let config = write_config(tmp, &format!("{name}.toml"), text);
    let out = tmp.join(name);
    run(&config, &out);
    untimed_records(&out)
        .into_iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {} {} {} {} {:?} {:?} {:?} {:?}",
                r.dataset,
                r.scenario,
                r.model,
                r.regularization,
                r.axis_value,
                r.method,
                r.repeat,
                r.seed,
                r.x,
                r.metric(Metric::TEST_ACCURACY),
                r.metric(Metric::TEST_LOSS),
                r.train_steps,
                r.train_epochs
            )
        })
        .collect()
}

#[test]
fn every_top_level_field_reaches_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    let edit = |from: &str, to: &str| {
        assert!(BASE.contains(from), "{from}");
        BASE.replacen(from, to, 1)
    };
    let cases: Vec<(&str, String)> = vec![
        ("seed", edit("seed = 3", "seed = 4")),
        ("repeats", edit("repeats = 1", "repeats = 2")),
        (
            "warm_start",
            edit("repeats = 1", "repeats = 1\nwarm_start = true"),
        ),
        (
            "dataset",
            edit("name = \"digits\"", "name = \"digits\"\npool_size = 600"),
        ),
        (
            "scenario",
            format!(
                "{BASE}\n[[scenario]]\nname = \"noisy\"\nkind = \"label_noise\"\nshare = 0.3\n"
            ),
        ),
        ("model", edit("hidden = [16]", "hidden = [24]")),
        ("regularization", edit("epochs = 3", "epochs = 4")),
        ("strategy", edit("name = \"margin\"", "name = \"entropy\"")),
        ("budget", edit("query = 10", "query = 12")),
    ];
    // `kind`: one kind runs today, and another is refused (tested in validation.rs).
    // `inference_batch_size`: a performance setting with bit-identical records by design
    // (checked below). `report`: how `sieve report` summarises, not what is recorded
    // (its fields are covered by results/tests/every_field.rs).
    let exempt = ["kind", "inference_batch_size", "report"];
    // (The file form lists the kind's own fields: warm_start, strategy, budget.)
    let parsed = SweepConfig::from_toml(BASE, "base").unwrap();
    let all: BTreeSet<String> = parsed
        .to_json()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let covered: BTreeSet<String> = cases
        .iter()
        .map(|c| c.0)
        .chain(exempt)
        .map(str::to_string)
        .collect();
    assert_eq!(
        covered, all,
        "every top-level config field needs a case here"
    );

    let before = outcome(BASE, tmp.path(), "base");
    for (field, text) in &cases {
        assert_ne!(
            before,
            outcome(text, tmp.path(), field),
            "changing `{field}` did not change the records"
        );
    }
}

#[test]
fn inference_batch_size_changes_no_record() {
    let tmp = tempfile::tempdir().unwrap();
    let one = BASE.replacen("repeats = 1", "repeats = 1\ninference_batch_size = 1", 1);
    let big = BASE.replacen("repeats = 1", "repeats = 1\ninference_batch_size = 4096", 1);
    assert_eq!(
        outcome(&one, tmp.path(), "one"),
        outcome(&big, tmp.path(), "big")
    );
}

#[test]
fn records_say_how_much_training_happened() {
    // 10 labels at batch 64 are one step an epoch; min_steps = 30 asks for 30 epochs.
    let tmp = tempfile::tempdir().unwrap();
    let text = BASE.replacen("epochs = 3", "epochs = 3\nmin_steps = 30", 1);
    let config = write_config(tmp.path(), "steps.toml", &text);
    let out = tmp.path().join("steps");
    run(&config, &out);
    for r in untimed_records(&out) {
        let per_epoch = (r.x as u64).div_ceil(64);
        let epochs = 3u64.max(30u64.div_ceil(per_epoch));
        assert_eq!(r.train_epochs, Some(epochs), "{r:?}");
        assert_eq!(r.train_steps, Some(epochs * per_epoch), "{r:?}");
    }
}
