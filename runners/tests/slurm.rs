//! `sieve slurm --submit` on a real Slurm: the sharded sweep runs as a job array, the
//! dependent job merges and reports, and the merged records equal a single-process
//! run's (timing columns aside).
//!
//! Needs a running cluster: `.ci/run` starts a one-node one with
//! `scripts/slurm-local.sh start` and sets `SIEVE_SLURM_TEST=1` and `SLURM_CONF`.
//! Without `SIEVE_SLURM_TEST` the test says so and passes; with it, a missing or broken
//! cluster fails it.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{run, sieve, untimed_sorted, write_config, SMALL};

/// Whether Slurm still knows any of `jobs` as pending or running.
fn queued(jobs: &[&str]) -> bool {
    let output = std::process::Command::new("squeue")
        .args(["-h", "-o", "%i", "-j", &jobs.join(",")])
        .output()
        .unwrap();
    !String::from_utf8_lossy(&output.stdout).trim().is_empty()
}

#[test]
fn a_sharded_sweep_runs_as_a_slurm_array_and_merges_to_the_single_run() {
    if std::env::var_os("SIEVE_SLURM_TEST").is_none() {
        eprintln!(
            "skipped: set SIEVE_SLURM_TEST=1 with a running cluster (scripts/slurm-local.sh start)"
        );
        return;
    }
    // On the shared file system the compute nodes see (here: the same machine).
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "small.toml", SMALL);
    let whole = dir.path().join("whole");
    run(&config, &whole);

    let out = dir.path().join("cluster");
    // Two workers per task where the node has two CPUs (a 1-CPU node could not run them).
    let cpus = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(2)
        .to_string();
    let output = sieve()
        .arg("slurm")
        .arg(&config)
        .args(["--shards", "3", "--time", "10:00", "--cpus-per-task", &cpus])
        .args(["--jobs", &cpus, "--submit", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // "submitted array job A and merge job M; ..."
    let words: Vec<&str> = stdout.split_whitespace().collect();
    let after = |word: &str| {
        let i = words.iter().position(|w| *w == word).unwrap();
        words[i + 1].trim_end_matches(';')
    };
    let jobs = [after("job"), words[words.len() - 4].trim_end_matches(';')];
    assert!(
        jobs.iter().all(|j| j.chars().all(|c| c.is_ascii_digit())),
        "{stdout}"
    );
    let script = std::fs::read_to_string(out.join("slurm/array.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=1-3"), "{script}");
    assert!(script.contains("#SBATCH --time=10:00"), "{script}");
    if cpus == "2" {
        assert!(script.contains("--jobs 2"), "{script}");
    }

    let started = Instant::now();
    while queued(&jobs) {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "jobs {jobs:?} still queued after 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let merge_log = std::fs::read_to_string(out.join("slurm/logs/merge.log")).unwrap_or_default();
    assert!(
        out.join("report.html").exists(),
        "no report; merge log:\n{merge_log}"
    );
    assert!(merge_log.contains("6 of 6 trials complete"), "{merge_log}");
    for k in 1..=3 {
        assert!(out.join(format!("shards/{k}-of-3/records.csv")).exists());
    }
    assert_eq!(untimed_sorted(&out), untimed_sorted(&whole));
}
