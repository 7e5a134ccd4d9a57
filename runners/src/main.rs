//! `sieve`: run, resume, report and list data-selection benchmark sweeps.
//!
//! Exit codes: 0 success, 1 a command failed on its inputs or outputs (for `compare`:
//! something regressed), 2 usage errors (for `compare`: also unreadable inputs).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sieve_bench_core::ModelKind;
use sieve_datasets::DatasetSource;
use sieve_runners::backend::DeviceChoice;
use sieve_runners::commands::{bench, compare, list, merge, report, run, slurm, worker};
use sieve_runners::fetch;
use sieve_runners::shard::ShardSpec;

/// mimalloc keeps freed memory for reuse: burn-flex allocates a fresh buffer for every
/// tensor, and with glibc's allocator those of 32 MiB and more (a ConvNet activation at
/// batch 64) came from `mmap` every time, a fifth of a training step in page faults.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc 3's `mi_option_purge_delay` (its `mimalloc.h`; the index the `extended`
/// bindings do not name): milliseconds before freed memory goes back to the OS.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory stays with the allocator instead of going back to the OS after a second
/// (mimalloc's default): a ResNet-18 training step at batch 1,000 takes longer than that,
/// so every step's activations and patch matrices came back as fresh pages the kernel
/// had to zero (`perf`: a fifth of the step). The process keeps its peak, which it
/// reaches again at every step anyway (peak RSS unchanged, measured).
#[allow(unsafe_code)]
fn keep_freed_memory() {
    // SAFETY: sets one integer option of the allocator; mimalloc reads it on each purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// Most worker processes `--jobs` may start.
const MAX_JOBS: usize = 1024;

#[derive(Parser)]
#[command(
    name = "sieve",
    version,
    about = "Does a data-selection method really beat random sampling? Paired, seeded benchmark sweeps on burn."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a sweep (or continue an interrupted one) and write records and a summary.
    Run {
        /// The sweep config (TOML).
        config: PathBuf,
        /// Results folder (default: runs/<config name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// cpu, cuda, cuda:N or wgpu (GPU backends need the `cuda` / `wgpu` build features).
        #[arg(long, default_value = "cpu")]
        device: String,
        /// No progress output.
        #[arg(long)]
        quiet: bool,
        /// Run only shard K of N (1-based): a deterministic slice of the trials, balanced
        /// by estimated cost, for one machine or Slurm array task of many. Each shard
        /// needs its own folder (default runs/<config name>/shards/K-of-N); combine them
        /// with `sieve merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// Trials run at once, each in its own worker process (records equal --jobs 1's).
        #[arg(long, default_value_t = 1)]
        jobs: usize,
    },
    /// Combine the folders of a sharded sweep (`run --shard`) into one folder for report
    /// and compare. Exit 1 when trials are still missing (the folder is written anyway).
    Merge {
        /// The shard folders.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The merged folder (merging again into it keeps what it holds).
        #[arg(long)]
        out: PathBuf,
        /// Exit 0 even when some trials have no rows yet.
        #[arg(long)]
        allow_incomplete: bool,
    },
    /// Write (and with --submit, submit) a Slurm job array that runs the sweep in N
    /// shards, and a job that merges and reports them when the array ends.
    Slurm {
        /// The sweep config (TOML).
        config: PathBuf,
        /// Array tasks, one shard each.
        #[arg(long)]
        shards: usize,
        /// Merged results folder; shards go to OUT/shards, scripts and logs to OUT/slurm
        /// (default: runs/<config name>).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        partition: Option<String>,
        /// Wall-clock limit per task (Slurm format, e.g. 4:00:00).
        #[arg(long)]
        time: Option<String>,
        #[arg(long, default_value_t = 1)]
        cpus_per_task: usize,
        /// GPUs per task (use with --device cuda).
        #[arg(long)]
        gpus: Option<usize>,
        /// Memory per task (Slurm format, e.g. 8G).
        #[arg(long)]
        mem: Option<String>,
        /// The device the tasks train on.
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Trials each task runs at once (`run --jobs`; at most --cpus-per-task).
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// The sieve binary the tasks run (default: this one; it must be reachable from
        /// the compute nodes).
        #[arg(long)]
        sieve: Option<PathBuf>,
        /// Submit with sbatch instead of printing the command.
        #[arg(long)]
        submit: bool,
    },
    /// Public data sets: download and verify them.
    #[command(subcommand)]
    Data(DataCommand),
    /// (internal) Serve trials of a sweep to a parent `sieve run --jobs N`.
    #[command(hide = true)]
    Worker {
        config: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "cpu")]
        device: String,
        #[arg(long)]
        sweep_id: String,
    },
    /// Statistics, tables (CSV, JSON, Markdown, LaTeX), plots and report.html for a results folder.
    Report {
        /// A results folder.
        dir: PathBuf,
        /// Percentile bootstrap intervals with this many resamples (default: Student t).
        #[arg(long)]
        bootstrap: Option<usize>,
        /// Seed of the bootstrap resampling (the report is reproducible from it).
        #[arg(long, default_value_t = 0)]
        bootstrap_seed: u64,
        /// The paired test behind verdicts: t or wilcoxon.
        #[arg(long)]
        test: Option<String>,
        /// Significance level of verdicts, after Holm's adjustment.
        #[arg(long)]
        alpha: Option<f64>,
        /// Interval level.
        #[arg(long)]
        confidence: Option<f64>,
        /// Labeled count whose random accuracy is label efficiency's target.
        #[arg(long)]
        reference_budget: Option<f64>,
        /// A fixed metric value to give the labels needed for (repeatable, e.g.
        /// `--target 0.9 --target 0.95`); replaces the config's `[report] targets`.
        #[arg(long = "target")]
        targets: Vec<f64>,
        /// Skip plots and report.html.
        #[arg(long)]
        no_plots: bool,
    },
    /// Regression gate: per cell, improved / regressed / within noise. Exit 1 when anything regressed.
    Compare {
        /// The baseline results folder.
        base: PathBuf,
        /// The new results folder.
        new: PathBuf,
        /// Significance level (two-sided).
        #[arg(long, default_value_t = 0.05)]
        alpha: f64,
        /// Smallest change that counts, in metric units (0.005 = half an accuracy point).
        #[arg(long, default_value_t = 0.005)]
        tolerance: f64,
        /// test_accuracy, balanced_accuracy or test_loss.
        #[arg(long, default_value = "test_accuracy")]
        metric: String,
        /// auto (paired t on matching seeds, else Welch), welch or mann_whitney.
        #[arg(long, default_value = "auto")]
        test: String,
        /// Accept cells of BASE that NEW lacks (by default they fail the gate).
        #[arg(long)]
        allow_missing: bool,
        /// Also write the per-cell verdicts as JUnit XML (for CI test-report displays).
        #[arg(long)]
        junit: Option<PathBuf>,
    },
    /// List data sources, models, regularization presets and strategies with parameters.
    List,
    /// Performance benchmarks (numbers for docs/benchmarks.md).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum DataCommand {
    /// Download the official files (SHA-256 pinned in sieve), resuming a partial
    /// download; prints the `path` for a config.
    Fetch {
        /// mnist, fashion-mnist, kmnist, cifar10 or cifar100.
        name: String,
        /// Folder for the files (default: $SIEVE_DATA_DIR/NAME, else ~/.local/share/sieve/NAME;
        /// a config naming the data set without a path reads from there).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// A base URL to download from instead of the official location (a mirror holding
        /// the same file names); the pinned checksums still apply.
        #[arg(long)]
        mirror: Option<String>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// The data sets `fetch` knows, with their files and where they go.
    List,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Seconds per training epoch of a model on a whole training split.
    Epoch {
        /// Data source: digits, idx, cifar10, cifar100 or synthetic.
        #[arg(long, default_value = "idx")]
        source: String,
        /// Folder of the data files (idx, cifar10, cifar100).
        #[arg(long)]
        path: Option<PathBuf>,
        /// mlp, lenet or convnet.
        #[arg(long, default_value = "lenet")]
        model: String,
        #[arg(long, default_value_t = 128)]
        batch_size: usize,
        #[arg(long, default_value_t = 2)]
        epochs: usize,
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// Where a training step's time goes (batch, forward, backward, optimizer) and the
    /// inference pass, in ms per batch; compare with `scripts/torch_twin.py step`.
    Step {
        /// Data source: digits, idx, cifar10, cifar100 or synthetic.
        #[arg(long, default_value = "idx")]
        source: String,
        /// Folder of the data files (idx, cifar10, cifar100).
        #[arg(long)]
        path: Option<PathBuf>,
        /// mlp, lenet, convnet, gal_cnn or resnet18.
        #[arg(long, default_value = "lenet")]
        model: String,
        /// resnet18's stem: cifar or imagenet.
        #[arg(long, default_value = "cifar")]
        resnet_stem: String,
        #[arg(long, default_value_t = 128)]
        batch_size: usize,
        /// Timed steps (after two warm-up steps).
        #[arg(long, default_value_t = 20)]
        steps: usize,
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// Milliseconds per condensation step with the condensation ConvNet: a DM
    /// iteration (`--method dm`) or a gradient-matching step (`--method dc`); compare
    /// with `scripts/torch_twin.py dm|dc`.
    Condense {
        /// dm or dc.
        #[arg(long, default_value = "dm")]
        method: String,
        /// Data source: digits, idx, cifar10, cifar100 or synthetic.
        #[arg(long, default_value = "idx")]
        source: String,
        /// Folder of the data files (idx, cifar10, cifar100).
        #[arg(long)]
        path: Option<PathBuf>,
        #[arg(long, default_value_t = 10)]
        ipc: usize,
        #[arg(long, default_value_t = 256)]
        batch_real: usize,
        /// ConvNet width.
        #[arg(long, default_value_t = 128)]
        width: usize,
        /// `none` or a DSA strategy such as color_crop_cutout_flip_scale_rotate.
        #[arg(long, default_value = "none")]
        dsa: String,
        /// Timed iterations (after one warm-up iteration).
        #[arg(long, default_value_t = 10)]
        iterations: usize,
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// Seconds per example of an adversarial attack (DeepFool or BIM) on a model trained
    /// first on the whole train split: what the `deepfool` coreset method and DFAL / BIM
    /// selection spend.
    Attack {
        /// deepfool or bim.
        #[arg(long, default_value = "deepfool")]
        method: String,
        /// Data source: digits, idx, cifar10, cifar100 or synthetic.
        #[arg(long, default_value = "idx")]
        source: String,
        /// Folder of the data files (idx, cifar10, cifar100).
        #[arg(long)]
        path: Option<PathBuf>,
        #[arg(long, default_value = "lenet")]
        model: String,
        /// Epochs of training before the attack.
        #[arg(long, default_value_t = 2)]
        train_epochs: usize,
        /// Attacked examples (the first rows of the train split).
        #[arg(long, default_value_t = 2000)]
        examples: usize,
        #[arg(long, default_value_t = 512)]
        batch_size: usize,
        /// At most this many iterations per example (DeepCore's DeepFool: 50).
        #[arg(long, default_value_t = 50)]
        max_iter: usize,
        /// BIM's step.
        #[arg(long, default_value_t = 0.05)]
        epsilon: f64,
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// Train each built-in model in sieve and in its PyTorch twin on the same labeled
    /// subsets; report both accuracies and the interval of the paired difference.
    Fidelity {
        /// Data source: digits, idx, cifar10, cifar100 or synthetic.
        #[arg(long, default_value = "idx")]
        source: String,
        /// Folder of the data files (idx, cifar10, cifar100).
        #[arg(long)]
        path: Option<PathBuf>,
        /// Comma-separated models.
        #[arg(long, default_value = "mlp,lenet,convnet", value_delimiter = ',')]
        models: Vec<String>,
        /// Comma-separated optimizers (sgd: lr 0.01, momentum 0.9; adam/adamw: lr 1e-3).
        #[arg(long, default_value = "sgd,adam", value_delimiter = ',')]
        optimizers: Vec<String>,
        /// Comma-separated labeled-set sizes.
        #[arg(long, default_value = "20,100,1000", value_delimiter = ',')]
        sizes: Vec<usize>,
        /// Subsets (paired repeats) per size.
        #[arg(long, default_value_t = 10)]
        seeds: u32,
        #[arg(long, default_value_t = 20)]
        epochs: usize,
        /// At least this many optimizer steps per run.
        #[arg(long, default_value_t = 200)]
        min_steps: usize,
        #[arg(long, default_value_t = 32)]
        batch_size: usize,
        /// Evaluate on a stratified subsample of the test split of this size.
        #[arg(long)]
        test_size: Option<usize>,
        /// Folder for the protocol, the tensors and both sides' results.
        #[arg(long, default_value = "runs/fidelity")]
        out: PathBuf,
        /// The PyTorch twin script (e.g. scripts/torch_twin.py); without it only sieve's side runs.
        #[arg(long)]
        twin: Option<PathBuf>,
        /// Python with torch and numpy, for the twin.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Threads for both sides (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// resnet18's stem on both sides: cifar or imagenet.
        #[arg(long, default_value = "cifar")]
        resnet_stem: String,
        #[arg(long, default_value = "cpu")]
        device: String,
    },
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { config, out, device, quiet, shard, jobs } => {
            let flags = (|| -> Result<_, String> {
                let device = device.parse::<DeviceChoice>().map_err(|e| format!("--device: {e}"))?;
                let shard = shard.map(|s| s.parse::<ShardSpec>()).transpose()?;
                if jobs == 0 || jobs > MAX_JOBS {
                    return Err(format!("--jobs: expected 1 to {MAX_JOBS}, got {jobs}"));
                }
                Ok((device, shard))
            })();
            match flags {
                Ok((device, shard)) => run::run(run::RunOptions { config, out, device, quiet, shard, jobs }).map(|dir| {
                    if !quiet {
                        eprintln!("done: records in {}", dir.join("records.csv").display());
                    }
                }),
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            }
        }
        Command::Merge { inputs, out, allow_incomplete } => {
            match merge::merge(&merge::MergeOptions { inputs, out: out.clone() }) {
                Ok(summary) => {
                    for line in merge::describe(&summary, &out) {
                        eprintln!("{line}");
                    }
                    let incomplete = !summary.missing.is_empty() || !summary.partial.is_empty();
                    if incomplete && !allow_incomplete {
                        return ExitCode::from(1);
                    }
                    eprintln!("next: sieve report {}", out.display());
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        Command::Slurm { config, shards, out, partition, time, cpus_per_task, gpus, mem, device, jobs, sieve, submit } => {
            let device = match device.parse::<DeviceChoice>() {
                Ok(device) => device,
                Err(message) => {
                    eprintln!("error: --device: {message}");
                    return ExitCode::from(2);
                }
            };
            let options = slurm::SlurmOptions { config, shards, out, partition, time, cpus_per_task, gpus, mem, device, jobs, sieve, submit };
            slurm::slurm(&options).map(|s| {
                println!("wrote {}
wrote {}", s.array.display(), s.merge.display());
                match &s.submitted {
                    Some((array, merge)) => println!(
                        "submitted array job {array} and merge job {merge}; results in {}",
                        s.out.display()
                    ),
                    None => println!("submit with:
  {}", s.submit_command),
                }
            })
        }
        Command::Data(DataCommand::Fetch { name, dir, mirror, quiet }) => {
            let options = fetch::FetchOptions { name, dir, mirror, quiet };
            match fetch::fetch(&options) {
                Ok(report) => {
                    for (file, outcome) in &report.files {
                        let what = match outcome {
                            fetch::DownloadOutcome::Present => "already there, checksum ok".to_string(),
                            fetch::DownloadOutcome::Downloaded => "downloaded, checksum ok".to_string(),
                            fetch::DownloadOutcome::Resumed { from } => format!("resumed at byte {from}, checksum ok"),
                        };
                        eprintln!("{file}: {what}");
                    }
                    let d = report.dataset;
                    println!("[[dataset]]\nname = \"{}\"", d.name);
                    if !report.default_dir {
                        println!("source = \"{}\"\npath = {:?}", d.source, report.dir.display().to_string());
                    }
                    eprintln!(
                        "{} is in {}{}; about the data and its licence: {}",
                        d.name,
                        report.dir.display(),
                        if report.default_dir { " (a config naming it needs no path)" } else { "" },
                        d.homepage
                    );
                    Ok(())
                }
                Err(e @ fetch::FetchError::Unknown { .. }) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Data(DataCommand::List) => {
            for d in sieve_datasets::KNOWN_DATASETS {
                let bytes: u64 = d.files.iter().map(|f| f.size).sum();
                println!(
                    "{:14} source {:9} {:>6.1} MB  {}",
                    d.name,
                    d.source.as_str(),
                    bytes as f64 / 1e6,
                    sieve_datasets::default_data_dir().join(d.name).display()
                );
            }
            Ok(())
        }
        Command::Worker { config, out, device, sweep_id } => match device.parse::<DeviceChoice>() {
            Ok(device) => worker::worker(worker::WorkerOptions { config, out, device, sweep_id }),
            Err(message) => {
                eprintln!("error: --device: {message}");
                return ExitCode::from(2);
            }
        },
        Command::Report { dir, bootstrap, bootstrap_seed, test, alpha, confidence, reference_budget, targets, no_plots } => {
            // Flags are usage: a bad one exits 2 before the folder is read.
            let flags = (|| -> Result<Option<sieve_results::PairedTest>, String> {
                if let Some(a) = alpha.filter(|a| !(*a > 0.0 && *a < 1.0)) {
                    return Err(format!("--alpha: must be in (0, 1), got {a}"));
                }
                if let Some(c) = confidence.filter(|c| !(*c > 0.0 && *c < 1.0)) {
                    return Err(format!("--confidence: must be in (0, 1), got {c}"));
                }
                if let Some(r) = bootstrap.filter(|r| *r < 100) {
                    return Err(format!("--bootstrap: at least 100 resamples, got {r}"));
                }
                if let Some(t) = targets.iter().find(|t| !t.is_finite()) {
                    return Err(format!("--target: must be a finite number, got {t}"));
                }
                test.map(|t| parse_enum(&t).map_err(|_| format!("--test: expected t or wilcoxon, got `{t}`")))
                    .transpose()
            })();
            let test = match flags {
                Ok(test) => test,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            };
            let options = report::options_of_folder(&dir).map(|mut o| {
                if let Some(resamples) = bootstrap {
                    o.interval = sieve_results::IntervalMethod::Bootstrap { resamples, seed: bootstrap_seed };
                }
                o.test = test.unwrap_or(o.test);
                o.alpha = alpha.unwrap_or(o.alpha);
                o.confidence = confidence.unwrap_or(o.confidence);
                o.reference_budget = reference_budget.or(o.reference_budget);
                if !targets.is_empty() {
                    o.targets.clone_from(&targets);
                }
                o.plots = o.plots && !no_plots;
                o
            });
            options.and_then(|o| report::report(&dir, &o, false)).map(|_| ())
        }
        Command::Compare { base, new, alpha, tolerance, metric, test, allow_missing, junit } => {
            let options = parse_enum(&metric)
                .map_err(|_| format!("--metric: expected test_accuracy, balanced_accuracy or test_loss, got `{metric}`"))
                .and_then(|metric| {
                    parse_enum(&test)
                        .map_err(|_| format!("--test: expected auto, welch or mann_whitney, got `{test}`"))
                        .map(|test| sieve_results::CompareOptions { alpha, tolerance, metric, test, allow_missing })
                });
            let options = match options {
                Ok(o) => o,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            };
            return match compare::compare(&base, &new, &options).and_then(|c| {
                if let Some(path) = &junit {
                    sieve_results::write_atomic(path, sieve_results::junit_xml(&c).as_bytes())?;
                }
                Ok(c)
            }) {
                Ok(c) if c.gate_fails() => ExitCode::from(1),
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::from(2)
                }
            };
        }
        Command::Bench(BenchCommand::Epoch { source, path, model, batch_size, epochs, device }) => {
            match bench_options(&source, path, &model, batch_size, epochs, &device) {
                Ok(options) => bench::bench_epoch(options).map(|r| {
                    let mean = r.epoch_seconds.iter().skip(usize::from(r.epoch_seconds.len() > 1)).sum::<f64>()
                        / (r.epoch_seconds.len() - usize::from(r.epoch_seconds.len() > 1)).max(1) as f64;
                    println!(
                        "{} on {}: {} examples, batch {}: {:.2} s/epoch (excluding the first epoch when there are several), test accuracy {:.2}%",
                        r.model, r.device, r.examples, r.batch_size, mean, r.test_accuracy * 100.0
                    );
                    println!("{}", serde_json::to_string(&r).unwrap_or_default());
                }),
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            }
        }
        Command::Bench(BenchCommand::Step { source, path, model, resnet_stem, batch_size, steps, device }) => {
            let options = bench_options(&source, path, &model, batch_size, 1, &device).and_then(|o| {
                let stem = parse_enum(&resnet_stem)
                    .map_err(|_| format!("--resnet-stem: expected cifar or imagenet, got `{resnet_stem}`"))?;
                if steps == 0 {
                    return Err("--steps must be at least 1".to_string());
                }
                Ok(bench::StepBenchOptions {
                    source: o.source, path: o.path, model: o.model, resnet_stem: stem,
                    batch_size: o.batch_size, steps, device: o.device,
                })
            });
            match options {
                Ok(options) => bench::bench_step(options).map(|r| {
                    println!(
                        "{} on {}, batch {}: step {:.1} ms = batch {:.1} + forward {:.1} + backward {:.1} + optimizer {:.1}; inference {:.1} ms",
                        r.model, r.device, r.batch_size, r.step_ms, r.batch_ms, r.forward_ms, r.backward_ms, r.optimizer_ms, r.inference_ms
                    );
                    println!("{}", serde_json::to_string(&r).unwrap_or_default());
                }),
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            }
        }
        Command::Bench(BenchCommand::Condense { method, source, path, ipc, batch_real, width, dsa, iterations, device }) => {
            let options = bench_options(&source, path, "convnet", batch_real, 1, &device).and_then(|o| {
                if ipc == 0 || iterations == 0 || width == 0 {
                    return Err("--ipc, --iterations and --width must be at least 1".to_string());
                }
                if method != "dm" && method != "dc" {
                    return Err(format!("--method: expected dm or dc, got `{method}`"));
                }
                Ok(bench::CondenseBenchOptions {
                    method: method.clone(), source: o.source, path: o.path, ipc, batch_real, width,
                    dsa: dsa.clone(), iterations, device: o.device,
                })
            });
            match options {
                Ok(options) => bench::bench_condense(options).map(|r| {
                    println!(
                        "{} on {}: ipc {}, batch_real {}, ConvNet width {}, dsa {}: {:.1} ms per step (mean of {})",
                        r.method, r.device, r.ipc, r.batch_real, r.width, r.dsa, r.iteration_ms, r.iterations
                    );
                    println!("{}", serde_json::to_string(&r).unwrap_or_default());
                }),
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            }
        }
        Command::Bench(BenchCommand::Attack { method, source, path, model, train_epochs, examples, batch_size, max_iter, epsilon, device }) => {
            let options = bench_options(&source, path, &model, batch_size, train_epochs, &device).and_then(|o| {
                let method: bench::AttackMethod = parse_enum(&method)
                    .map_err(|_| format!("--method: expected deepfool or bim, got `{method}`"))?;
                if examples == 0 || max_iter == 0 {
                    return Err("--examples and --max-iter must be at least 1".to_string());
                }
                if !(epsilon.is_finite() && epsilon > 0.0) {
                    return Err(format!("--epsilon must be a positive number, got {epsilon}"));
                }
                Ok(bench::AttackBenchOptions {
                    method, source: o.source, path: o.path, model: o.model, train_epochs, examples,
                    batch_size: o.batch_size, max_iter, epsilon, device: o.device,
                })
            });
            match options {
                Ok(options) => bench::bench_attack(options).map(|r| {
                    println!(
                        "{:?} on {}, {} ({:.1}% test accuracy): {} examples in {:.1} s = {:.2} ms each; the {} training rows would take {:.0} s; mean squared norm {:.4}",
                        r.method, r.device, r.model, r.test_accuracy * 100.0, r.examples, r.seconds, r.ms_per_example,
                        r.train_split_examples, r.train_split_seconds, r.mean_norm
                    );
                    println!("{}", serde_json::to_string(&r).unwrap_or_default());
                }),
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            }
        }
        Command::Bench(BenchCommand::Fidelity {
            source, path, models, optimizers, sizes, seeds, epochs, min_steps, batch_size, test_size, out, twin, python, threads, resnet_stem, device,
        }) => {
            let stem = parse_enum(&resnet_stem)
                .map_err(|_| format!("--resnet-stem: expected cifar or imagenet, got `{resnet_stem}`"));
            let options = stem.and_then(|resnet_stem| fidelity_options(&source, &models, &optimizers, &device).map(|(source, models, optimizers, device)| {
                bench::FidelityOptions {
                    source, path, models, optimizers, sizes, seeds, epochs, min_steps, batch_size, test_size, out, twin, python,
                    threads: threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
                    device, seed: 0, resnet_stem,
                }
            })).and_then(|o| o.validate().map(|()| o));
            match options {
                Ok(options) => bench::bench_fidelity(options).map(|_| ()),
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            }
        }
        Command::List => {
            print!("{}", list::listing());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Parses the bench flags into options (usage errors as text).
fn bench_options(
    source: &str,
    path: Option<PathBuf>,
    model: &str,
    batch_size: usize,
    epochs: usize,
    device: &str,
) -> Result<bench::EpochBenchOptions, String> {
    let source: DatasetSource = parse_enum(source).map_err(|_| {
        format!(
            "--source: unknown data source `{source}`; expected one of {}",
            sieve_datasets::DATASET_SOURCES.join(", ")
        )
    })?;
    let model: ModelKind = parse_enum(model).map_err(|_| {
        format!(
            "--model: unknown model `{model}`; expected one of {}",
            sieve_bench_core::model::MODEL_KINDS.join(", ")
        )
    })?;
    if batch_size == 0 || epochs == 0 {
        return Err("--batch-size and --epochs must be at least 1".into());
    }
    let device = device.parse().map_err(|e| format!("--device: {e}"))?;
    Ok(bench::EpochBenchOptions {
        source,
        path,
        model,
        batch_size,
        epochs,
        device,
        seed: 0,
    })
}

type FidelityChoices = (
    DatasetSource,
    Vec<ModelKind>,
    Vec<sieve_bench_core::OptimizerKind>,
    DeviceChoice,
);

/// Parses the fidelity flags that name things (usage errors as text).
fn fidelity_options(
    source: &str,
    models: &[String],
    optimizers: &[String],
    device: &str,
) -> Result<FidelityChoices, String> {
    let source: DatasetSource = parse_enum(source).map_err(|_| {
        format!(
            "--source: unknown data source `{source}`; expected one of {}",
            sieve_datasets::DATASET_SOURCES.join(", ")
        )
    })?;
    let models = models
        .iter()
        .map(|m| {
            parse_enum(m.trim()).map_err(|_| {
                format!(
                    "--models: unknown model `{m}`; expected {}",
                    sieve_bench_core::model::MODEL_KINDS.join(", ")
                )
            })
        })
        .collect::<Result<Vec<ModelKind>, _>>()?;
    let optimizers = optimizers
        .iter()
        .map(|o| {
            parse_enum(o.trim()).map_err(|_| {
                format!("--optimizers: unknown optimizer `{o}`; expected sgd, adam or adamw")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let device = device.parse().map_err(|e| format!("--device: {e}"))?;
    Ok((source, models, optimizers, device))
}

/// Parses a snake_case enum value the way configs spell it.
fn parse_enum<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option index is mimalloc's purge delay: the only option whose default is
    /// 1,000 ms among its neighbours (a different mimalloc would fail here, not silently
    /// set another option).
    #[test]
    #[allow(unsafe_code)]
    fn the_purge_delay_index_names_the_purge_delay() {
        // SAFETY: reads one integer option.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(default, 1000);
        }
        keep_freed_memory();
        // SAFETY: as above.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) },
            -1
        );
    }
}
