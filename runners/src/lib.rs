//! The `sieve` command-line tool as a library: config parsing, sweep expansion and
//! validation, backend dispatch, trial execution, and the subcommands.

pub mod backend;
pub mod commands;
pub mod config;
pub mod fetch;
pub mod folder_lock;
pub mod npy;
pub mod parallel;
pub mod progress;
pub mod protocols;
pub mod shard;
pub mod sweep;
pub mod trial;
