//! `sieve bench ...`: performance and fidelity benchmarks, the numbers docs/benchmarks.md
//! records.

pub mod epoch;
pub mod fidelity;
mod npy;
pub mod step;

pub use epoch::{bench_epoch, EpochBenchOptions, EpochBenchResult};
pub use fidelity::{bench_fidelity, FidelityOptions};
pub use step::{bench_step, StepBenchOptions, StepBenchResult};
