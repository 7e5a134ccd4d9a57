//! The block every run kind shares.

use sieve_bench_core::regularization::RegularizationSpec;
use sieve_bench_core::ModelSpec;
use sieve_datasets::{DatasetSpec, ScenarioSpec};

/// Seed, repeats, data, models, regularization and report options: what every kind's
/// sweep is a product over.
#[derive(Clone, Debug, PartialEq)]
pub struct CommonConfig {
    pub seed: u64,
    pub repeats: u32,
    pub inference_batch_size: usize,
    pub datasets: Vec<DatasetSpec>,
    pub scenarios: Vec<ScenarioSpec>,
    pub models: Vec<ModelSpec>,
    pub regularizations: Vec<RegularizationSpec>,
    pub report: Option<sieve_results::ReportOptions>,
}

pub(crate) fn default_scenarios() -> Vec<ScenarioSpec> {
    vec![ScenarioSpec::none()]
}

pub(crate) fn default_inference_batch() -> usize {
    512
}
