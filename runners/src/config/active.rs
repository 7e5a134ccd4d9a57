//! `kind = "active"`: pool-based active learning.

use sieve_bench_core::budget::BudgetSchedule;

use super::{kind_file, KindConfig, MethodSpec};

/// What active learning adds to the common block.
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveConfig {
    /// Retrain from the previous round's weights instead of from scratch.
    pub warm_start: bool,
    /// The selection strategies (`[[strategy]]`; `[[method]]` is accepted too).
    pub strategies: Vec<MethodSpec>,
    /// Budget schedules.
    pub budgets: Vec<BudgetSchedule>,
}

impl From<ActiveConfig> for KindConfig {
    fn from(config: ActiveConfig) -> Self {
        KindConfig::Active(config)
    }
}

kind_file! {
    /// An `active` config file.
    ActiveFile => ActiveConfig {
        /// Retrain from the previous round's weights instead of from scratch.
        #[serde(default)]
        warm_start: bool,
        #[serde(rename = "strategy", alias = "method")]
        strategies: Vec<MethodSpec>,
        #[serde(rename = "budget")]
        budgets: Vec<BudgetSchedule>,
    }
}
