//! `sieve report DIR`: statistics, tables, plots and report.html from the records of a
//! results folder (all computed by the `results` crate).

use std::path::Path;

use sieve_results::{write_report, ReportOptions, ReportOutcome, SweepFile};

/// The `[report]` table of the config that made `dir`, if any (from `dir/sweep.json`).
pub fn options_of_folder(dir: &Path) -> anyhow::Result<ReportOptions> {
    match SweepFile::read(dir)? {
        None => Ok(ReportOptions::default()),
        Some(file) => file.report_options().map_err(|e| {
            anyhow::anyhow!(
                "{}: the config's [report] options are invalid: {e}",
                dir.join(sieve_results::SWEEP_FILE).display()
            )
        }),
    }
}

/// Writes every report output under `dir`; prints the Markdown table unless `quiet`.
pub fn report(dir: &Path, options: &ReportOptions, quiet: bool) -> anyhow::Result<ReportOutcome> {
    options
        .validate()
        .map_err(|e| anyhow::anyhow!("report options: {e}"))?;
    let outcome = write_report(dir, options)?;
    for warning in &outcome.warnings {
        eprintln!("{warning}");
    }
    if !quiet {
        use std::io::IsTerminal;
        let terminal = std::io::stdout().is_terminal();
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
            .filter(|&w| w >= 40)
            .unwrap_or(100);
        print!(
            "{}",
            sieve_results::export::terminal::terminal_summary(
                &outcome.rows,
                options,
                width,
                terminal
            )
        );
        let html = dir.join("report.html");
        eprintln!(
            "wrote {} files under {}{}",
            outcome.written.len(),
            dir.display(),
            if html.is_file() {
                format!("; open {}", html.display())
            } else {
                String::new()
            }
        );
    }
    Ok(outcome)
}
