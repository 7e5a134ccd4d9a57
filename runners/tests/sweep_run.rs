//! End-to-end behaviour of `sieve run`: determinism, the paired design, resume, refusal
//! of a foreign folder, and failed trials recorded as rows.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{run, sieve, write_config, SMALL};
use sieve_results::{read_records, Metric, Record};

fn records(dir: &Path) -> Vec<Record> {
    read_records(&dir.join("records.csv")).unwrap().records
}

/// A record with its timing columns zeroed, for comparisons.
fn untimed(mut r: Record) -> Record {
    r.select_seconds = 0.0;
    r.train_seconds = 0.0;
    r
}

#[test]
fn same_config_and_seed_give_identical_records() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "small.toml", SMALL);
    run(&config, &tmp.path().join("a"));
    run(&config, &tmp.path().join("b"));
    let a: Vec<Record> = records(&tmp.path().join("a"))
        .into_iter()
        .map(untimed)
        .collect();
    let b: Vec<Record> = records(&tmp.path().join("b"))
        .into_iter()
        .map(untimed)
        .collect();
    assert_eq!(a.len(), 3 * 2 * 3, "3 strategies x 2 repeats x 3 rounds");
    assert_eq!(a, b);
    assert!(tmp.path().join("a/summary.csv").exists());
    assert!(tmp.path().join("a/config.toml").exists());
}

#[test]
fn strategies_at_one_repeat_share_seed_initial_set_and_weights() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = records(&out);
    for repeat in 0..2 {
        let round0: Vec<&Record> = rows
            .iter()
            .filter(|r| r.repeat == repeat && r.round == 0)
            .collect();
        assert_eq!(round0.len(), 3);
        // Same trial seed, and the same round-0 model: identical initial labeled set and
        // initial weights and data order give bit-identical test loss.
        assert!(round0.iter().all(|r| r.seed == round0[0].seed));
        assert!(
            round0
                .iter()
                .all(|r| r.metric(Metric::TEST_LOSS) == round0[0].metric(Metric::TEST_LOSS)),
            "{round0:?}"
        );
        assert!(round0.iter().all(|r| r.x == 10.0));
    }
    let seeds: std::collections::HashSet<u64> = rows.iter().map(|r| r.seed).collect();
    assert_eq!(
        seeds.len(),
        2,
        "one seed per repeat, shared by the strategies"
    );
    // After selection the strategies differ (they choose different examples).
    let last: Vec<&Record> = rows
        .iter()
        .filter(|r| r.repeat == 0 && r.round == 2)
        .collect();
    assert!(last
        .iter()
        .any(|r| r.metric(Metric::TEST_LOSS) != last[0].metric(Metric::TEST_LOSS)));
}

#[test]
fn an_interrupted_sweep_resumes_to_the_rows_of_a_clean_run() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "small.toml", SMALL);
    let clean = tmp.path().join("clean");
    run(&config, &clean);
    let text = std::fs::read_to_string(clean.join("records.csv")).unwrap();
    // Keep the header, 7 complete rows and half of the 8th, as a kill would leave it.
    let lines: Vec<&str> = text.lines().collect();
    let mut partial = lines[..8].join("\n");
    partial.push('\n');
    partial.push_str(&lines[8][..lines[8].len() / 2]);
    let resumed = tmp.path().join("resumed");
    std::fs::create_dir_all(&resumed).unwrap();
    std::fs::copy(clean.join("sweep.json"), resumed.join("sweep.json")).unwrap();
    std::fs::write(resumed.join("records.csv"), partial).unwrap();
    run(&config, &resumed);
    let mut a: Vec<Record> = records(&clean).into_iter().map(untimed).collect();
    let mut b: Vec<Record> = records(&resumed).into_iter().map(untimed).collect();
    assert_eq!(a.len(), b.len(), "no row twice, none missing");
    let key = |r: &Record| (r.trial_id.clone(), r.round);
    a.sort_by_key(key);
    b.sort_by_key(key);
    assert_eq!(a, b);
    // Running again on a finished folder adds nothing.
    run(&config, &resumed);
    assert_eq!(records(&resumed).len(), a.len());
}

#[test]
fn a_folder_from_another_config_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("out");
    run(&config, &out);
    let other = write_config(
        tmp.path(),
        "other.toml",
        &SMALL.replace("seed = 11", "seed = 12"),
    );
    let output = sieve()
        .arg("run")
        .arg(&other)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("different config"), "{stderr}");
}

#[test]
fn a_diverging_trial_is_a_failed_row_and_the_sweep_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let text = SMALL.replace(
        "[[regularization]]\nname = \"none\"\nepochs = 4\n",
        "[[regularization]]\nname = \"none\"\nepochs = 4\n\n[[regularization]]\nname = \"exploding\"\npreset = \"none\"\nepochs = 4\nlr = 1e30\n",
    );
    let config = write_config(tmp.path(), "boom.toml", &text);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = records(&out);
    let failed: Vec<&Record> = rows.iter().filter(|r| !r.is_ok()).collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(|r| r.regularization == "exploding"
            && r.status.starts_with("failed: training diverged")),
        "{failed:?}"
    );
    assert!(failed
        .iter()
        .all(|r| r.metric(Metric::TEST_ACCURACY).is_none()));
    assert_eq!(
        rows.iter()
            .filter(|r| r.regularization == "none" && r.is_ok())
            .count(),
        18
    );
    // Rerunning does not retry a failed trial or duplicate its row.
    run(&config, &out);
    assert_eq!(records(&out).len(), rows.len());
}

#[test]
fn list_shows_strategies_with_parameters() {
    let output = sieve().arg("list").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for name in [
        "random",
        "least_confidence",
        "margin",
        "entropy",
        "kcenter",
        "metric = euclidean",
        "digits",
        "lenet",
        "convnet",
        "strong",
    ] {
        assert!(text.contains(name), "`{name}` missing from:\n{text}");
    }
}

#[test]
fn a_backend_not_compiled_in_says_which_feature_to_build() {
    if cfg!(feature = "cuda") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "small.toml", SMALL);
    let output = sieve()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(tmp.path().join("o"))
        .arg("--device")
        .arg("cuda")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--features cuda"), "{stderr}");
    assert!(
        !tmp.path().join("o").exists(),
        "refused before any results folder is made"
    );
    let bad = sieve()
        .arg("run")
        .arg(&config)
        .arg("--device")
        .arg("tpu")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn scenarios_and_cold_start_run_and_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let text = SMALL.replace("repeats = 2", "repeats = 1").replace(
        "[[model]]",
        r#"[[scenario]]
name = "none"
kind = "none"

[[scenario]]
name = "longtail"
kind = "imbalance"
ratio = 5.0

[[scenario]]
name = "dup2"
kind = "redundancy"
copies = 2
noise = 0.01

[[scenario]]
name = "ood15"
kind = "ood"
share = 0.15
held_out_classes = 2

[[scenario]]
name = "noisy"
kind = "label_noise"
share = 0.2

[[model]]"#,
    ) + "\n[[budget]]\ninitial = 10\nquery = 10\nrounds = 1\ninit_strategy = \"typiclust\"\ninit_params = { pca_dims = 8 }\n";
    let config = write_config(tmp.path(), "scenarios.toml", &text);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = records(&out);
    for scenario in ["none", "longtail", "dup2", "ood15", "noisy"] {
        let mine: Vec<&Record> = rows.iter().filter(|r| r.scenario == scenario).collect();
        assert_eq!(
            mine.len(),
            3 * (3 + 2),
            "{scenario}: 3 strategies x (3 + 2 rounds)"
        );
        assert!(mine.iter().all(|r| r.is_ok()), "{scenario}: {mine:?}");
    }
    // Cold start is shared by the strategies: same round-0 model.
    let cold: Vec<&Record> = rows
        .iter()
        .filter(|r| r.axis_value.ends_with("-typiclust") && r.round == 0 && r.scenario == "none")
        .collect();
    assert_eq!(cold.len(), 3);
    assert!(cold
        .iter()
        .all(|r| r.metric(Metric::TEST_LOSS) == cold[0].metric(Metric::TEST_LOSS)));
    // The cold start differs from the random initial set.
    let random_start: Vec<&Record> = rows
        .iter()
        .filter(|r| r.axis_value == "i10-q10-n30" && r.round == 0 && r.scenario == "none")
        .collect();
    assert_ne!(
        random_start[0].metric(Metric::TEST_LOSS),
        cold[0].metric(Metric::TEST_LOSS)
    );
}

#[test]
fn method_labels_name_methods_in_records_and_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let text = SMALL
        .replace(
            "name = \"margin\"",
            "name = \"margin\"\nlabel = \"Margin sampling\"",
        )
        .replace(
            "name = \"kcenter\"",
            "name = \"kcenter\"\nparams = { metric = \"cosine\" }",
        );
    let config = write_config(tmp.path(), "labels.toml", &text);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = records(&out);
    let label_of = |m: &str| {
        rows.iter()
            .find(|r| r.method == m)
            .map(|r| r.method_label.clone())
            .unwrap()
    };
    assert_eq!(label_of("random"), "random");
    assert_eq!(label_of("margin"), "Margin sampling");
    assert_eq!(label_of("kcenter"), "kcenter (metric=cosine)");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("Margin sampling") && md.contains("kcenter (metric=cosine)"),
        "{md}"
    );
    // Parameters at their default do not clutter the label.
    let text = SMALL.replace(
        "name = \"kcenter\"",
        "name = \"kcenter\"\nparams = { metric = \"euclidean\" }",
    );
    let config = write_config(tmp.path(), "defaults.toml", &text);
    let out = tmp.path().join("defaults");
    run(&config, &out);
    assert!(records(&out)
        .iter()
        .any(|r| r.method == "kcenter" && r.method_label == "kcenter"));
}

/// `candidate_pool` on two strategies: both choose from the same shared random subset
/// at each repeat and round (the trial's `selection/r` stream), the option is part of
/// their recorded parameters and labels, and a pool smaller than the batch is refused
/// in the trial with the option named.
#[test]
fn a_candidate_pool_is_shared_by_the_methods_and_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let text = SMALL
        .replace(
            "name = \"margin\"",
            "name = \"margin\"\nparams = { candidate_pool = 40 }",
        )
        .replace(
            "name = \"kcenter\"",
            "name = \"entropy\"\nparams = { candidate_pool = 40 }",
        );
    let config = write_config(tmp.path(), "pool.toml", &text);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = records(&out);
    let margin = rows.iter().find(|r| r.method == "margin").unwrap();
    assert_eq!(margin.method_params, r#"{"candidate_pool":40}"#);
    assert_eq!(margin.method_label, "margin (candidate_pool=40)");
    assert!(rows.iter().all(|r| r.is_ok()), "every trial ran");
    // Too small for the batch of 10: the trial fails with the option named.
    let text = SMALL.replace(
        "name = \"margin\"",
        "name = \"margin\"\nparams = { candidate_pool = 5 }",
    );
    let config = write_config(tmp.path(), "small-pool.toml", &text);
    let out = tmp.path().join("small");
    let output = run(&config, &out);
    let rows = records(&out);
    let failed = rows
        .iter()
        .find(|r| r.method == "margin" && !r.is_ok())
        .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    assert!(
        failed.status.contains("candidate_pool"),
        "{}",
        failed.status
    );
}

/// CEAL's pseudo-labels reach the next training: with a threshold every unlabeled
/// example passes, round 1 trains on the whole pool (many more steps than entropy, which
/// queries the same examples and trains on the labels alone), and the labeled count, the
/// budget, is the same for both.
#[test]
fn ceal_pseudo_labels_join_the_next_training_only() {
    let tmp = tempfile::tempdir().unwrap();
    let text = SMALL
        .replace(
            "name = \"margin\"",
            "name = \"ceal\"\nparams = { delta = 10.0 }",
        )
        .replace("name = \"kcenter\"", "name = \"entropy\"");
    let config = write_config(tmp.path(), "ceal.toml", &text);
    let out = tmp.path().join("out");
    run(&config, &out);
    let rows = records(&out);
    let at = |method: &str, round: u32| {
        rows.iter()
            .find(|r| r.method == method && r.round == round && r.repeat == 0)
            .unwrap()
            .clone()
    };
    let (ceal, entropy) = (at("ceal", 1), at("entropy", 1));
    assert_eq!(ceal.x, entropy.x, "pseudo-labels cost no budget");
    let (ceal_steps, entropy_steps) = (ceal.train_steps.unwrap(), entropy.train_steps.unwrap());
    assert!(
        ceal_steps > 10 * entropy_steps,
        "ceal trained {ceal_steps} steps, entropy {entropy_steps}"
    );
    // Round 0 is before any selection: the same training for both.
    assert_eq!(at("ceal", 0).train_steps, at("entropy", 0).train_steps);
}
