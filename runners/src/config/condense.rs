//! `kind = "condense"`: learn a synthetic training set of `ipc` images per class (or
//! pick `ipc` real images per class, the baselines), then train `n_eval` fresh models on
//! it and evaluate each on the real test set (the DC / DSA / DM protocol).

use super::{kind_file, KindConfig, MethodSpec, SelectionConfig};

/// What condensation adds to the common block.
#[derive(Clone, Debug, PartialEq)]
pub struct CondenseConfig {
    /// Images per class, one setting each (`ipc = [1, 10, 50]`).
    pub ipc: Vec<usize>,
    /// Evaluation models trained from scratch on each synthetic set (the reference: 20).
    pub n_eval: usize,
    /// The model that scores the training set for the model-based real-image baselines
    /// (herding, k-center, forgetting): trained once per repeat.
    pub selection: SelectionConfig,
    /// The methods (`[[method]]`): condensation methods and real-image baselines.
    pub methods: Vec<MethodSpec>,
}

impl From<CondenseConfig> for KindConfig {
    fn from(config: CondenseConfig) -> Self {
        KindConfig::Condense(config)
    }
}

fn default_n_eval() -> usize {
    20
}

kind_file! {
    /// A `condense` config file.
    CondenseFile => CondenseConfig {
        ipc: Vec<usize>,
        #[serde(default = "default_n_eval")]
        n_eval: usize,
        #[serde(default)]
        selection: SelectionConfig,
        #[serde(rename = "method")]
        methods: Vec<MethodSpec>,
    }
}
