//! Nothing lost under misuse: two runs into one folder cannot interleave, a killed run
//! releases the folder, and a refused run changes nothing.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{run, sieve, write_config, SMALL};
use sieve_results::read_records;

/// A sweep slow enough to still be running when the second one starts.
fn slow() -> String {
    SMALL
        .replace("epochs = 4", "epochs = 400")
        .replace("repeats = 2", "repeats = 3")
}

fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = if e.path().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_second_run_into_a_busy_folder_is_refused_and_a_killed_run_releases_it() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "slow.toml", &slow());
    let out = tmp.path().join("out");
    let mut first = sieve()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .spawn()
        .unwrap();
    // Wait until the first run holds the lock and has written rows.
    let started = Instant::now();
    let lock = out.join(".sieve.lock");
    loop {
        let holder = std::fs::read_to_string(&lock).unwrap_or_default();
        let rows = std::fs::read_to_string(out.join("records.csv"))
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if holder.contains(&format!("pid {}", first.id())) && rows > 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first run never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = sieve()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("in use by another sieve run"), "{err}");
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");

    // kill -9: the kernel releases the lock; a new run continues the folder.
    first.kill().unwrap();
    first.wait().unwrap();
    run(&config, &out);
    let read = read_records(&out.join("records.csv")).unwrap();
    assert_eq!(read.records.len(), 3 * 3 * 3, "every row once");
    let mut keys: Vec<(String, u32)> = read
        .records
        .iter()
        .map(|r| (r.trial_id.clone(), r.round))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 27, "no row twice");
}

#[test]
fn a_refused_run_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let original = write_config(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("out");
    run(&original, &out);
    // A folder with records of a sweep but without its sweep.json (a user cleaned up).
    std::fs::remove_file(out.join("sweep.json")).unwrap();
    std::fs::remove_file(out.join("config.toml")).unwrap();
    std::fs::remove_file(out.join(".sieve.lock")).unwrap();
    let before = listing(&out);

    let other = write_config(
        tmp.path(),
        "other.toml",
        &SMALL.replace("seed = 11", "seed = 12"),
    );
    let refused = sieve()
        .arg("run")
        .arg(&other)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("holds records of sweep"), "{err}");
    assert_eq!(listing(&out), before, "the refused run changed the folder");

    // The original config still continues its own folder.
    run(&original, &out);
}

#[test]
fn ctrl_c_says_how_to_continue_and_orphan_temporaries_are_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "slow.toml", &slow());
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(".sweep.json.tmp.999999"), "half").unwrap();
    let child = sieve()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::fs::read_to_string(out.join("records.csv"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
        < 3
    {
        assert!(started.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !out.join(".sweep.json.tmp.999999").exists(),
        "orphan removed"
    );
    std::process::Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("interrupted; rerun the same command"), "{err}");
}
