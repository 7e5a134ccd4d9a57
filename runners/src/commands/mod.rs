//! The `sieve` subcommands.

pub mod bench;
pub mod list;
pub mod report;
pub mod run;
