//! What the command-line tests share: the binary, a small digits sweep, and running it.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sieve_results::{read_records, Record};

/// A sweep small enough for tests: digits, a small MLP, 3 strategies, 3 rounds.
pub const SMALL: &str = r#"
kind = "active"
seed = 11
repeats = 2

[[dataset]]
name = "digits"

[[model]]
name = "mlp"
hidden = [32]

[[regularization]]
name = "none"
epochs = 4

[[strategy]]
name = "random"

[[strategy]]
name = "margin"

[[strategy]]
name = "kcenter"

[[budget]]
initial = 10
query = 10
rounds = 2
"#;

/// The `sieve` binary under test.
pub fn sieve() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sieve"))
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write_config(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `sieve run CONFIG --out OUT --quiet`, asserting that it succeeded.
pub fn run(config: &Path, out: &Path) -> std::process::Output {
    let output = sieve()
        .arg("run")
        .arg(config)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "sieve run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The records of a results folder without their timing columns (which vary run to run),
/// in file order.
pub fn untimed_records(dir: &Path) -> Vec<Record> {
    read_records(&dir.join("records.csv"))
        .unwrap()
        .records
        .into_iter()
        .map(|mut r| {
            r.select_seconds = 0.0;
            r.train_seconds = 0.0;
            r
        })
        .collect()
}

/// [`untimed_records`] sorted by trial, round and evaluation: for comparing runs whose
/// rows arrive in different orders (workers, shards).
pub fn untimed_sorted(dir: &Path) -> Vec<Record> {
    let mut records = untimed_records(dir);
    records.sort_by(|a, b| {
        (&a.trial_id, a.round, a.eval_index).cmp(&(&b.trial_id, b.round, b.eval_index))
    });
    records
}

/// `sieve run` on a bad config: it must fail before writing any record; its stderr.
/// The error planning `text` gives (parsing or sweep expansion, in process, no data
/// loaded beyond what expansion checks); panics when it plans.
pub fn plan_error_of(text: &str) -> String {
    let config = match sieve_runners::config::SweepConfig::from_toml(text, "test.toml") {
        Ok(c) => c,
        Err(e) => return e.to_string(),
    };
    match sieve_runners::sweep::expand(config, "test.toml", &mut |_| {}) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// The stderr of `sieve run` on `text`, which must fail without writing records.
pub fn error_of(text: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "bad.toml", text);
    let out = sieve()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!tmp.path().join("out").join("records.csv").exists());
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// The top-level fields of a config that belong to its kind (not the common block).
pub fn kind_fields(text: &str) -> std::collections::BTreeSet<String> {
    const COMMON: [&str; 9] = [
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
    sieve_runners::config::SweepConfig::from_toml(text, "config")
        .unwrap()
        .to_json()
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !COMMON.contains(&k.as_str()))
        .cloned()
        .collect()
}
