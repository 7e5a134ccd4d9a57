//! The `sieve` subcommands.

pub mod list;
pub mod report;
pub mod run;
