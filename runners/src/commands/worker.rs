//! `sieve worker` (hidden; started by `sieve run --jobs N`): loads the sweep, then runs
//! the trials whose indices arrive on stdin, one per line, and answers on stdout with
//! `row <CSV row>` per evaluation and `done <index>` per trial. It writes no file of
//! its own except the shared caches; the parent holds the folder lock and the records.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use burn::tensor::backend::AutodiffBackend;
use sieve_results::Record;

use crate::backend::{dispatch, BackendJob, DeviceChoice};
use crate::commands::run::to_record;
use crate::config::SweepConfig;
use crate::sweep::{expand, Sweep};
use crate::trial::{run_trial, Outcome};

/// Options of `sieve worker`.
pub struct WorkerOptions {
    pub config: PathBuf,
    pub out: PathBuf,
    pub device: DeviceChoice,
    /// The parent's sweep id: a worker that expands the config differently refuses.
    pub sweep_id: String,
}

/// Serves trials until stdin closes.
pub fn worker(options: WorkerOptions) -> anyhow::Result<()> {
    exit_with_parent();
    crate::backend::ensure_compiled_in(options.device).map_err(anyhow::Error::msg)?;
    let config = SweepConfig::from_file(&options.config)?;
    let origin = options.config.display().to_string();
    let sweep = expand(config, &origin, &mut |_| {})?;
    if sweep.sweep_id != options.sweep_id {
        bail!(
            "{origin} expands to sweep {}, not the parent's {} (was the file changed?)",
            sweep.sweep_id,
            options.sweep_id
        );
    }
    let job = WorkerJob {
        sweep: &sweep,
        out: options.out,
        device_label: options.device.to_string(),
    };
    dispatch(options.device, job).map_err(anyhow::Error::msg)?
}

struct WorkerJob<'a> {
    sweep: &'a Sweep,
    out: PathBuf,
    device_label: String,
}

impl BackendJob for WorkerJob<'_> {
    type Output = anyhow::Result<()>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> anyhow::Result<()> {
        let sweep = self.sweep;
        let metrics = sweep.protocol.metrics();
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "ready")?;
        stdout.flush()?;
        for line in std::io::stdin().lock().lines() {
            let line = line.context("cannot read the next trial from the parent")?;
            let index: usize = line
                .trim()
                .parse()
                .with_context(|| format!("expected a trial index, got `{line}`"))?;
            let trial = sweep
                .trials
                .get(index)
                .with_context(|| format!("no trial {index} in this sweep"))?;
            let mut emit = |outcome: Outcome| -> anyhow::Result<()> {
                let record = to_record(sweep, trial, &outcome, &self.device_label);
                writeln!(stdout, "row {}", csv_row(&record, metrics)?)?;
                stdout.flush()?;
                Ok(())
            };
            let note = |line: &str| eprintln!("{line}");
            run_trial::<B>(sweep, trial, &device, Some(&self.out), &note, &mut emit)?;
            writeln!(stdout, "done {index}")?;
            stdout.flush()?;
        }
        Ok(())
    }
}

/// One record as one CSV row, without the line end (the records never hold a newline:
/// failure reasons have theirs replaced).
fn csv_row(record: &Record, metrics: &[sieve_results::Metric]) -> anyhow::Result<String> {
    let mut csv = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    csv.write_record(record.cells(metrics))?;
    let bytes = csv.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    let text = String::from_utf8(bytes)?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

/// Ends this worker when its parent dies (kill -9, an out-of-memory kill): the parent is
/// the only writer of the records, so a trial finished without it is wasted work, and an
/// orphan would keep the machine busy. Checked once a second; a closed stdin ends the
/// worker too, but only between trials.
#[cfg(unix)]
fn exit_with_parent() {
    let parent = std::os::unix::process::parent_id();
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if std::os::unix::process::parent_id() != parent {
            std::process::exit(1);
        }
    });
}

#[cfg(not(unix))]
fn exit_with_parent() {}
