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
use sieve_runners::commands::{bench, compare, list, report, run};

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
        #[arg(long, default_value = "cpu")]
        device: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { config, out, device, quiet } => match device.parse::<DeviceChoice>() {
            Ok(device) => run::run(run::RunOptions { config, out, device, quiet }).map(|dir| {
                if !quiet {
                    eprintln!("done: records in {}", dir.join("records.csv").display());
                }
            }),
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
        Command::Bench(BenchCommand::Fidelity {
            source, path, models, optimizers, sizes, seeds, epochs, min_steps, batch_size, test_size, out, twin, python, threads, device,
        }) => {
            let options = fidelity_options(&source, &models, &optimizers, &device).map(|(source, models, optimizers, device)| {
                bench::FidelityOptions {
                    source, path, models, optimizers, sizes, seeds, epochs, min_steps, batch_size, test_size, out, twin, python,
                    threads: threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
                    device, seed: 0,
                }
            }).and_then(|o| o.validate().map(|()| o));
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
