//! `kind = "continual"` end to end: the accuracy matrix in the records, task- against
//! class-incremental, resume, every config field reaching the records, validation and
//! the report's backward transfer and forgetting.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{error_of, kind_fields, run, sieve, untimed_records, untimed_sorted, write_config};
use sieve_results::Metric;

const CONTINUAL: &str = r#"
kind = "continual"
seed = 4
repeats = 2
tasks = 5
settings = ["class_incremental", "task_incremental"]
buffer_size = [40]

[[dataset]]
name = "digits"

[[model]]
name = "mlp"
hidden = [32]

[[regularization]]
name = "er"
preset = "none"
optimizer = "sgd"
lr = 0.1
momentum = 0.0
batch_size = 32
epochs = 2

[[method]]
name = "reservoir"

[[method]]
name = "herding"
"#;

#[test]
fn a_continual_sweep_records_the_lower_triangle_of_the_accuracy_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "continual.toml", CONTINUAL);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = untimed_records(&out);
    // 2 settings x 2 methods x 2 repeats x (5 + 4 + 3 + 2 + 1) entries.
    assert_eq!(rows.len(), 2 * 2 * 2 * 15);
    for r in &rows {
        assert!(r.is_ok(), "{}", r.status);
        assert_eq!((r.kind.as_str(), r.axis.as_str()), ("continual", "buffer"));
        assert!(r.eval_index <= r.round, "R[{}][{}]", r.round, r.eval_index);
        assert_eq!(r.x, f64::from(r.round + 1));
    }
    // A task just learned is known; knowing the task at test time is never worse on
    // average (the same models, a restricted argmax).
    let mean = |setting: &str, diagonal: bool| {
        let v: Vec<f64> = rows
            .iter()
            .filter(|r| r.axis_value.starts_with(setting))
            .filter(|r| (r.round == r.eval_index) == diagonal)
            .filter_map(|r| r.metric(Metric::TEST_ACCURACY))
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(mean("class_il", true) > 0.9, "{}", mean("class_il", true));
    assert!(mean("task_il", false) > mean("class_il", false) + 0.05);
    let report = sieve().arg("report").arg(&out).output().unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.contains("test_accuracy_bwt"), "{summary}");
    assert!(summary.contains("test_accuracy_forgetting"), "{summary}");
    // Where plots are drawn (a font is installed), the accuracy matrix is among them.
    let plots: Vec<String> = std::fs::read_dir(out.join("plots"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    if plots.iter().any(|p| p.ends_with(".png")) {
        assert!(
            plots.iter().any(|p| p.ends_with("-matrix.png")),
            "{plots:?}"
        );
    }
}

#[test]
fn continual_records_are_reproducible_and_an_interrupted_sweep_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let text = CONTINUAL.replace("repeats = 2", "repeats = 1").replace(
        "settings = [\"class_incremental\", \"task_incremental\"]",
        "settings = [\"class_incremental\"]",
    );
    let config = write_config(tmp.path(), "continual.toml", &text);
    let clean = tmp.path().join("clean");
    run(&config, &clean);
    let again = tmp.path().join("again");
    run(&config, &again);
    assert_eq!(untimed_sorted(&clean), untimed_sorted(&again));
    let csv = std::fs::read_to_string(clean.join("records.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    // The header, the first trial's 15 rows and 3 of the second's, then half a row.
    let mut partial = lines[..19].join("\n");
    partial.push('\n');
    partial.push_str(&lines[19][..lines[19].len() / 2]);
    let resumed = tmp.path().join("resumed");
    std::fs::create_dir_all(&resumed).unwrap();
    std::fs::copy(clean.join("sweep.json"), resumed.join("sweep.json")).unwrap();
    std::fs::write(resumed.join("records.csv"), partial).unwrap();
    run(&config, &resumed);
    assert_eq!(untimed_sorted(&clean), untimed_sorted(&resumed));
}

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
                r.eval_index,
                r.metric(Metric::TEST_LOSS)
            )
        })
        .collect()
}

#[test]
fn every_continual_field_reaches_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    let base = CONTINUAL
        .replace("repeats = 2", "repeats = 1")
        .replace(
            "settings = [\"class_incremental\", \"task_incremental\"]",
            "settings = [\"class_incremental\"]",
        )
        .replace(
            "buffer_size = [40]",
            "buffer_size = [40]\nlabeled_fraction = [1.0]",
        );
    let edit = |from: &str, to: &str| {
        assert!(base.contains(from), "{from}");
        base.replacen(from, to, 1)
    };
    let cases: Vec<(&str, String)> = vec![
        ("tasks", edit("tasks = 5", "tasks = 2")),
        (
            "settings",
            edit(
                "settings = [\"class_incremental\"]",
                "settings = [\"task_incremental\"]",
            ),
        ),
        (
            "buffer_size",
            edit("buffer_size = [40]", "buffer_size = [80]"),
        ),
        (
            "labeled_fraction",
            edit("labeled_fraction = [1.0]", "labeled_fraction = [0.5]"),
        ),
        ("method", edit("name = \"herding\"", "name = \"ring\"")),
    ];
    let before = outcome(&base, tmp.path(), "base");
    for (field, text) in &cases {
        assert_ne!(
            before,
            outcome(text, tmp.path(), field),
            "continual field `{field}` changed no record"
        );
    }
    let own = kind_fields(&base);
    let tested: std::collections::BTreeSet<String> =
        cases.iter().map(|c| c.0.to_string()).collect();
    assert_eq!(own, tested, "every continual field needs a case here");
}

#[test]
fn continual_configs_are_validated_before_any_work() {
    let e = error_of(&CONTINUAL.replace("tasks = 5", "tasks = 3"));
    assert!(
        e.contains("10 classes") && e.contains("3 equal tasks"),
        "{e}"
    );
    let e = error_of(&CONTINUAL.replace("tasks = 5", "tasks = 1"));
    assert!(e.contains("tasks"), "{e}");
    let e = error_of(&CONTINUAL.replace("\"task_incremental\"]", "\"task_incrementl\"]"));
    assert!(e.contains("did you mean `task_incremental`"), "{e}");
    let e = error_of(&CONTINUAL.replace("buffer_size = [40]", "buffer_size = [0]"));
    assert!(e.contains("buffer_size"), "{e}");
    let e = error_of(&CONTINUAL.replace("name = \"reservoir\"", "name = \"ring\""));
    assert!(e.contains("reservoir"), "{e}");
    let e = error_of(&CONTINUAL.replace("name = \"herding\"", "name = \"herdin\""));
    assert!(e.contains("did you mean `herding`"), "{e}");
    for bad in ["[0.0]", "[1.5]", "[]"] {
        let e = error_of(&CONTINUAL.replace(
            "buffer_size = [40]",
            &format!("buffer_size = [40]\nlabeled_fraction = {bad}"),
        ));
        assert!(e.contains("labeled_fraction"), "{bad}: {e}");
    }
    // A method that trains on unlabeled rows needs some.
    let e = error_of(&CONTINUAL.replace("name = \"herding\"", "name = \"nn_pseudo_label\""));
    assert!(
        e.contains("labeled_fraction") && e.contains("nn_pseudo_label"),
        "{e}"
    );
    let e = error_of(&CONTINUAL.replace(
        "name = \"herding\"",
        "name = \"nn_pseudo_label\"\nparams = { temperature = -1.0 }",
    ));
    assert!(e.contains("temperature"), "{e}");
    let e = error_of(&CONTINUAL.replace(
        "name = \"herding\"",
        "name = \"dm\"\nparams = { iteration = 5 }",
    ));
    assert!(e.contains("unknown parameter `iteration`"), "{e}");
}

const SEMI_SUPERVISED: &str = r#"
kind = "continual"
seed = 2
repeats = 1
tasks = 5
settings = ["class_incremental"]
buffer_size = [40]
labeled_fraction = [0.2, 1.0]

[[dataset]]
name = "digits"

[[model]]
name = "mlp"
hidden = [32]

[[regularization]]
name = "er"
preset = "none"
optimizer = "sgd"
lr = 0.1
momentum = 0.0
batch_size = 16
epochs = 2

[[method]]
name = "reservoir"

[[method]]
name = "random"

[[method]]
name = "kcenter"

[[method]]
name = "gdumb"

[[method]]
name = "dm"
params = { iterations = 5, batch_real = 16 }

[[method]]
name = "nn_pseudo_label"

[[method]]
name = "labeled_steps_matched"
"#;

#[test]
fn every_buffer_method_runs_and_the_semi_supervised_setting_labels_the_same_rows_for_all() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "semi.toml", SEMI_SUPERVISED);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = untimed_records(&out);
    // 2 labeled fractions x 7 methods x 15 entries, all ok.
    assert_eq!(rows.len(), 2 * 7 * 15);
    assert!(rows.iter().all(|r| r.is_ok()));
    let cell = |axis: &str, method: &str, round: u32| {
        rows.iter()
            .find(|r| r.axis_value == axis && r.method == method && r.round == round)
            .unwrap_or_else(|| panic!("{axis} {method} {round}"))
    };
    // The supervised setting keeps its old label; the other is suffixed.
    assert!(rows.iter().any(|r| r.axis_value == "class_il_b40"));
    let semi = "class_il_b40_l0.2";
    // Task 0 trains before any buffer exists for the task-end methods: random and
    // k-center see the same labeled rows with the same seeds, so R[0][0] agrees.
    assert_eq!(
        cell(semi, "random", 0).metric(Metric::TEST_LOSS),
        cell(semi, "kcenter", 0).metric(Metric::TEST_LOSS)
    );
    // A fifth of the rows train: fewer steps than the supervised setting's.
    let steps = |axis: &str, method: &str| cell(axis, method, 0).train_steps.unwrap();
    assert!(steps(semi, "random") * 3 < steps("class_il_b40", "random"));
    // nn_pseudo_label trains the task again on labeled and pseudo-labeled rows (all of
    // them at threshold 0): more steps than the supervised setting's single pass.
    assert!(steps(semi, "nn_pseudo_label") > steps("class_il_b40", "random"));
    // With every row labeled it has nothing to pseudo-label: one pass, like random.
    assert_eq!(
        steps("class_il_b40", "nn_pseudo_label"),
        steps("class_il_b40", "random")
    );
    // Its control trains exactly as many steps, on the labeled rows only, and so ends
    // elsewhere; with every row labeled it too is one pass.
    assert_eq!(
        steps(semi, "labeled_steps_matched"),
        steps(semi, "nn_pseudo_label")
    );
    assert_ne!(
        cell(semi, "labeled_steps_matched", 0).metric(Metric::TEST_LOSS),
        cell(semi, "nn_pseudo_label", 0).metric(Metric::TEST_LOSS)
    );
    assert_eq!(
        steps("class_il_b40", "labeled_steps_matched"),
        steps("class_il_b40", "random")
    );
}
