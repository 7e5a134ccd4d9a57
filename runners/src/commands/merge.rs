//! `sieve merge DIR... --out DIR`: combines the folders of a sharded sweep (`sieve run
//! --shard K/N`, one per Slurm array task) into one folder that `report` and `compare`
//! read like any other. Every input must belong to the same sweep; a row present in two
//! inputs (a shard run into two folders) or two different rows for one evaluation are
//! refused; trials that no input has are listed. Merging again into the same folder,
//! once more shards have finished, keeps what it already held.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use sieve_results::{read_records, write_atomic, Record, SweepFile, SWEEP_FILE};

use crate::config::SweepConfig;
use crate::folder_lock::FolderLock;
use crate::sweep::plan;

/// Options of `sieve merge`.
pub struct MergeOptions {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
}

/// What a merge found.
#[derive(Debug)]
pub struct MergeSummary {
    pub rows: usize,
    pub trials: usize,
    /// Trials with every evaluation (or a failure row).
    pub complete_trials: usize,
    /// Ids of trials with no row at all, in sweep order.
    pub missing: Vec<String>,
    /// Ids of trials with some rows but not all (a shard still running or killed).
    pub partial: Vec<String>,
}

/// Where a row came from, for messages.
struct Sourced {
    record: Record,
    source: usize,
}

/// Merges the inputs into `out`.
pub fn merge(options: &MergeOptions) -> anyhow::Result<MergeSummary> {
    if options.inputs.is_empty() {
        bail!("give at least one results folder to merge");
    }
    let out_canonical = std::fs::canonicalize(&options.out).ok();
    let mut sources: Vec<PathBuf> = Vec::new();
    let mut meta: Option<SweepFile> = None;
    let mut seen = std::collections::HashSet::new();
    for input in &options.inputs {
        let canonical = std::fs::canonicalize(input)
            .with_context(|| format!("{}: no such results folder", input.display()))?;
        if !seen.insert(canonical.clone()) {
            bail!("{}: given twice", input.display());
        }
        if Some(&canonical) == out_canonical.as_ref() {
            bail!(
                "{}: the output folder cannot also be an input",
                input.display()
            );
        }
        let file = SweepFile::read(input)?.with_context(|| {
            format!(
                "{}: no {SWEEP_FILE}; expected a folder written by `sieve run`",
                input.display()
            )
        })?;
        if let Some(first) = &meta {
            if first.sweep_id != file.sweep_id {
                bail!(
                    "{} belongs to sweep {}, {} to sweep {}: only shards of one sweep can be merged",
                    options.inputs[0].display(),
                    first.sweep_id,
                    input.display(),
                    file.sweep_id
                );
            }
        } else {
            meta = Some(file);
        }
        sources.push(input.clone());
    }
    let Some(meta) = meta else {
        bail!("give at least one results folder to merge");
    };
    // The trials the sweep has, from its config (no data needed).
    let config = SweepConfig::from_json(&meta.config).map_err(|e| {
        anyhow::anyhow!(
            "{}: the config in {SWEEP_FILE} does not parse: {e}",
            options.inputs[0].display()
        )
    })?;
    let origin = options.inputs[0].join(SWEEP_FILE).display().to_string();
    let plan = plan(&config, &origin)?;
    if plan.sweep_id != meta.sweep_id {
        bail!(
            "{origin}: its config hashes to sweep {}, not {} (written by another version of sieve?)",
            plan.sweep_id,
            meta.sweep_id
        );
    }

    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;
    let lock = FolderLock::acquire(&options.out)?;
    if let Some(existing) = SweepFile::read(&options.out)? {
        if existing.sweep_id != meta.sweep_id || existing.shard.is_some() {
            lock.release_and_forget();
            bail!(
                "{} already holds {} of sweep {}: merge into a new folder",
                options.out.display(),
                existing
                    .shard
                    .map_or("results".to_string(), |s| format!("shard {s}")),
                existing.sweep_id
            );
        }
    }
    // A shard still being written would be merged half-done: its lock says so.
    let mut input_locks = Vec::new();
    for input in &sources {
        input_locks.push(FolderLock::acquire(input).with_context(|| {
            format!(
                "{}: cannot merge a folder a run is still writing",
                input.display()
            )
        })?);
    }

    // Rows by evaluation; the output's own earlier rows may repeat exactly.
    let mut rows: HashMap<(String, u32, u32), Sourced> = HashMap::new();
    // The inputs, then the output's own earlier records (a second merge) as the last
    // source.
    let mut names: Vec<PathBuf> = sources.clone();
    let out_records = options.out.join("records.csv");
    let previous_output = out_records.exists().then(|| {
        names.push(options.out.clone());
        names.len() - 1
    });
    let all: Vec<(usize, PathBuf)> = names
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.join("records.csv")))
        .collect();
    for (source, path) in &all {
        if !path.exists() {
            continue;
        }
        let read = read_records(path)?;
        for warning in &read.warnings {
            eprintln!("{warning}");
        }
        for record in read.records {
            if record.sweep_id != meta.sweep_id {
                bail!(
                    "{}: holds a row of sweep {}, not {}",
                    path.display(),
                    record.sweep_id,
                    meta.sweep_id
                );
            }
            let key = (record.trial_id.clone(), record.round, record.eval_index);
            if let Some(first) = rows.get(&key) {
                let same = same_result(&first.record, &record);
                let from_output = Some(*source) == previous_output;
                if same && from_output {
                    continue;
                }
                let what = if same {
                    "the same row"
                } else {
                    "different rows"
                };
                bail!(
                    "{} and {} both hold {what} for trial {} round {} (eval {}): {}",
                    names[first.source].join("records.csv").display(),
                    path.display(),
                    key.0,
                    key.1,
                    key.2,
                    if same {
                        "was one shard run into two folders? Merge only one of them"
                    } else {
                        "they disagree; remove the folder that should not count"
                    }
                );
            }
            rows.insert(
                key,
                Sourced {
                    record,
                    source: *source,
                },
            );
        }
    }

    // Sweep order, then round and evaluation index.
    let order: HashMap<&str, usize> = plan
        .trials
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let mut merged: Vec<Record> = rows.into_values().map(|s| s.record).collect();
    if let Some(stray) = merged
        .iter()
        .find(|r| !order.contains_key(r.trial_id.as_str()))
    {
        bail!(
            "a row of trial {} is not a trial of sweep {} (hand-edited?)",
            stray.trial_id,
            meta.sweep_id
        );
    }
    merged.sort_by_key(|r| (order[r.trial_id.as_str()], r.round, r.eval_index));

    let mut per_trial: HashMap<&str, (usize, bool)> = HashMap::new();
    for r in &merged {
        let entry = per_trial.entry(r.trial_id.as_str()).or_default();
        entry.0 += 1;
        entry.1 |= !r.is_ok();
    }
    let mut summary = MergeSummary {
        rows: merged.len(),
        trials: plan.trials.len(),
        complete_trials: 0,
        missing: Vec::new(),
        partial: Vec::new(),
    };
    for trial in &plan.trials {
        match per_trial.get(trial.id.as_str()) {
            None => summary.missing.push(trial.id.clone()),
            Some(&(n, failed)) if failed || n >= plan.protocol.evaluations(trial) => {
                summary.complete_trials += 1;
            }
            Some(_) => summary.partial.push(trial.id.clone()),
        }
    }

    // Write: records first (the folder is not a sweep's until sweep.json says so).
    let metrics = plan.protocol.metrics();
    let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
    csv.write_record(Record::columns(metrics))?;
    for record in &merged {
        csv.write_record(record.cells(metrics))?;
    }
    let bytes = csv.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    write_atomic(&out_records, &bytes)?;
    let out_meta = SweepFile {
        shard: None,
        ..meta.clone()
    };
    write_atomic(
        &options.out.join(SWEEP_FILE),
        serde_json::to_string_pretty(&out_meta)?.as_bytes(),
    )?;
    let resolved = config
        .to_toml()
        .context("cannot serialise the resolved config")?;
    write_atomic(&options.out.join("config.toml"), resolved.as_bytes())?;
    drop(input_locks);
    drop(lock);
    Ok(summary)
}

/// The lines `sieve merge` prints about what it found.
pub fn describe(summary: &MergeSummary, out: &Path) -> Vec<String> {
    let mut lines = vec![format!(
        "merged {} rows into {}: {} of {} trials complete",
        summary.rows,
        out.join("records.csv").display(),
        summary.complete_trials,
        summary.trials
    )];
    for (what, ids) in [
        ("with no rows", &summary.missing),
        ("with some rows missing", &summary.partial),
    ] {
        if ids.is_empty() {
            continue;
        }
        let shown: Vec<&str> = ids.iter().take(10).map(String::as_str).collect();
        let more = if ids.len() > shown.len() {
            format!(" and {} more", ids.len() - shown.len())
        } else {
            String::new()
        };
        lines.push(format!(
            "{} trial(s) {what} (rerun their shards, then merge again): {}{more}",
            ids.len(),
            shown.join(", ")
        ));
    }
    lines
}

/// Whether two rows for one evaluation agree on everything but how long it took.
fn same_result(a: &Record, b: &Record) -> bool {
    let untimed = |r: &Record| Record {
        select_seconds: 0.0,
        train_seconds: 0.0,
        ..r.clone()
    };
    untimed(a) == untimed(b)
}
