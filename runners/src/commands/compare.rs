//! `sieve compare BASE NEW`: the regression gate. Exit 0 when nothing regressed, 1 when
//! something did, 2 on usage or input errors.

use std::path::Path;

use sieve_results::{compare_dirs, CompareOptions, Comparison};

/// Compares two results folders and prints the Markdown table.
pub fn compare(base: &Path, new: &Path, options: &CompareOptions) -> anyhow::Result<Comparison> {
    options
        .validate()
        .map_err(|e| anyhow::anyhow!("compare options: {e}"))?;
    let comparison = compare_dirs(base, new, options)?;
    print!("{}", comparison.to_markdown());
    Ok(comparison)
}
