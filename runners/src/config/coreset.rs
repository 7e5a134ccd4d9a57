//! `kind = "coreset"`: static selection of a fraction (or count) of the training set,
//! then a fresh model trained on the subset only (the DeepCore protocol).

use serde::{Deserialize, Serialize};
use sieve_bench_core::regularization::RegularizationSpec;
use sieve_bench_core::ModelSpec;

use super::{kind_file, KindConfig, MethodSpec};

/// The model that scores the training set for model-based methods: trained once per
/// repeat on the full training set, shared by every method at that repeat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionConfig {
    /// Its architecture (default: the trial's model).
    #[serde(default)]
    pub model: Option<ModelSpec>,
    /// Its training (default: the trial's regularization with `epochs` epochs).
    #[serde(default)]
    pub regularization: Option<RegularizationSpec>,
    /// Epochs of selection training (DeepCore's published tables: 10).
    #[serde(default = "default_selection_epochs")]
    pub epochs: usize,
}

fn default_selection_epochs() -> usize {
    10
}

impl Default for SelectionConfig {
    fn default() -> Self {
        Self {
            model: None,
            regularization: None,
            epochs: default_selection_epochs(),
        }
    }
}

/// What coreset selection adds to the common block.
#[derive(Clone, Debug, PartialEq)]
pub struct CoresetConfig {
    /// Fractions of the training set (`fractions = [...]`).
    pub fractions: Option<Vec<f64>>,
    /// Or counts (`counts = [...]`).
    pub counts: Option<Vec<usize>>,
    /// Per-class quotas proportional to the class sizes (DeepCore's default).
    pub balance: bool,
    /// The selection model.
    pub selection: SelectionConfig,
    /// The methods (`[[method]]`).
    pub methods: Vec<MethodSpec>,
}

impl From<CoresetConfig> for KindConfig {
    fn from(config: CoresetConfig) -> Self {
        KindConfig::Coreset(config)
    }
}

fn default_balance() -> bool {
    true
}

kind_file! {
    /// A `coreset` config file.
    CoresetFile => CoresetConfig {
        #[serde(default)]
        fractions: Option<Vec<f64>>,
        #[serde(default)]
        counts: Option<Vec<usize>>,
        #[serde(default = "default_balance")]
        balance: bool,
        #[serde(default)]
        selection: SelectionConfig,
        #[serde(rename = "method")]
        methods: Vec<MethodSpec>,
    }
}
