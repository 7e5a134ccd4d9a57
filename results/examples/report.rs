//! `cargo run -p sieve-results --example report -- DIR`: writes the report of a
//! results folder without the burn-based `sieve` binary (used by
//! scripts/check-report-html.sh).

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: report DIR");
        return ExitCode::from(2);
    };
    match sieve_results::write_report(std::path::Path::new(&dir), &Default::default()) {
        Ok(out) => {
            for w in &out.warnings {
                eprintln!("warning: {w}");
            }
            for f in &out.written {
                eprintln!("wrote {}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
