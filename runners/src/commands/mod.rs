//! The `sieve` subcommands.

pub mod bench;
pub mod compare;
pub mod list;
pub mod merge;
pub mod report;
pub mod run;
pub mod slurm;
pub mod worker;
