//! `sieve`: run, resume, report and list data-selection benchmark sweeps.
//!
//! Exit codes: 0 success, 1 a command failed on its inputs or outputs, 2 usage errors.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sieve_runners::backend::DeviceChoice;
use sieve_runners::commands::{list, report, run};

#[derive(Parser)]
#[command(name = "sieve", version, about = "Does a data-selection method really beat random sampling? Paired, seeded benchmark sweeps on burn.")]
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
