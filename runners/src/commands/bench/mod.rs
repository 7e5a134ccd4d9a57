//! `sieve bench ...`: performance and fidelity benchmarks, the numbers docs/benchmarks.md
//! records.

pub mod epoch;
pub mod fidelity;
mod npy;

pub use epoch::{bench_epoch, EpochBenchOptions, EpochBenchResult};
pub use fidelity::{bench_fidelity, FidelityOptions};
