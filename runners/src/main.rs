//! `sieve`: run, resume, report and list data-selection benchmark sweeps.
//!
//! Exit codes: 0 success, 1 a command failed on its inputs or outputs, 2 usage errors.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sieve_bench_core::ModelKind;
use sieve_datasets::DatasetSource;
use sieve_runners::backend::DeviceChoice;
use sieve_runners::commands::{bench, list, report, run};

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
    /// Write DIR/summary.csv from DIR/records.csv and print the table.
    Report {
        /// A results folder.
        dir: PathBuf,
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
        Command::Report { dir } => report::write_summary(&dir, false).map(|_| ()),
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
    let source: DatasetSource = serde_json::from_value(serde_json::Value::String(source.into()))
        .map_err(|_| {
            format!(
                "--source: unknown data source `{source}`; expected one of {}",
                sieve_datasets::DATASET_SOURCES.join(", ")
            )
        })?;
    let model: ModelKind = serde_json::from_value(serde_json::Value::String(model.into()))
        .map_err(|_| {
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
