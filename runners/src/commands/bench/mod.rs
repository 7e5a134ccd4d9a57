//! `sieve bench ...`: performance and fidelity benchmarks, the numbers docs/benchmarks.md
//! records.

pub mod attack;
pub mod condense;
pub mod epoch;
pub mod fidelity;
pub mod step;

pub use attack::{bench_attack, AttackBenchOptions, AttackBenchResult, AttackMethod};
pub use condense::{bench_condense, CondenseBenchOptions, CondenseBenchResult};
pub use epoch::{bench_epoch, EpochBenchOptions, EpochBenchResult};
pub use fidelity::{bench_fidelity, FidelityOptions};
pub use step::{bench_step, StepBenchOptions, StepBenchResult};

/// Loads the whole data set a benchmark names (`what` prefixes the errors).
pub(crate) fn load_bench_data(
    source: sieve_datasets::DatasetSource,
    path: Option<std::path::PathBuf>,
    seed: u64,
    what: &str,
) -> anyhow::Result<sieve_datasets::DataSplits> {
    let mut spec = sieve_datasets::DatasetSpec::named(source.as_str());
    spec.source = Some(source);
    spec.path = path;
    spec.validate()
        .map_err(|e| anyhow::anyhow!("{what} data set: {e}"))?;
    eprintln!("loading {} ...", source.as_str());
    spec.load(seed)
        .map_err(|e| anyhow::anyhow!("{what} data set: {e}"))
}
