//! `kind = "coreset"` end to end: records, paired seeds, the shared selection model
//! cached in the results folder, determinism, resume, and validation.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{plan_error_of as error_of, run, sieve, untimed_records, write_config};
use sieve_results::{Metric, Record};
use sieve_runners::config::SweepConfig;

const CORESET: &str = r#"
kind = "coreset"
seed = 5
repeats = 2
fractions = [0.05, 0.2]

[selection]
epochs = 3

[[dataset]]
name = "digits"

[[model]]
name = "mlp"
hidden = [32]

[[regularization]]
name = "none"
epochs = 5
min_steps = 60

[[method]]
name = "uniform"

[[method]]
name = "herding"

[[method]]
name = "forgetting"

[[method]]
name = "el2n"
params = { inits = 2, epochs = 1 }
"#;

#[test]
fn a_coreset_sweep_records_every_method_fraction_and_repeat() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "coreset.toml", CORESET);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = untimed_records(&out);
    assert_eq!(rows.len(), 4 * 2 * 2, "methods x repeats x fractions");
    for r in &rows {
        assert!(r.is_ok(), "{}", r.status);
        assert_eq!(r.kind, "coreset");
        assert_eq!(r.axis, "fractions");
        assert_eq!(r.axis_value, "f0.05-0.2");
        assert_eq!(r.x_name, "fraction");
        assert!(r.x == 0.05 || r.x == 0.2);
        assert!(r.train_steps.unwrap() > 0);
        assert!(r.metric(Metric::TEST_ACCURACY).unwrap() > 0.1);
    }
    // Paired: every method at a repeat has the same trial seed.
    for repeat in 0..2 {
        let seeds: Vec<u64> = rows
            .iter()
            .filter(|r| r.repeat == repeat)
            .map(|r| r.seed)
            .collect();
        assert!(seeds.iter().all(|&s| s == seeds[0]));
    }
    assert_ne!(
        rows[0].seed,
        rows.iter().find(|r| r.repeat == 1).unwrap().seed
    );
    // The shared selection model is stored, once per repeat.
    let cache = out.join("cache/coreset");
    let folders: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
    assert_eq!(folders.len(), 2, "one shared folder per repeat");
    for folder in folders {
        let dir = folder.unwrap().path();
        assert!(dir.join("selection-model.bin").is_file());
        assert!(dir.join("selection-dynamics.json").is_file());
        assert!(dir.join("early-i2-e1.json").is_file());
        // Each piece of shared work leaves its time beside it (no record times it).
        for what in ["selection-model", "early-i2-e1"] {
            let text = std::fs::read_to_string(dir.join(format!("seconds-{what}.txt"))).unwrap();
            let seconds: f64 = text.trim().parse().unwrap();
            assert!(seconds > 0.0 && seconds.is_finite(), "{what}: {text}");
        }
    }
    // The report compares with uniform over fractions.
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("Against uniform"), "{md}");
    assert!(md.contains("fraction to uniform@0.2"), "{md}");
}

#[test]
fn coreset_records_are_reproducible_resumable_and_independent_of_the_other_methods() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "coreset.toml", CORESET);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run(&config, &a);
    run(&config, &b);
    let full = untimed_records(&a);
    assert_eq!(
        full,
        untimed_records(&b),
        "same config and seed, same records"
    );

    // Kill after half the rows: the rerun ends with the same rows, none twice.
    let text = std::fs::read_to_string(a.join("records.csv")).unwrap();
    let keep: Vec<&str> = text.lines().take(1 + full.len() / 2).collect();
    std::fs::write(a.join("records.csv"), keep.join("\n") + "\n").unwrap();
    run(&config, &a);
    let resumed = untimed_records(&a);
    let key = |r: &Record| (r.trial_id.clone(), r.round);
    let mut x: Vec<Record> = resumed.clone();
    let mut y: Vec<Record> = full.clone();
    x.sort_by_key(key);
    y.sort_by_key(key);
    assert_eq!(x, y);

    // A sweep with fewer methods gives the same rows for the methods it shares: the
    // selection model does not depend on which methods run.
    let fewer = CORESET
        .replace("[[method]]\nname = \"herding\"\n", "")
        .replace(
            "[[method]]\nname = \"el2n\"\nparams = { inits = 2, epochs = 1 }\n",
            "",
        );
    let config = write_config(tmp.path(), "fewer.toml", &fewer);
    let c = tmp.path().join("c");
    run(&config, &c);
    let pick = |rows: &[Record], method: &str| -> Vec<(u32, u32, Option<f64>)> {
        rows.iter()
            .filter(|r| r.method == method)
            .map(|r| (r.repeat, r.round, r.metric(Metric::TEST_LOSS)))
            .collect()
    };
    let small = untimed_records(&c);
    assert_eq!(pick(&small, "forgetting"), pick(&full, "forgetting"));
    assert_eq!(pick(&small, "uniform"), pick(&full, "uniform"));
}

#[test]
fn coreset_configs_are_validated_before_any_training() {
    let cases = [
        (
            CORESET.replace("[[method]]\nname = \"uniform\"\n", ""),
            "no `uniform` method",
        ),
        (
            CORESET.replace("fractions = [0.05, 0.2]", "fractions = [0.05, 1.5]"),
            "every fraction must be in (0, 1]",
        ),
        (
            CORESET.replace(
                "fractions = [0.05, 0.2]",
                "fractions = [0.05]\ncounts = [10]",
            ),
            "not both",
        ),
        (
            CORESET.replace("fractions = [0.05, 0.2]", "counts = [10, 100000]"),
            "larger than the training set",
        ),
        (
            CORESET.replace("name = \"herding\"", "name = \"herdin\""),
            "did you mean `herding`",
        ),
        (
            CORESET.replace("epochs = 3", "epochs = 3\nregularization = { name = \"none\", epochs = 4 }"),
            "selection.regularization.epochs",
        ),
        (
            format!("{CORESET}\n[[scenario]]\nname = \"o\"\nkind = \"ood\"\nshare = 0.1\nheld_out_classes = 2\n"),
            "out-of-distribution",
        ),
        (
            CORESET.replace("fractions = [0.05, 0.2]", "fractions = [0.05, 0.2]\nwarm_start = true"),
            "unknown field `warm_start`",
        ),
    ];
    for (text, says) in cases {
        let e = error_of(&text);
        assert!(e.contains(says), "expected `{says}` in: {e}");
    }
}

#[test]
fn sieve_list_shows_the_kinds_and_the_coreset_methods() {
    let out = sieve().arg("list").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("coreset"), "{text}");
    for name in sieve_strategies::coreset::coreset_method_names() {
        assert!(text.contains(name), "{name} missing from sieve list");
    }
}

#[test]
fn the_coreset_catalogue_runs_every_registered_method() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/coreset-digits.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let config = SweepConfig::from_toml(&text, "coreset-digits.toml").unwrap();
    let sieve_runners::config::KindConfig::Coreset(coreset) = &config.kind else {
        panic!("a coreset config");
    };
    let listed: std::collections::BTreeSet<&str> =
        coreset.methods.iter().map(|m| m.name.as_str()).collect();
    let registered: std::collections::BTreeSet<&str> =
        sieve_strategies::coreset::coreset_method_names()
            .into_iter()
            .collect();
    assert_eq!(
        listed, registered,
        "configs/coreset-digits.toml lists every method"
    );

    let tmp = tempfile::tempdir().unwrap();
    let reduced = text.replace("repeats = 3", "repeats = 1").replace(
        "fractions = [0.05, 0.1, 0.2, 0.4]",
        "fractions = [0.05, 0.2]",
    );
    let config = write_config(tmp.path(), "catalogue.toml", &reduced);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = untimed_records(&out);
    for name in &registered {
        let mine: Vec<&Record> = rows.iter().filter(|r| r.method == *name).collect();
        assert_eq!(mine.len(), 2, "{name}: one row per fraction");
        assert!(mine.iter().all(|r| r.is_ok()), "{name}: {}", mine[0].status);
    }
}

/// What the records say, without ids and timings.
fn outcome(text: &str, tmp: &Path, name: &str) -> Vec<String> {
    let config = write_config(tmp, &format!("{name}.toml"), text);
    let out = tmp.join(name);
    run(&config, &out);
    untimed_records(&out)
        .into_iter()
        .map(|r| {
            format!(
                "{} {} {} {} {:?} {:?}",
                r.method,
                r.repeat,
                r.x,
                r.axis_value,
                r.metric(Metric::TEST_LOSS),
                r.train_steps
            )
        })
        .collect()
}

#[test]
fn every_coreset_field_reaches_the_records() {
    let base = CORESET.replace("repeats = 2", "repeats = 1").replace(
        "[[method]]\nname = \"el2n\"\nparams = { inits = 2, epochs = 1 }\n",
        "",
    );
    let tmp = tempfile::tempdir().unwrap();
    let edit = |from: &str, to: &str| {
        assert!(base.contains(from), "{from}");
        base.replacen(from, to, 1)
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "fractions",
            edit("fractions = [0.05, 0.2]", "fractions = [0.05, 0.3]"),
        ),
        (
            "counts",
            edit("fractions = [0.05, 0.2]", "counts = [60, 250]"),
        ),
        (
            "balance",
            edit(
                "fractions = [0.05, 0.2]",
                "fractions = [0.05, 0.2]\nbalance = false",
            ),
        ),
        ("selection.epochs", edit("epochs = 3\n", "epochs = 6\n")),
        (
            "selection.model",
            edit(
                "epochs = 3\n",
                "epochs = 3\nmodel = { name = \"mlp\", hidden = [16] }\n",
            ),
        ),
        (
            "selection.regularization",
            edit(
                "epochs = 3\n",
                "epochs = 3\nregularization = { name = \"none\", lr = 0.01 }\n",
            ),
        ),
        ("method", edit("name = \"herding\"", "name = \"kcenter\"")),
    ];
    let before = outcome(&base, tmp.path(), "base");
    for (field, text) in &cases {
        assert_ne!(
            before,
            outcome(text, tmp.path(), &field.replace('.', "_")),
            "coreset field `{field}` changed no record"
        );
    }
    // Coverage: the coreset file form's own fields and [selection]'s fields.
    let config = SweepConfig::from_toml(&base, "base").unwrap();
    let json = config.to_json();
    let common = [
        "kind",
        "seed",
        "repeats",
        "inference_batch_size",
        "dataset",
        "scenario",
        "model",
        "regularization",
        "report",
    ];
    let own: std::collections::BTreeSet<String> = json
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !common.contains(&k.as_str()))
        .cloned()
        .collect();
    let tested: std::collections::BTreeSet<String> = cases
        .iter()
        .map(|c| c.0.split('.').next().unwrap().to_string())
        .collect();
    assert_eq!(own, tested, "every coreset field needs a case here");
    let selection: std::collections::BTreeSet<String> = json["selection"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let tested: std::collections::BTreeSet<String> = cases
        .iter()
        .filter_map(|c| c.0.strip_prefix("selection.").map(str::to_string))
        .collect();
    assert_eq!(
        selection, tested,
        "every [selection] field needs a case here"
    );
}
