//! `sieve run CONFIG`: validate the sweep, then run every trial not yet recorded, appending
//! each evaluation to `records.csv` as it finishes. Rerunning on the same folder resumes;
//! a folder made by another config is refused.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use burn::tensor::backend::AutodiffBackend;
use sieve_results::{
    read_records, write_atomic, Record, RecordWriter, SweepFile, SCHEMA_VERSION, STATUS_OK,
    SWEEP_FILE,
};

use crate::backend::{dispatch, BackendJob, DeviceChoice};
use crate::config::SweepConfig;
use crate::folder_lock::FolderLock;
use crate::progress::SweepProgress;
use crate::shard::{shard_trials, ShardSpec};
use crate::sweep::{expand, Sweep, Trial};
use crate::trial::{run_trial, Outcome};

/// The sieve version written into every record.
pub const SIEVE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Options of `sieve run`.
pub struct RunOptions {
    pub config: PathBuf,
    pub out: Option<PathBuf>,
    pub device: DeviceChoice,
    pub quiet: bool,
    /// Run only this shard of the trials (`--shard K/N`).
    pub shard: Option<ShardSpec>,
    /// Trials run at once, each in its own worker process (`--jobs N`).
    pub jobs: usize,
}

/// The default results folder: `runs/<config file stem>`.
pub fn default_out_dir(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    PathBuf::from("runs").join(stem)
}

/// Runs (or resumes) a sweep; returns the results folder.
pub fn run(options: RunOptions) -> anyhow::Result<PathBuf> {
    crate::backend::ensure_compiled_in(options.device).map_err(anyhow::Error::msg)?;
    let config = SweepConfig::from_file(&options.config)?;
    let origin = options.config.display().to_string();
    let quiet = options.quiet;
    let sweep = expand(config, &origin, &mut |name| {
        if !quiet {
            eprintln!("loading dataset `{name}`");
        }
    })?;
    // A shard's default folder is where `sieve slurm` puts it, so the shards of one
    // machine do not collide and `sieve merge runs/<name>/shards/* --out runs/<name>`
    // combines them.
    let out = options.out.clone().unwrap_or_else(|| {
        let base = default_out_dir(&options.config);
        match options.shard {
            Some(s) => base
                .join("shards")
                .join(format!("{}-of-{}", s.index, s.count)),
            None => base,
        }
    });
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create results folder {}", out.display()))?;
    // One run per folder: held until this function returns (or the process ends).
    let lock = FolderLock::acquire(&out)?;
    // Everything that can refuse the folder is checked before anything is written: a
    // refused run changes nothing.
    let records_path = out.join("records.csv");
    let done = match check_folder(&out, &sweep, &records_path, options.shard) {
        Ok(done) => done,
        Err(e) => {
            lock.release_and_forget();
            return Err(e);
        }
    };
    remove_orphan_temporaries(&out);
    claim_folder(&out, &sweep, options.shard)?;
    // Ctrl-C: every row written so far is on disk (fsynced per row) and the lock goes
    // with the process; say how to continue instead of dying silently.
    let _ = ctrlc::set_handler(|| {
        eprintln!(
            "\ninterrupted; rerun the same command to continue (rows recorded so far are kept)"
        );
        std::process::exit(130);
    });
    let mut writer = RecordWriter::open_append(&records_path, sweep.protocol.metrics())?;
    if writer.repaired_bytes() > 0 {
        eprintln!(
            "{}: dropped a truncated last line ({} bytes) left by an interrupted run",
            records_path.display(),
            writer.repaired_bytes()
        );
    }
    let selected = shard_trials(&sweep, options.shard);
    if !quiet {
        let shard = options
            .shard
            .map(|s| format!(" (shard {s} of {} trials)", sweep.trials.len()))
            .unwrap_or_default();
        let jobs = if options.jobs > 1 {
            format!(", {} trials at once", options.jobs)
        } else {
            String::new()
        };
        eprintln!(
            "sweep {}: {} trials{shard}, {} evaluations on {}{jobs}; results in {}",
            sweep.sweep_id,
            selected.len(),
            selected
                .iter()
                .map(|&t| sweep.evaluations(&sweep.trials[t]))
                .sum::<usize>(),
            options.device,
            out.display()
        );
    }
    if options.jobs > 1 {
        crate::parallel::run_parallel(crate::parallel::ParallelRun {
            sweep: &sweep,
            selected: &selected,
            done: &done,
            writer: &mut writer,
            config: &options.config,
            out: &out,
            device: options.device,
            jobs: options.jobs,
            quiet,
        })?;
    } else {
        let job = SweepJob {
            sweep: &sweep,
            selected: &selected,
            done: &done,
            writer: &mut writer,
            device_label: options.device.to_string(),
            out: &out,
            quiet,
        };
        dispatch(options.device, job).map_err(anyhow::Error::msg)??;
    }
    drop(writer);

    if let Some(shard) = options.shard {
        if !quiet {
            eprintln!(
                "shard {shard} done in {}; when every shard is, combine them: sieve merge SHARD_FOLDERS... --out FOLDER",
                out.display()
            );
        }
        return Ok(out);
    }
    let report_options = sweep.config.common.report.clone().unwrap_or_default();
    crate::commands::report::report(&out, &report_options, quiet)?;
    Ok(out)
}

/// Checks, reading only, that `out` can hold this sweep: its sweep.json (if any) names
/// this sweep, and its records (if any) have this sweep's columns and id. Returns what
/// is already recorded.
fn check_folder(
    out: &Path,
    sweep: &Sweep,
    records_path: &Path,
    shard: Option<ShardSpec>,
) -> anyhow::Result<Recorded> {
    if let Some(meta) = SweepFile::read(out)? {
        if meta.sweep_id != sweep.sweep_id {
            bail!(
                "{} holds results of a different config (sweep {}, this config is sweep {}): choose another --out folder, or remove that one to start over",
                out.display(),
                meta.sweep_id,
                sweep.sweep_id
            );
        }
        let wanted = shard.map(|s| s.to_string());
        if meta.shard != wanted {
            let describe = |s: &Option<String>| match s {
                Some(s) => format!("shard {s}"),
                None => "the whole sweep".to_string(),
            };
            bail!(
                "{} holds {} of sweep {}, this run is {}: give each shard its own --out folder",
                out.display(),
                describe(&meta.shard),
                meta.sweep_id,
                describe(&wanted)
            );
        }
    }
    RecordWriter::check_header(records_path, sweep.protocol.metrics()).map_err(|e| {
        anyhow::anyhow!(
            "{e}\n(the folder was written by another version of sieve or another kind of sweep: choose another --out folder)"
        )
    })?;
    recorded_rounds(records_path, &sweep.sweep_id)
}

/// Removes `.<name>.tmp.<pid>` files a run killed mid-write left behind: with the folder
/// locked, no other sieve process can be writing them.
fn remove_orphan_temporaries(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let orphan = name.starts_with('.')
            && name
                .rsplit_once(".tmp.")
                .is_some_and(|(_, pid)| !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()));
        if orphan {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `sweep.json` and `config.toml` into a folder that has none yet.
fn claim_folder(out: &Path, sweep: &Sweep, shard: Option<ShardSpec>) -> anyhow::Result<()> {
    if out.join(SWEEP_FILE).exists() {
        return Ok(());
    }
    let meta = SweepFile {
        sweep_id: sweep.sweep_id.clone(),
        sieve_version: SIEVE_VERSION.into(),
        config: sweep.config.to_json(),
        shard: shard.map(|s| s.to_string()),
    };
    write_atomic(
        &out.join(SWEEP_FILE),
        serde_json::to_string_pretty(&meta)?.as_bytes(),
    )?;
    let resolved = sweep
        .config
        .to_toml()
        .context("cannot serialise the resolved config")?;
    write_atomic(&out.join("config.toml"), resolved.as_bytes())?;
    Ok(())
}

/// What a records file already holds, per trial id.
#[derive(Default)]
pub(crate) struct Recorded {
    trials: HashMap<String, RecordedTrial>,
}

/// The rows one trial already has.
#[derive(Default)]
struct RecordedTrial {
    /// (round, eval_index) of the rows present.
    rounds: HashSet<(u32, u32)>,
    /// The trial ended with a failure row.
    failed: bool,
}

impl Recorded {
    /// Whether `trial` already has a row for `round` and `eval_index`.
    pub(crate) fn has(&self, trial: &str, round: u32, eval_index: u32) -> bool {
        self.trials
            .get(trial)
            .is_some_and(|t| t.rounds.contains(&(round, eval_index)))
    }

    /// Rows `trial` already has.
    pub(crate) fn rows(&self, trial: &str) -> usize {
        self.trials.get(trial).map_or(0, |t| t.rounds.len())
    }

    /// Whether `trial` needs no more work: every round recorded, or a failure row (a
    /// failure is a result, not a gap).
    pub(crate) fn complete(&self, trial: &str, rounds: usize) -> bool {
        self.trials
            .get(trial)
            .is_some_and(|t| t.failed || t.rounds.len() >= rounds)
    }
}

fn recorded_rounds(path: &Path, sweep_id: &str) -> anyhow::Result<Recorded> {
    if !path.exists() {
        return Ok(Recorded::default());
    }
    let read = read_records(path)?;
    for warning in &read.warnings {
        eprintln!("{warning}");
    }
    let mut done = Recorded::default();
    for record in read.records {
        if record.sweep_id != sweep_id {
            bail!(
                "{}: holds records of sweep {}, not {sweep_id}",
                path.display(),
                record.sweep_id
            );
        }
        let trial = done.trials.entry(record.trial_id.clone()).or_default();
        trial.failed |= !record.is_ok();
        trial.rounds.insert((record.round, record.eval_index));
    }
    Ok(done)
}

struct SweepJob<'a> {
    sweep: &'a Sweep,
    /// Indices of the trials to run (this shard's).
    selected: &'a [usize],
    done: &'a Recorded,
    writer: &'a mut RecordWriter,
    device_label: String,
    out: &'a Path,
    quiet: bool,
}

impl BackendJob for SweepJob<'_> {
    type Output = anyhow::Result<()>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> anyhow::Result<()> {
        let sweep = self.sweep;
        let mut progress = SweepProgress::for_trials(sweep, self.selected, self.done, self.quiet);
        let mut failed_trials = 0usize;
        for trial in self.selected.iter().map(|&t| &sweep.trials[t]) {
            let label = trial.key.label();
            if self.done.complete(&trial.id, sweep.evaluations(trial)) {
                progress.trial_done(&label, true);
                continue;
            }
            progress.start_trial(&label);
            let writer = &mut *self.writer;
            let done = self.done;
            let device_label = &self.device_label;
            let mut failure = None;
            let mut emit = |outcome: Outcome| -> anyhow::Result<()> {
                if let Err(reason) = &outcome.result {
                    failure = Some(reason.clone());
                }
                if !done.has(&trial.id, outcome.round, outcome.eval_index) {
                    writer.append(&to_record(sweep, trial, &outcome, device_label))?;
                }
                progress.evaluation_done();
                Ok(())
            };
            let quiet = self.quiet;
            let note = |line: &str| {
                if !quiet {
                    progress.println(line);
                }
            };
            run_trial::<B>(sweep, trial, &device, Some(self.out), &note, &mut emit)?;
            if let Some(reason) = failure {
                failed_trials += 1;
                progress.println(&format!("trial {label} failed: {reason}"));
            }
            progress.trial_done(&label, false);
        }
        progress.finish();
        if failed_trials > 0 && !self.quiet {
            eprintln!(
                "{} trial(s) failed; their rows say why (status column)",
                failed_trials
            );
        }
        Ok(())
    }
}

/// The record of one outcome: identity from the trial key, the kind's axis and x.
pub(crate) fn to_record(sweep: &Sweep, trial: &Trial, outcome: &Outcome, device: &str) -> Record {
    let key = &trial.key;
    let (metrics, select_seconds, train_seconds, steps, epochs, status) = match &outcome.result {
        Ok(e) => (
            e.metrics.clone(),
            e.select_seconds,
            e.train_seconds,
            e.train_steps.map(|n| n as u64),
            e.train_epochs.map(|n| n as u64),
            STATUS_OK.to_string(),
        ),
        Err(reason) => (
            sieve_results::MetricValues::new(sweep.protocol.metrics().iter().map(|&m| (m, None))),
            0.0,
            0.0,
            None,
            None,
            format!("failed: {}", reason.replace(['\n', '\r'], " ")),
        ),
    };
    Record {
        schema_version: SCHEMA_VERSION,
        sweep_id: sweep.sweep_id.clone(),
        kind: sweep.kind().to_string(),
        trial_id: trial.id.clone(),
        dataset: key.dataset.clone(),
        scenario: key.scenario.clone(),
        model: key.model.clone(),
        regularization: key.regularization.clone(),
        axis: sweep.protocol.axis().to_string(),
        axis_value: key.axis_value.clone(),
        method: key.method.clone(),
        method_params: key.method_params.clone(),
        method_label: sweep.protocol.arms()[trial.arm].label.clone(),
        repeat: trial.repeat,
        seed: trial.seed,
        round: outcome.round,
        eval_index: outcome.eval_index,
        x_name: sweep.protocol.x_name().to_string(),
        x: outcome.x,
        metrics,
        select_seconds,
        train_seconds,
        train_steps: steps,
        train_epochs: epochs,
        status,
        device: device.to_string(),
        sieve_version: SIEVE_VERSION.into(),
    }
}
