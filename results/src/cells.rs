//! Grouping records into settings, arms and cells.
//!
//! A setting is (kind, dataset, scenario, model, regularization, axis value): what a
//! method is compared with the kind's reference in. An arm is a method with its
//! parameters. A cell is setting + arm + round; repeats are its samples.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::kinds::reference_method;
use crate::record::Record;

/// `method_params` of a method without parameters.
pub(crate) const NO_PARAMS: &str = "{}";

/// Everything that defines a comparison against the reference, except round and arm.
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
    /// The kind's setting axis (`budget`, `fractions`, ...).
    pub axis: String,
    /// Its value (the budget schedule's name, ...).
    pub axis_value: String,
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
            axis: r.axis.clone(),
            axis_value: r.axis_value.clone(),
        }
    }

    /// A one-line title: `dataset · model · reg <r> · scenario <s> · <axis> <v> (kind)`.
    pub fn title(&self) -> String {
        format!(
            "{} · {} · reg {} · scenario {} · {} {} ({})",
            self.dataset,
            self.model,
            self.regularization,
            self.scenario,
            self.axis,
            self.axis_value,
            self.kind
        )
    }

    /// The method every other is compared with in this setting.
    pub fn reference(&self) -> &'static str {
        reference_method(&self.kind)
    }

    /// A file-name-safe identifier, unique per setting.
    pub fn slug(&self) -> String {
        let raw = format!(
            "{}-{}-{}-{}-{}-{}",
            self.kind,
            self.dataset,
            self.scenario,
            self.model,
            self.regularization,
            self.axis_value
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

/// A method with its parameters, ordered reference first, then by name, then
/// no parameters (`{}`) first, then parameters as text. The display label is not part of
/// its identity (equality, order and hash ignore it).
#[derive(Clone, Debug)]
pub struct Arm {
    not_reference: bool,
    /// Method name.
    pub method: String,
    has_params: bool,
    /// Compact JSON of the method's parameters.
    pub method_params: String,
    /// Display name (records' `method_label`); empty: the method with its parameters.
    display: String,
}

impl Arm {
    /// What identifies the arm (everything but the display label), in sort order.
    fn key(&self) -> (bool, &str, bool, &str) {
        (
            self.not_reference,
            &self.method,
            self.has_params,
            &self.method_params,
        )
    }
}

impl PartialEq for Arm {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Arm {}

impl PartialOrd for Arm {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Arm {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl std::hash::Hash for Arm {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl Arm {
    /// An arm from its method and parameters, in a sweep of `kind`.
    pub fn new(kind: &str, method: &str, method_params: &str) -> Self {
        Self {
            not_reference: method != reference_method(kind),
            method: method.to_string(),
            has_params: method_params != NO_PARAMS,
            method_params: method_params.to_string(),
            display: String::new(),
        }
    }

    /// The same arm, named `display` in tables and plots.
    pub fn with_display(mut self, display: &str) -> Self {
        display.clone_into(&mut self.display);
        self
    }

    /// The arm of a record.
    pub fn of(r: &Record) -> Self {
        Self::new(&r.kind, &r.method, &r.method_params).with_display(&r.method_label)
    }

    /// Whether this is (a variant of) the kind's reference method.
    pub fn is_reference(&self) -> bool {
        !self.not_reference
    }

    /// Name for tables and legends: the display label, else the method with its
    /// parameters if any.
    pub fn label(&self) -> String {
        if !self.display.is_empty() {
            self.display.clone()
        } else if self.has_params {
            format!("{} {}", self.method, self.method_params)
        } else {
            self.method.clone()
        }
    }
}

/// Records grouped by setting and arm, each record once per (trial_id, round, eval_index).
pub(crate) type Grouped<'a> = BTreeMap<Setting, BTreeMap<Arm, Vec<&'a Record>>>;

/// Groups `records`; a record repeating an earlier (trial_id, round, eval_index) is ignored.
pub(crate) fn group(records: &[Record]) -> Grouped<'_> {
    let mut seen = HashSet::new();
    let mut out: Grouped<'_> = BTreeMap::new();
    for r in records {
        if seen.insert((r.trial_id.as_str(), r.round, r.eval_index)) {
            out.entry(Setting::of(r))
                .or_default()
                .entry(Arm::of(r))
                .or_default()
                .push(r);
        }
    }
    out
}

/// The reference arm of a setting: its first reference arm (params `{}` if present).
pub(crate) fn reference_arm<V>(arms: &BTreeMap<Arm, V>) -> Option<&Arm> {
    arms.keys().next().filter(|a| a.is_reference())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_order_puts_random_first() {
        let mut arms = [
            Arm::new("active", "entropy", "{}"),
            Arm::new("active", "random", r#"{"x":1}"#),
            Arm::new("active", "badge", "{}"),
            Arm::new("active", "random", "{}"),
        ];
        arms.sort();
        let labels: Vec<String> = arms.iter().map(Arm::label).collect();
        assert_eq!(labels, ["random", r#"random {"x":1}"#, "badge", "entropy"]);
        let mut arms = [
            Arm::new("coreset", "herding", "{}"),
            Arm::new("coreset", "uniform", "{}"),
        ];
        arms.sort();
        assert_eq!(arms[0].method, "uniform");
        assert!(arms[0].is_reference());
    }

    #[test]
    fn slug_is_file_safe() {
        let s = Setting {
            kind: "active".into(),
            dataset: "digits".into(),
            scenario: "imbalance 0.1".into(),
            model: "mlp".into(),
            regularization: "none".into(),
            axis: "budget".into(),
            axis_value: "i20/q20".into(),
        };
        assert_eq!(s.slug(), "active-digits-imbalance_0.1-mlp-none-i20_q20");
    }
}
