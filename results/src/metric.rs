//! Metrics are open: each has a name (its records column), a direction, a unit and a
//! valid range, declared once in [`METRICS`]. A run kind that measures something new
//! (forgetting, steps to a target) adds a line here; the statistics, tables, plots and
//! the regression gate read the declaration and need no change.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What sieve knows about one metric.
#[derive(Debug, PartialEq)]
pub struct MetricDef {
    /// The records column and the name in configs and reports.
    pub name: &'static str,
    /// Larger is better (accuracies) or smaller is better (losses).
    pub higher_is_better: bool,
    /// Axis and table label, with its unit.
    pub display_name: &'static str,
    /// Factor from stored values to displayed ones (fractions shown in %).
    pub display_scale: f64,
    /// The values a valid record may hold (inclusive); `None` for any finite value.
    pub range: Option<(f64, f64)>,
}

/// Every metric sieve records, in column order.
pub static METRICS: &[MetricDef] = &[
    MetricDef {
        name: "test_accuracy",
        higher_is_better: true,
        display_name: "test accuracy (%)",
        display_scale: 100.0,
        range: Some((0.0, 1.0)),
    },
    MetricDef {
        name: "test_loss",
        higher_is_better: false,
        display_name: "test loss (nats)",
        display_scale: 1.0,
        range: Some((0.0, f64::INFINITY)),
    },
    MetricDef {
        name: "balanced_accuracy",
        higher_is_better: true,
        display_name: "balanced accuracy (%)",
        display_scale: 100.0,
        range: Some((0.0, 1.0)),
    },
];

/// A metric: a handle on its [`MetricDef`]. Serialised as its name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Metric(usize);

impl Metric {
    /// Test-set accuracy in [0, 1].
    pub const TEST_ACCURACY: Metric = Metric(0);
    /// Mean test-set cross-entropy.
    pub const TEST_LOSS: Metric = Metric(1);
    /// Mean per-class test accuracy in [0, 1].
    pub const BALANCED_ACCURACY: Metric = Metric(2);

    /// Every known metric, in column order.
    pub fn all() -> impl Iterator<Item = Metric> {
        (0..METRICS.len()).map(Metric)
    }

    /// The metric named `name`, if sieve knows it.
    pub fn from_name(name: &str) -> Option<Metric> {
        METRICS.iter().position(|m| m.name == name).map(Metric)
    }

    /// Its declaration.
    pub fn def(self) -> &'static MetricDef {
        &METRICS[self.0]
    }

    /// The records column name.
    pub fn as_str(self) -> &'static str {
        self.def().name
    }

    /// Whether larger values are better.
    pub fn higher_is_better(self) -> bool {
        self.def().higher_is_better
    }

    /// Factor from stored values to displayed ones.
    pub fn display_scale(self) -> f64 {
        self.def().display_scale
    }

    /// Axis and table label, with its unit.
    pub fn display_name(self) -> &'static str {
        self.def().display_name
    }

    /// Whether `value` is one a valid record may hold.
    pub fn accepts(self, value: f64) -> bool {
        match self.def().range {
            Some((lo, hi)) => value.is_finite() && value >= lo && value <= hi,
            None => value.is_finite(),
        }
    }

    /// The known names, for error messages.
    pub fn names() -> Vec<&'static str> {
        METRICS.iter().map(|m| m.name).collect()
    }
}

impl fmt::Debug for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Metric::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown metric `{name}`; expected one of {}",
                Metric::names().join(", ")
            ))
        })
    }
}

/// The metric values of one record, kept in registry order (so two records with the
/// same values are equal whatever their files' column order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricValues(Vec<(Metric, Option<f64>)>);

impl MetricValues {
    /// Values of several metrics (a metric given twice keeps its last value).
    pub fn new(values: impl IntoIterator<Item = (Metric, Option<f64>)>) -> Self {
        let mut out = Self::default();
        for (m, v) in values {
            out.set(m, v);
        }
        out
    }

    /// The value of `metric`, if recorded and measured.
    pub fn get(&self, metric: Metric) -> Option<f64> {
        self.0
            .iter()
            .find(|(m, _)| *m == metric)
            .and_then(|(_, v)| *v)
    }

    /// Sets (or adds) the value of `metric`.
    pub fn set(&mut self, metric: Metric, value: Option<f64>) {
        match self.0.binary_search_by_key(&metric, |(m, _)| *m) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (metric, value)),
        }
    }

    /// The metrics present, in order.
    pub fn metrics(&self) -> impl Iterator<Item = Metric> + '_ {
        self.0.iter().map(|(m, _)| *m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for m in Metric::all() {
            assert_eq!(Metric::from_name(m.as_str()), Some(m));
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Metric>(&json).unwrap(), m);
        }
        let err = serde_json::from_str::<Metric>("\"accuracy\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown metric `accuracy`"),
            "{err}"
        );
        assert_eq!(Metric::TEST_ACCURACY.as_str(), "test_accuracy");
        assert!(!Metric::TEST_LOSS.higher_is_better());
    }

    #[test]
    fn ranges() {
        assert!(Metric::TEST_ACCURACY.accepts(0.5));
        assert!(!Metric::TEST_ACCURACY.accepts(57.3));
        assert!(!Metric::TEST_LOSS.accepts(-0.1));
        assert!(Metric::TEST_LOSS.accepts(12.0));
        assert!(!Metric::TEST_LOSS.accepts(f64::NAN));
    }
}
