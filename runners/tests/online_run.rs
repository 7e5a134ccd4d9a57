//! `kind = "online"` end to end: curves over optimizer steps, the irreducible-loss
//! model cached once per repeat, resume after an interruption, determinism, every config
//! field reaching the records, validation, and the report's step summaries.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{error_of, kind_fields, run, sieve, untimed_records, untimed_sorted, write_config};
use sieve_results::Metric;

const ONLINE: &str = r#"
kind = "online"
seed = 3
repeats = 2
keep = [0.25]
holdout = 0.5
evals_per_epoch = 2

[irreducible]
epochs = 8

[[dataset]]
name = "digits"

[[scenario]]
name = "noisy"
kind = "label_noise"
share = 0.2

[[model]]
name = "mlp"
hidden = [32]

[[regularization]]
name = "adamw"
preset = "none"
optimizer = "adamw"
lr = 0.003
batch_size = 16
epochs = 3

[[method]]
name = "uniform"

[[method]]
name = "rho_loss"

[[method]]
name = "loss"
"#;

#[test]
fn an_online_sweep_records_a_curve_over_steps_per_method_and_repeat() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "online.toml", ONLINE);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = untimed_records(&out);
    // 3 methods x 2 repeats x (3 epochs x 2 evaluations).
    assert_eq!(rows.len(), 3 * 2 * 6);
    // ~1,258 training images, half held out: 629 in big batches of 16 / 0.25 = 64 ->
    // 10 steps per epoch; tests after steps 5, 10, 15, ... 30.
    for r in &rows {
        assert!(r.is_ok(), "{}", r.status);
        assert_eq!(r.kind, "online");
        assert_eq!(r.axis, "keep");
        assert_eq!(r.x_name, "steps");
        assert_eq!(r.x, 5.0 * (r.round + 1) as f64, "{r:?}");
        assert_eq!(r.train_steps, Some(5 * (r.round as u64 + 1)));
        assert!(r.metric(Metric::TEST_ACCURACY).is_some());
    }
    // One irreducible model per repeat, shared by rho_loss (loss and uniform need none).
    let cached: Vec<_> = std::fs::read_dir(out.join("cache").join("online"))
        .unwrap()
        .collect();
    assert_eq!(cached.len(), 2);
    // The same seeds for every method: the first evaluation differs only by selection.
    let report = sieve().arg("report").arg(&out).output().unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("steps to uniform@30"), "{summary}");
    assert!(summary.contains("AUBC"), "{summary}");
    assert!(summary.contains("speed-up"), "{summary}");
    // No accuracy matrix outside continual learning.
    let plots: Vec<String> = std::fs::read_dir(out.join("plots"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !plots.iter().any(|p| p.ends_with("-matrix.png")),
        "{plots:?}"
    );
}

#[test]
fn online_records_are_reproducible_and_an_interrupted_sweep_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let text = ONLINE.replace("repeats = 2", "repeats = 1");
    let config = write_config(tmp.path(), "online.toml", &text);
    let clean = tmp.path().join("clean");
    run(&config, &clean);
    let again = tmp.path().join("again");
    run(&config, &again);
    assert_eq!(untimed_sorted(&clean), untimed_sorted(&again));

    // Keep the header, 8 rows (the second trial cut after 2 of its 6 tests) and half a
    // row, as a kill would leave them.
    let csv = std::fs::read_to_string(clean.join("records.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let mut partial = lines[..9].join("\n");
    partial.push('\n');
    partial.push_str(&lines[9][..lines[9].len() / 2]);
    let resumed = tmp.path().join("resumed");
    std::fs::create_dir_all(&resumed).unwrap();
    std::fs::copy(clean.join("sweep.json"), resumed.join("sweep.json")).unwrap();
    std::fs::write(resumed.join("records.csv"), partial).unwrap();
    run(&config, &resumed);
    assert_eq!(untimed_sorted(&clean), untimed_sorted(&resumed));
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
                "{} {} {} {} {:?}",
                r.axis_value,
                r.method,
                r.round,
                r.x,
                r.metric(Metric::TEST_LOSS),
            )
        })
        .collect()
}

#[test]
fn every_online_field_reaches_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    let base = ONLINE
        .replace("repeats = 2", "repeats = 1")
        .replace("name = \"loss\"", "name = \"irreducible\"");
    let edit = |from: &str, to: &str| {
        assert!(base.contains(from), "{from}");
        base.replacen(from, to, 1)
    };
    let cases: Vec<(&str, String)> = vec![
        ("keep", edit("keep = [0.25]", "keep = [0.5]")),
        ("holdout", edit("holdout = 0.5", "holdout = 0.4")),
        ("evals_per_epoch", edit("evals_per_epoch = 2", "evals_per_epoch = 3")),
        ("irreducible.epochs", edit("epochs = 8", "epochs = 4")),
        (
            "irreducible.model",
            edit(
                "epochs = 8\n",
                "epochs = 8\nmodel = { name = \"mlp\", hidden = [8] }\n",
            ),
        ),
        (
            "irreducible.regularization",
            edit(
                "epochs = 8\n",
                "epochs = 8\nregularization = { name = \"none\", optimizer = \"sgd\", lr = 0.01 }\n",
            ),
        ),
        ("method", edit("name = \"irreducible\"", "name = \"gradnorm\"")),
    ];
    let before = outcome(&base, tmp.path(), "base");
    for (field, text) in &cases {
        assert_ne!(
            before,
            outcome(text, tmp.path(), &field.replace('.', "_")),
            "online field `{field}` changed no record"
        );
    }
    let own = kind_fields(&base);
    let tested: std::collections::BTreeSet<String> = cases
        .iter()
        .map(|c| c.0.split('.').next().unwrap().to_string())
        .collect();
    assert_eq!(own, tested, "every online field needs a case here");
}

#[test]
fn online_configs_are_validated_before_any_work() {
    let e = error_of(&ONLINE.replace("keep = [0.25]", "keep = [0.0]"));
    assert!(e.contains("keep") && e.contains("(0, 1]"), "{e}");
    let e = error_of(&ONLINE.replace("keep = [0.25]", "keep = []"));
    assert!(e.contains("keep"), "{e}");
    let e = error_of(&ONLINE.replace("holdout = 0.5", "holdout = 1.0"));
    assert!(e.contains("holdout"), "{e}");
    let e = error_of(&ONLINE.replace("evals_per_epoch = 2", "evals_per_epoch = 0"));
    assert!(e.contains("evals_per_epoch"), "{e}");
    let e = error_of(&ONLINE.replace("evals_per_epoch = 2", "evals_per_epoch = 50"));
    assert!(
        e.contains("10 steps") && e.contains("evals_per_epoch"),
        "{e}"
    );
    let e = error_of(&ONLINE.replace("name = \"loss\"", "name = \"los\""));
    assert!(e.contains("did you mean `loss`"), "{e}");
    let e = error_of(&ONLINE.replace("name = \"uniform\"", "name = \"gradnorm\""));
    assert!(e.contains("uniform"), "{e}");
    let e = error_of(&ONLINE.replace("epochs = 3", "epochs = 3\nmin_steps = 100"));
    assert!(e.contains("min_steps"), "{e}");
    let e = error_of(&ONLINE.replace("epochs = 8", "epochs = 0"));
    assert!(e.contains("irreducible.epochs"), "{e}");
    let e = error_of(&ONLINE.replace("name = \"loss\"", "name = \"loss\"\nparams = { k = 2 }"));
    assert!(e.contains("method[2].params"), "{e}");
    let e = error_of(&ONLINE.replace(
        "kind = \"label_noise\"\nshare = 0.2",
        "kind = \"ood\"\nshare = 0.2\nheld_out_classes = 2",
    ));
    assert!(e.contains("out-of-distribution"), "{e}");
}
