//! `sieve run --jobs N`: N trials at once, each worker a separate `sieve worker` process
//! (the backend's random generator is process-wide, so two trials in one process would
//! draw from one stream and stop being reproducible). The parent holds the folder lock,
//! hands out trials one at a time over each worker's stdin, and is the only writer of
//! `records.csv`: workers send their rows back over stdout, one CSV row per line.
//!
//! Every trial derives its seeds from its own identity, so a trial's rows do not depend
//! on which worker ran it or when: the records equal `--jobs 1`'s, row for row, in the
//! order trials finish.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;

use anyhow::{bail, Context};
use sieve_results::{parse_records, Record, RecordWriter};

use crate::backend::DeviceChoice;
use crate::commands::run::Recorded;
use crate::progress::SweepProgress;
use crate::shard::group_ids;
use crate::sweep::Sweep;

/// The environment variable that names the `sieve` binary to start as workers (tests and
/// wrappers); by default the running executable.
pub const WORKER_EXE_ENV: &str = "SIEVE_WORKER_EXE";

/// What the parent of a parallel run needs.
pub(crate) struct ParallelRun<'a> {
    pub sweep: &'a Sweep,
    /// Indices of the trials to run.
    pub selected: &'a [usize],
    pub done: &'a Recorded,
    pub writer: &'a mut RecordWriter,
    pub config: &'a Path,
    pub out: &'a Path,
    pub device: DeviceChoice,
    pub jobs: usize,
    pub quiet: bool,
}

/// rayon's thread-count variable, which burn's CPU backend reads.
const RAYON_THREADS_ENV: &str = "RAYON_NUM_THREADS";

/// Threads for each of `jobs` workers: the machine's cores shared out (at least one
/// each), so N workers do not start N × cores threads that fight for the cores. Small
/// models gain little from a second thread (LeNet at batch 64: 31.7 ms a step on one
/// thread, 27.9 ms on two) and nearly twice the throughput from a second worker. `None`
/// when the user set `RAYON_NUM_THREADS`: the workers inherit theirs.
fn worker_threads(jobs: usize) -> Option<usize> {
    if std::env::var_os(RAYON_THREADS_ENV).is_some() {
        return None;
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Some((cores / jobs.max(1)).max(1))
}

/// A line from a worker, or its end.
enum Event {
    Line(String),
    Closed,
}

/// One worker process and the trial it is running.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    running: Option<usize>,
    alive: bool,
}

/// Runs the selected trials on `jobs` worker processes.
pub(crate) fn run_parallel(run: ParallelRun<'_>) -> anyhow::Result<()> {
    let sweep = run.sweep;
    let mut progress = SweepProgress::for_trials(sweep, run.selected, run.done, run.quiet);
    let mut pending = VecDeque::new();
    for &t in run.selected {
        let trial = &sweep.trials[t];
        if run.done.complete(&trial.id, sweep.evaluations(trial)) {
            progress.trial_done(&trial.key.label(), true);
        } else {
            pending.push_back(t);
        }
    }
    if pending.is_empty() {
        progress.finish();
        return Ok(());
    }
    let mut queue = Queue::new(pending, sweep);
    let exe = match std::env::var_os(WORKER_EXE_ENV) {
        Some(path) => path.into(),
        None => {
            std::env::current_exe().context("cannot find the sieve executable to start workers")?
        }
    };
    let (sender, events) = mpsc::channel::<(usize, Event)>();
    let mut workers = Vec::new();
    let threads = worker_threads(run.jobs);
    for w in 0..run.jobs.min(queue.pending.len()) {
        let mut command = Command::new(&exe);
        if let Some(threads) = threads {
            command.env(RAYON_THREADS_ENV, threads.to_string());
        }
        let mut child = command
            .arg("worker")
            .arg(run.config)
            .arg("--out")
            .arg(run.out)
            .arg("--device")
            .arg(run.device.to_string())
            .arg("--sweep-id")
            .arg(&sweep.sweep_id)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start worker {}", exe.display()))?;
        let stdout = child.stdout.take().context("worker without stdout")?;
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(line) => {
                        if sender.send((w, Event::Line(line))).is_err() {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = sender.send((w, Event::Closed));
        });
        let stdin = child.stdin.take();
        workers.push(Worker {
            child,
            stdin,
            running: None,
            alive: true,
        });
    }
    drop(sender);

    let header = Record::columns(sweep.protocol.metrics()).join(",");
    let records_path = run.writer.path().to_path_buf();
    let mut failed_trials = 0usize;
    let mut lost: Vec<String> = Vec::new();
    let mut failed_now: HashMap<usize, String> = HashMap::new();
    // Hand out the first trials.
    queue.hand_out_all(&mut workers, &mut progress, sweep);
    while workers.iter().any(|w| w.alive && w.running.is_some()) {
        let Ok((w, event)) = events.recv() else {
            break;
        };
        match event {
            Event::Line(line) => {
                if let Some(row) = line.strip_prefix("row ") {
                    let Some(t) = workers[w].running else {
                        bail!("worker {w} sent a row while idle: {row}");
                    };
                    let bytes = format!("{header}\n{row}\n");
                    let read = parse_records(bytes.as_bytes(), Path::new("<worker output>"))
                        .with_context(|| format!("worker {w} sent an unreadable row"))?;
                    let [record] = read.records.as_slice() else {
                        bail!("worker {w} sent an unreadable row: {row}");
                    };
                    let trial = &sweep.trials[t];
                    if record.trial_id != trial.id {
                        bail!(
                            "worker {w} sent a row of trial {} while running {}",
                            record.trial_id,
                            trial.id
                        );
                    }
                    if !record.is_ok() {
                        failed_now.insert(t, record.status.clone());
                    }
                    if !run.done.has(&trial.id, record.round, record.eval_index) {
                        run.writer
                            .append(record)
                            .with_context(|| format!("cannot write {}", records_path.display()))?;
                    }
                    progress.evaluation_done();
                } else if let Some(index) = line.strip_prefix("done ") {
                    let t = workers[w].running.take();
                    if t.map(|t| t.to_string()).as_deref() != Some(index.trim()) {
                        bail!("worker {w} finished trial {index}, which it was not running");
                    }
                    if let Some(t) = t {
                        let label = sweep.trials[t].key.label();
                        if let Some(reason) = failed_now.remove(&t) {
                            failed_trials += 1;
                            progress.println(&format!("trial {label} {reason}"));
                        }
                        progress.trial_done(&label, false);
                        queue.finished(t);
                    }
                    // A finished leader may free trials for idle workers too.
                    queue.hand_out_all(&mut workers, &mut progress, sweep);
                }
                // Anything else (a `ready` line) needs nothing.
            }
            Event::Closed => {
                let worker = &mut workers[w];
                worker.alive = false;
                worker.stdin = None;
                let status = worker
                    .child
                    .wait()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                if let Some(t) = worker.running.take() {
                    lost.push(format!(
                        "worker {w} ({status}) stopped during trial {}",
                        sweep.trials[t].key.label()
                    ));
                    queue.finished(t);
                }
                // Its share goes to the others.
                queue.hand_out_all(&mut workers, &mut progress, sweep);
            }
        }
    }
    // No more work: closing stdin ends each worker.
    for worker in &mut workers {
        worker.stdin = None;
    }
    for worker in &mut workers {
        let _ = worker.child.wait();
    }
    progress.finish();
    if failed_trials > 0 && !run.quiet {
        eprintln!("{failed_trials} trial(s) failed; their rows say why (status column)");
    }
    if !lost.is_empty() || !queue.pending.is_empty() {
        let not_started = if queue.pending.is_empty() {
            String::new()
        } else {
            format!("; {} trial(s) not started", queue.pending.len())
        };
        bail!(
            "{}{not_started}. Rows recorded so far are kept: rerun the same command to continue",
            if lost.is_empty() {
                "every worker stopped".to_string()
            } else {
                lost.join("; ")
            }
        );
    }
    Ok(())
}

/// The trials still to hand out, in sweep order. Trials that share cached work wait for
/// the first of their group (the leader), which computes it; the rest then read it from
/// the cache instead of computing it again on another worker.
struct Queue {
    pending: VecDeque<usize>,
    /// Group per trial, when the kind's trials share work.
    groups: Option<Vec<usize>>,
    leader: HashMap<usize, usize>,
    leader_finished: HashSet<usize>,
}

impl Queue {
    fn new(pending: VecDeque<usize>, sweep: &Sweep) -> Self {
        let groups = group_ids(sweep);
        let mut leader = HashMap::new();
        if let Some(groups) = &groups {
            for &t in &pending {
                leader.entry(groups[t]).or_insert(t);
            }
        }
        Self {
            pending,
            groups,
            leader,
            leader_finished: HashSet::new(),
        }
    }

    /// Trial `t` ended (or its worker died): its group's other trials may start.
    fn finished(&mut self, t: usize) {
        if let Some(groups) = &self.groups {
            self.leader_finished.insert(groups[t]);
        }
    }

    fn ready(&self, t: usize) -> bool {
        match &self.groups {
            None => true,
            Some(groups) => {
                let g = groups[t];
                self.leader.get(&g) == Some(&t) || self.leader_finished.contains(&g)
            }
        }
    }

    /// Gives every idle, live worker the first pending trial that may start now.
    fn hand_out_all(
        &mut self,
        workers: &mut [Worker],
        progress: &mut SweepProgress,
        sweep: &Sweep,
    ) {
        for worker in workers {
            if !worker.alive || worker.running.is_some() {
                continue;
            }
            let Some(position) = self.pending.iter().position(|&t| self.ready(t)) else {
                return;
            };
            let Some(stdin) = worker.stdin.as_mut() else {
                continue;
            };
            let t = self.pending[position];
            if writeln!(stdin, "{t}").and_then(|()| stdin.flush()).is_err() {
                // The worker is gone; its closed stdout will say so.
                worker.stdin = None;
                continue;
            }
            self.pending.remove(position);
            worker.running = Some(t);
            progress.start_trial(&sweep.trials[t].key.label());
        }
    }
}
