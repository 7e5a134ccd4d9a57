//! `kind = "online"`: online batch selection while training (RHO-LOSS and its
//! baselines). Each step draws a big batch of `batch_size / keep` examples and a method
//! keeps `batch_size` of them for the gradient step; test accuracy is recorded over
//! optimizer steps.

use super::{kind_file, KindConfig, MethodSpec, SelectionConfig};

/// What online selection adds to the common block.
#[derive(Clone, Debug, PartialEq)]
pub struct OnlineConfig {
    /// Fractions of each big batch kept for the gradient step, one setting each
    /// (RHO-LOSS: `keep = [0.1]`, 32 of 320).
    pub keep: Vec<f64>,
    /// Share of the training pool held out for the irreducible-loss model (the paper:
    /// half); the target model never trains on it, whatever the method.
    pub holdout: f64,
    /// Test evaluations per epoch (evenly spaced in optimizer steps; the last at the
    /// epoch's end).
    pub evals_per_epoch: usize,
    /// The irreducible-loss model: trained on the holdout split, once per setting and
    /// repeat (default: the trial's model and regularization, 10 epochs).
    pub irreducible: SelectionConfig,
    /// The methods (`[[method]]`).
    pub methods: Vec<MethodSpec>,
}

impl From<OnlineConfig> for KindConfig {
    fn from(config: OnlineConfig) -> Self {
        KindConfig::Online(config)
    }
}

fn default_holdout() -> f64 {
    0.5
}

fn default_evals_per_epoch() -> usize {
    1
}

kind_file! {
    /// An `online` config file.
    OnlineFile => OnlineConfig {
        keep: Vec<f64>,
        #[serde(default = "default_holdout")]
        holdout: f64,
        #[serde(default = "default_evals_per_epoch")]
        evals_per_epoch: usize,
        #[serde(default)]
        irreducible: SelectionConfig,
        #[serde(rename = "method")]
        methods: Vec<MethodSpec>,
    }
}
