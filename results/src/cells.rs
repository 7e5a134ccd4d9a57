//! Grouping records into settings, arms and cells.
//!
//! A setting is (kind, dataset, scenario, model, regularization, budget): what a
//! method is compared with random in. An arm is a strategy with its parameters. A
//! cell is setting + arm + round; repeats are its samples.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::record::Record;

/// The strategy every other strategy is compared against.
pub const REFERENCE_STRATEGY: &str = "random";

/// `strategy_params` of a strategy without parameters.
pub(crate) const NO_PARAMS: &str = "{}";

/// Everything that defines a comparison against random, except round and arm.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Setting {
    /// Experiment kind.
    pub kind: String,
    /// Dataset name.
    pub dataset: String,
    /// Scenario name.
    pub scenario: String,
    /// Model name.
    pub model: String,
    /// Regularization setting name.
    pub regularization: String,
    /// Budget schedule name.
    pub budget: String,
}

impl Setting {
    /// The setting of a record.
    pub fn of(r: &Record) -> Self {
        Self {
            kind: r.kind.clone(),
            dataset: r.dataset.clone(),
            scenario: r.scenario.clone(),
            model: r.model.clone(),
            regularization: r.regularization.clone(),
            budget: r.budget.clone(),
        }
    }

    /// A one-line title: `dataset · model · reg <r> · scenario <s> · budget <b> (kind)`.
    pub fn title(&self) -> String {
        format!(
            "{} · {} · reg {} · scenario {} · budget {} ({})",
            self.dataset, self.model, self.regularization, self.scenario, self.budget, self.kind
        )
    }

    /// A file-name-safe identifier, unique per setting.
    pub fn slug(&self) -> String {
        let raw = format!(
            "{}-{}-{}-{}-{}-{}",
            self.kind, self.dataset, self.scenario, self.model, self.regularization, self.budget
        );
        raw.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

/// A strategy with its parameters, ordered random first, then by name, then
/// no parameters (`{}`) first, then parameters as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Arm {
    not_reference: bool,
    /// Strategy name.
    pub strategy: String,
    has_params: bool,
    /// Compact JSON of the strategy's parameters.
    pub strategy_params: String,
}

impl Arm {
    /// An arm from its strategy and parameters.
    pub fn new(strategy: &str, strategy_params: &str) -> Self {
        Self {
            not_reference: strategy != REFERENCE_STRATEGY,
            strategy: strategy.to_string(),
            has_params: strategy_params != NO_PARAMS,
            strategy_params: strategy_params.to_string(),
        }
    }

    /// The arm of a record.
    pub fn of(r: &Record) -> Self {
        Self::new(&r.strategy, &r.strategy_params)
    }

    /// Whether this is a random arm.
    pub fn is_random(&self) -> bool {
        !self.not_reference
    }

    /// Name for tables and legends: the strategy, with its parameters if any.
    pub fn label(&self) -> String {
        if self.has_params {
            format!("{} {}", self.strategy, self.strategy_params)
        } else {
            self.strategy.clone()
        }
    }
}

/// Records grouped by setting and arm, each record once per (trial_id, round).
pub(crate) type Grouped<'a> = BTreeMap<Setting, BTreeMap<Arm, Vec<&'a Record>>>;

/// Groups `records`; a record repeating an earlier (trial_id, round) is ignored.
pub(crate) fn group(records: &[Record]) -> Grouped<'_> {
    let mut seen = HashSet::new();
    let mut out: Grouped<'_> = BTreeMap::new();
    for r in records {
        if seen.insert((r.trial_id.as_str(), r.round)) {
            out.entry(Setting::of(r))
                .or_default()
                .entry(Arm::of(r))
                .or_default()
                .push(r);
        }
    }
    out
}

/// The reference arm of a setting: its first random arm (params `{}` if present).
pub(crate) fn reference_arm<V>(arms: &BTreeMap<Arm, V>) -> Option<&Arm> {
    arms.keys().next().filter(|a| a.is_random())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_order_puts_random_first() {
        let mut arms = [
            Arm::new("entropy", "{}"),
            Arm::new("random", r#"{"x":1}"#),
            Arm::new("badge", "{}"),
            Arm::new("random", "{}"),
        ];
        arms.sort();
        let labels: Vec<String> = arms.iter().map(Arm::label).collect();
        assert_eq!(labels, ["random", r#"random {"x":1}"#, "badge", "entropy"]);
    }

    #[test]
    fn slug_is_file_safe() {
        let s = Setting {
            kind: "active".into(),
            dataset: "digits".into(),
            scenario: "imbalance 0.1".into(),
            model: "mlp".into(),
            regularization: "none".into(),
            budget: "i20/q20".into(),
        };
        assert_eq!(s.slug(), "active-digits-imbalance_0.1-mlp-none-i20_q20");
    }
}
