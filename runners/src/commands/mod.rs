//! The `sieve` subcommands.

pub mod bench;
pub mod compare;
pub mod list;
pub mod report;
pub mod run;
