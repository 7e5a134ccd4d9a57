//! The sweep config as written in TOML. Every block is a list so any axis can be swept.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sieve_bench_core::budget::BudgetSchedule;
use sieve_bench_core::regularization::RegularizationSpec;
use sieve_bench_core::ModelSpec;
use sieve_datasets::{DatasetSpec, ScenarioSpec};

/// A strategy entry: a registry name and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategySpec {
    pub name: String,
    #[serde(default)]
    pub params: Option<toml::Table>,
}

/// A whole sweep: the cartesian product of its lists, times `repeats`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepConfig {
    /// Experiment kind; this release runs `active`.
    pub kind: String,
    /// Master seed: every trial seed is derived from it.
    #[serde(default)]
    pub seed: u64,
    /// Repeats per cell (paired across strategies).
    pub repeats: u32,
    /// Retrain from the previous round's weights instead of from scratch.
    #[serde(default)]
    pub warm_start: bool,
    /// Batch size for evaluation and for scoring the pool.
    #[serde(default = "default_inference_batch")]
    pub inference_batch_size: usize,
    #[serde(rename = "dataset")]
    pub datasets: Vec<DatasetSpec>,
    /// Pool scenarios (imbalance, redundancy, OOD, label noise); default: the pool as loaded.
    #[serde(rename = "scenario", default = "default_scenarios")]
    pub scenarios: Vec<ScenarioSpec>,
    #[serde(rename = "model")]
    pub models: Vec<ModelSpec>,
    #[serde(rename = "regularization")]
    pub regularizations: Vec<RegularizationSpec>,
    #[serde(rename = "strategy")]
    pub strategies: Vec<StrategySpec>,
    #[serde(rename = "budget")]
    pub budgets: Vec<BudgetSchedule>,
    /// How `sieve report` summarises this sweep (intervals, test, alpha...); not part of
    /// the sweep's identity.
    #[serde(default)]
    pub report: Option<sieve_results::ReportOptions>,
}

fn default_scenarios() -> Vec<ScenarioSpec> {
    vec![ScenarioSpec::none()]
}

fn default_inference_batch() -> usize {
    512
}

/// Why a config could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    /// A field failed validation; `field` is its path in the config.
    #[error("{path}: {field}: {message}")]
    Invalid {
        path: String,
        field: String,
        message: String,
    },
}

impl SweepConfig {
    /// Reads and parses a TOML config (syntax and unknown fields; not the semantics).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string(),
        })
    }
}
