//! `kind = "condense"` end to end: records (n_eval rows per trial), the synthetic sets
//! written as `.npy` + PNG, reuse of a saved set on resume, determinism, every config
//! field reaching the records, and validation.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{error_of, run, sieve, untimed_records, write_config};
use sieve_results::Metric;
use sieve_runners::config::SweepConfig;

const CONDENSE: &str = r#"
kind = "condense"
seed = 5
repeats = 2
ipc = [1, 3]
n_eval = 2

[selection]
epochs = 2

[[dataset]]
name = "digits"

[[model]]
name = "convnet"
width = 8

[[regularization]]
name = "none"
epochs = 20
batch_size = 256

[[method]]
name = "uniform"

[[method]]
name = "herding"

[[method]]
name = "dm"
params = { iterations = 6, batch_real = 16, dsa = "crop_scale" }
"#;

#[test]
fn a_condense_sweep_records_n_eval_models_per_method_ipc_and_repeat() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "condense.toml", CONDENSE);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = untimed_records(&out);
    assert_eq!(
        rows.len(),
        3 * 2 * 2 * 2,
        "methods x ipc x repeats x n_eval"
    );
    for r in &rows {
        assert!(r.is_ok(), "{}", r.status);
        assert_eq!(r.kind, "condense");
        assert_eq!(r.axis, "ipc");
        assert_eq!(r.x_name, "ipc");
        assert_eq!(r.axis_value, format!("ipc{}", r.x));
        assert!(r.eval_index < 2);
        // 20 epochs of one batch each (10 or 30 images, batch 256).
        assert_eq!(r.train_steps, Some(20));
    }
    // Evaluation models pair across methods: the same seeds at one repeat and index.
    let seeds = |m: &str| -> Vec<u64> {
        rows.iter()
            .filter(|r| r.method == m)
            .map(|r| r.seed)
            .collect()
    };
    assert_eq!(seeds("uniform"), seeds("dm"));

    // One folder per trial, loadable by numpy and by sieve's npy loader.
    let synthetic = out.join("synthetic");
    let folders: Vec<_> = std::fs::read_dir(&synthetic).unwrap().collect();
    assert_eq!(folders.len(), 3 * 2 * 2);
    for entry in folders {
        let dir = entry.unwrap().path();
        for file in ["x_train.npy", "y_train.npy", "grid.png", "condense.json"] {
            assert!(dir.join(file).is_file(), "{} lacks {file}", dir.display());
        }
        let (set, test) = sieve_datasets::load_npy_dir(&dir).unwrap();
        assert!(test.is_none());
        let info: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("condense.json")).unwrap())
                .unwrap();
        let ipc = info["ipc"].as_u64().unwrap() as usize;
        // Condensation time per iteration; none for real-image baselines.
        if info["method"] == "dm" {
            assert_eq!(info["iterations"], 6);
            assert!(info["seconds_per_iteration"].as_f64().unwrap() > 0.0);
        } else {
            assert!(info["seconds_per_iteration"].is_null());
        }
        assert_eq!(set.len(), 10 * ipc);
        assert_eq!(
            set.class_counts(),
            vec![ipc; 10],
            "ipc images of every class"
        );
        assert_eq!(set.shape, sieve_datasets::ExampleShape::new(1, 8, 8));
        let png = std::fs::read(dir.join("grid.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }

    // The report gives a verdict row per ipc for dm against uniform.
    let report = sieve()
        .args(["report", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let dm_rows = summary
        .lines()
        .filter(|l| l.contains(",dm,") && l.contains("test_accuracy"))
        .count();
    assert_eq!(dm_rows, 2, "{summary}");
}

#[test]
fn condense_records_are_reproducible_and_a_saved_set_is_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let text = CONDENSE.replace("repeats = 2", "repeats = 1");
    let config = write_config(tmp.path(), "c.toml", &text);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run(&config, &a);
    run(&config, &b);
    assert_eq!(untimed_records(&a), untimed_records(&b));

    // Lose dm's records but keep its synthetic sets: the rerun evaluates the saved
    // sets (no second condensation: the recorded condensation time is the first one).
    let before = untimed_records(&a);
    let csv = a.join("records.csv");
    let text_rows = std::fs::read_to_string(&csv).unwrap();
    let kept: Vec<&str> = text_rows.lines().filter(|l| !l.contains(",dm,")).collect();
    std::fs::write(&csv, kept.join("\n") + "\n").unwrap();
    let info_before: Vec<String> = condense_infos(&a);
    run(&config, &a);
    assert_eq!(condense_infos(&a), info_before, "sets were condensed again");
    let mut after = untimed_records(&a);
    let mut before = before;
    let key = |r: &sieve_results::Record| (r.trial_id.clone(), r.eval_index);
    after.sort_by_key(key);
    before.sort_by_key(key);
    assert_eq!(after, before);
}

fn condense_infos(out: &Path) -> Vec<String> {
    let mut infos: Vec<String> = std::fs::read_dir(out.join("synthetic"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path().join("condense.json")).unwrap())
        .collect();
    infos.sort();
    infos
}

#[test]
fn condense_configs_are_validated_before_any_work() {
    let e = error_of(&CONDENSE.replace("ipc = [1, 3]", "ipc = [0, 3]"));
    assert!(e.contains("ipc") && e.contains("got 0"), "{e}");
    let e = error_of(&CONDENSE.replace("ipc = [1, 3]", "ipc = [1, 400]"));
    assert!(
        e.contains("400 images per class") && e.contains("class"),
        "{e}"
    );
    let e = error_of(&CONDENSE.replace("n_eval = 2", "n_eval = 0"));
    assert!(e.contains("n_eval"), "{e}");
    let e = error_of(&CONDENSE.replace("name = \"dm\"", "name = \"dmm\""));
    assert!(e.contains("did you mean `dm`"), "{e}");
    let e = error_of(&CONDENSE.replace("batch_real = 16", "batch_real = 0"));
    assert!(e.contains("batch_real"), "{e}");
    let e = error_of(&CONDENSE.replace("dsa = \"crop_scale\"", "dsa = \"crop_blur\""));
    assert!(e.contains("blur"), "{e}");
    let e = error_of(&CONDENSE.replace("ipc = [1, 3]", "ipc = [1, 3]\nipcs = [2]"));
    assert!(e.contains("ipcs"), "{e}");
    let e = error_of(&CONDENSE.replace("name = \"uniform\"", "name = \"el2n\""));
    assert!(e.contains("uniform"), "{e}");
    let e = error_of(
        &CONDENSE
            .replace("name = \"convnet\"\nwidth = 8", "name = \"mlp\"")
            .replace("name = \"dm\"", "name = \"dc\""),
    );
    assert!(e.contains("model[0]") && e.contains("convnet"), "{e}");
    let e = error_of(&CONDENSE.replace(
        "name = \"dm\"\nparams = { iterations = 6,",
        "name = \"dcc\"\nparams = { iterations = 6, outer_loop = 2, inner_loop = 1, contrast = { outer_warmup = 1, inner_warmup = 3 },",
    ));
    assert!(e.contains("ipc 1") && e.contains("inner_warmup"), "{e}");
    let e = error_of(&CONDENSE.replace(
        "name = \"herding\"",
        "name = \"whole\"\nparams = { epoch = 2 }",
    ));
    assert!(e.contains("whole") && e.contains("epoch"), "{e}");
}

#[test]
fn the_whole_training_set_is_evaluated_as_an_upper_line_at_every_ipc() {
    let tmp = tempfile::tempdir().unwrap();
    let text = CONDENSE.replace("repeats = 2", "repeats = 1").replace(
        "name = \"herding\"",
        "name = \"whole\"\nparams = { epochs = 12 }",
    );
    let config = write_config(tmp.path(), "whole.toml", &text);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = untimed_records(&out);
    let whole: Vec<_> = rows.iter().filter(|r| r.method == "whole").collect();
    assert_eq!(whole.len(), 2 * 2, "ipc x n_eval");
    // The whole digits training split (over 1,000 images: more than 4 batches of 256
    // per epoch) for 12 epochs, not the regularization's 20.
    for r in &whole {
        assert!(r.is_ok(), "{}", r.status);
        assert_eq!(r.train_epochs, Some(12));
        let steps = r.train_steps.unwrap();
        assert!(steps % 12 == 0 && steps > 12 * 4, "{steps}");
    }
    let at = |ipc: f64| -> Vec<_> {
        whole
            .iter()
            .filter(|r| r.x == ipc)
            .map(|r| r.metric(Metric::TEST_ACCURACY))
            .collect()
    };
    // Far above one image per class.
    let uniform_1: Vec<f64> = rows
        .iter()
        .filter(|r| r.method == "uniform" && r.x == 1.0)
        .filter_map(|r| r.metric(Metric::TEST_ACCURACY))
        .collect();
    let whole_1: Vec<f64> = at(1.0).into_iter().flatten().collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(
        mean(&whole_1) > mean(&uniform_1) + 0.1,
        "{whole_1:?} vs {uniform_1:?}"
    );
}

/// Records minus the ids (which change with any edit).
fn outcome(text: &str, tmp: &Path, name: &str) -> Vec<String> {
    let config = write_config(tmp, &format!("{name}.toml"), text);
    let out = tmp.join(name);
    run(&config, &out);
    untimed_records(&out)
        .into_iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {:?} {:?}",
                r.axis_value,
                r.method,
                r.repeat,
                r.eval_index,
                r.x,
                r.metric(Metric::TEST_ACCURACY),
                r.metric(Metric::TEST_LOSS),
            )
        })
        .collect()
}

#[test]
fn every_condense_field_reaches_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    let base = CONDENSE
        .replace("repeats = 2", "repeats = 1")
        .replace("ipc = [1, 3]", "ipc = [2]")
        .replace("name = \"herding\"", "name = \"kcenter\"");
    let edit = |from: &str, to: &str| {
        assert!(base.contains(from), "{from}");
        base.replacen(from, to, 1)
    };
    let cases: Vec<(&str, String)> = vec![
        ("ipc", edit("ipc = [2]", "ipc = [3]")),
        ("n_eval", edit("n_eval = 2", "n_eval = 3")),
        ("selection.epochs", edit("epochs = 2\n", "epochs = 4\n")),
        (
            "selection.model",
            edit(
                "epochs = 2\n",
                "epochs = 2\nmodel = { name = \"mlp\", hidden = [16] }\n",
            ),
        ),
        (
            "selection.regularization",
            edit(
                "epochs = 2\n",
                "epochs = 2\nregularization = { name = \"none\", lr = 0.01 }\n",
            ),
        ),
        ("method", edit("iterations = 6", "iterations = 7")),
    ];
    let before = outcome(&base, tmp.path(), "base");
    for (field, text) in &cases {
        assert_ne!(
            before,
            outcome(text, tmp.path(), &field.replace('.', "_")),
            "condense field `{field}` changed no record"
        );
    }
    let json = SweepConfig::from_toml(&base, "base").unwrap().to_json();
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
    assert_eq!(own, tested, "every condense field needs a case here");
}

#[test]
fn every_condensation_method_runs_from_a_config() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = CONDENSE
        .replace("repeats = 2", "repeats = 1")
        .replace("ipc = [1, 3]", "ipc = [1]");
    for info in sieve_strategies::condense::condense_registry() {
        let extra = match info.name {
            "dm" => continue,
            "dm_ma" | "dc_ma" => ", model_augmentation = { pool_size = 2, pool_epochs = 1 }",
            "dcc" => ", contrast = { outer_warmup = 1 }",
            _ => "",
        };
        text.push_str(&format!(
            "\n[[method]]\nname = \"{}\"\nparams = {{ iterations = 2, batch_real = 16{extra} }}\n",
            info.name
        ));
    }
    let config = write_config(tmp.path(), "all.toml", &text);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = untimed_records(&out);
    for info in sieve_strategies::condense::condense_registry() {
        let mine: Vec<_> = rows.iter().filter(|r| r.method == info.name).collect();
        assert_eq!(mine.len(), 2, "{}: n_eval rows", info.name);
        assert!(
            mine.iter().all(|r| r.is_ok()),
            "{}: {}",
            info.name,
            mine[0].status
        );
    }
}
