//! `sieve report DIR`: statistics, tables, plots and report.html from the records of a
//! results folder (all computed by the `results` crate).

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;
use sieve_results::{write_report, ReportOptions, ReportOutcome};

/// The `[report]` table of the config that made `dir`, if any (from `dir/sweep.json`).
pub fn options_of_folder(dir: &Path) -> anyhow::Result<ReportOptions> {
    #[derive(Deserialize)]
    struct Meta {
        config: MetaConfig,
    }
    #[derive(Deserialize)]
    struct MetaConfig {
        #[serde(default)]
        report: Option<ReportOptions>,
    }
    let path = dir.join("sweep.json");
    if !path.exists() {
        return Ok(ReportOptions::default());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let meta: Meta = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a sieve sweep file", path.display()))?;
    Ok(meta.config.report.unwrap_or_default())
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
        print!("{}", outcome.markdown);
        eprintln!(
            "wrote {} files under {}",
            outcome.written.len(),
            dir.display()
        );
    }
    Ok(outcome)
}
