//! Scale-out without a scheduler of sieve's own: `--jobs N` (worker processes under one
//! parent), `--shard K/N` (deterministic slices) and `sieve merge` give the records of a
//! single-process run, trial for trial; bad merges are refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::{run, sieve, untimed_sorted, write_config, SMALL};

const CORESET: &str = r#"
kind = "coreset"
seed = 3
repeats = 2
fractions = [0.05, 0.2]

[selection]
epochs = 2

[[dataset]]
name = "digits"

[[model]]
name = "mlp"
hidden = [16]

[[regularization]]
name = "none"
epochs = 3
min_steps = 20

[[method]]
name = "uniform"

[[method]]
name = "forgetting"

[[method]]
name = "herding"
"#;

fn sieve_ok(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let output = sieve().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "sieve {:?} failed: {}",
        args,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn run_with(config: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "run".as_ref(),
        config.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    sieve_ok(&args)
}

#[test]
fn two_jobs_give_the_records_of_one() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("active.toml", SMALL), ("coreset.toml", CORESET)] {
        let config = write_config(dir.path(), name, text);
        let serial = dir.path().join(format!("{name}-serial"));
        let parallel = dir.path().join(format!("{name}-parallel"));
        run(&config, &serial);
        run_with(&config, &parallel, &["--jobs", "2"]);
        let (a, b) = (untimed_sorted(&serial), untimed_sorted(&parallel));
        assert!(!a.is_empty());
        assert_eq!(a, b, "{name}");
        // Rerunning a complete folder with workers does nothing.
        let before = std::fs::read(parallel.join("records.csv")).unwrap();
        run_with(&config, &parallel, &["--jobs", "2"]);
        assert_eq!(std::fs::read(parallel.join("records.csv")).unwrap(), before);
    }
}

#[test]
fn workers_that_cannot_start_lose_nothing_and_say_how_to_continue() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("out");
    let output = sieve()
        .env("SIEVE_WORKER_EXE", "/bin/false")
        .args(["run".as_ref(), config.as_os_str(), "--out".as_ref()])
        .arg(&out)
        .args(["--quiet", "--jobs", "2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rerun the same command"), "{stderr}");
    // The folder is still a valid start: a normal run completes it.
    run(&config, &out);
    assert_eq!(untimed_sorted(&out).len(), 2 * 3 * 3);
}

#[test]
fn shards_partition_the_trials_and_merge_to_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("active.toml", SMALL), ("coreset.toml", CORESET)] {
        let config = write_config(dir.path(), name, text);
        let whole = dir.path().join(format!("{name}-whole"));
        run(&config, &whole);
        let shards: Vec<_> = (1..=3)
            .map(|k| dir.path().join(format!("{name}-shard{k}")))
            .collect();
        let mut seen = HashSet::new();
        for (k, shard) in shards.iter().enumerate() {
            run_with(&config, shard, &["--shard", &format!("{}/3", k + 1)]);
            let trials: HashSet<String> = untimed_sorted(shard)
                .into_iter()
                .map(|r| r.trial_id)
                .collect();
            // Coreset shards keep a repeat's selection-model methods together, so a
            // shard may be empty.
            assert!(
                !trials.is_empty() || name == "coreset.toml",
                "{name}: shard {} is empty",
                k + 1
            );
            for t in trials {
                assert!(seen.insert(t.clone()), "{name}: {t} in two shards");
            }
        }
        if name == "coreset.toml" {
            // Methods sharing one selection model (forgetting, herding) stay in one
            // shard; uniform needs no shared work and goes wherever the load is least.
            let repeats_of = |shard: &Path| -> HashSet<String> {
                untimed_sorted(shard)
                    .into_iter()
                    .filter(|r| r.method != "uniform")
                    .map(|r| r.trial_id.rsplit('|').next().unwrap().to_string())
                    .collect()
            };
            let repeats: usize = shards.iter().map(|s| repeats_of(s).len()).sum();
            assert_eq!(
                repeats, 2,
                "each repeat's selection model in exactly one shard"
            );
        }
        let merged = dir.path().join(format!("{name}-merged"));
        let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref()];
        args.extend(shards.iter().map(|s| s.as_os_str()));
        args.extend(["--out".as_ref(), merged.as_os_str()]);
        sieve_ok(&args);
        assert_eq!(untimed_sorted(&merged), untimed_sorted(&whole), "{name}");
        // Merging again changes nothing; report reads the merged folder.
        let before = std::fs::read(merged.join("records.csv")).unwrap();
        sieve_ok(&args);
        assert_eq!(std::fs::read(merged.join("records.csv")).unwrap(), before);
        sieve_ok(&["report".as_ref(), merged.as_os_str(), "--no-plots".as_ref()]);
    }
}

#[test]
fn shards_default_to_their_own_folders() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "small.toml", SMALL);
    for k in ["1/2", "2/2"] {
        let output = sieve()
            .current_dir(dir.path())
            .arg("run")
            .arg(&config)
            .args(["--quiet", "--shard", k])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let shards = dir.path().join("runs/small/shards");
    for k in ["1-of-2", "2-of-2"] {
        assert!(shards.join(k).join("records.csv").exists(), "{k}");
    }
}

#[test]
fn a_resubmitted_shard_continues_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "small.toml", SMALL);
    let shard = dir.path().join("shard");
    run_with(&config, &shard, &["--shard", "2/2"]);
    let complete = untimed_sorted(&shard);
    // A task killed part-way: its last rows never written, the last one cut mid-line.
    let path = shard.join("records.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let kept = lines.len() - 4;
    let mut cut = lines[..kept].join("\n");
    cut.push('\n');
    cut.push_str(&lines[kept][..lines[kept].len() / 2]);
    std::fs::write(&path, cut).unwrap();
    run_with(&config, &shard, &["--shard", "2/2"]);
    assert_eq!(untimed_sorted(&shard), complete);
}

#[test]
fn merge_refuses_what_does_not_fit_and_reports_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "small.toml", SMALL);
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    run_with(&config, &first, &["--shard", "1/2"]);
    let merge = |inputs: &[&Path], out: &Path, extra: &[&str]| {
        let mut command = sieve();
        command
            .arg("merge")
            .args(inputs)
            .arg("--out")
            .arg(out)
            .args(extra);
        command.output().unwrap()
    };

    // Half the sweep: written, but exit 1 naming what is missing (0 when allowed).
    let partial = dir.path().join("partial");
    let output = merge(&[&first], &partial, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("3 trial(s) with no rows"), "{stderr}");
    assert!(partial.join("records.csv").exists());
    let output = merge(&[&first], &partial, &["--allow-incomplete"]);
    assert!(output.status.success());

    // A shard folder refuses another shard.
    let output = sieve()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&first)
        .args(["--quiet", "--shard", "2/2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("holds shard 1/2"));

    // The same shard in two folders: duplicate rows.
    run_with(&config, &second, &["--shard", "1/2"]);
    let output = merge(&[&first, &second], &dir.path().join("dup"), &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("both hold the same row"), "{stderr}");
    assert!(!dir.path().join("dup").join("records.csv").exists());

    // Conflicting rows: one accuracy changed by hand.
    let path = second.join("records.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let column = header.iter().position(|c| *c == "test_accuracy").unwrap();
    let row = lines[1].clone();
    // Method params hold no commas in this sweep, so a plain split finds the column.
    let mut cells: Vec<String> = row.split(',').map(String::from).collect();
    cells[column] = "0.5".into();
    lines[1] = cells.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let output = merge(&[&first, &second], &dir.path().join("conflict"), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("different rows"));

    // Another sweep.
    let other = write_config(
        dir.path(),
        "other.toml",
        &SMALL.replace("seed = 11", "seed = 12"),
    );
    let foreign = dir.path().join("foreign");
    run_with(&other, &foreign, &["--shard", "2/2"]);
    let output = merge(&[&first, &foreign], &dir.path().join("mixed"), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("only shards of one sweep"));

    // A folder given twice, and a usage error.
    let output = merge(&[&first, &first], &dir.path().join("twice"), &[]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("given twice"));
    let output = sieve()
        .arg("run")
        .arg(&config)
        .args(["--shard", "3/2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
