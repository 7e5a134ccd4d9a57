//! What a report computes: interval level and method, the test and alpha behind
//! verdicts, the reference budget of label efficiency, the metrics.
//!
//! Deserializable so a `[report]` table in a config, or CLI flags, fill it;
//! every field has a default, documented in docs/statistics.md.

use serde::{Deserialize, Serialize};

use crate::metric::Metric;

/// How the interval of a mean (and of a mean paired difference) is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum IntervalMethod {
    /// mean ± t(1 - α/2, n - 1) · s / √n. (`{}` rather than a unit variant, so extra
    /// keys such as `resamples` are refused instead of dropped.)
    StudentT {},
    /// Seeded percentile bootstrap of the mean.
    Bootstrap {
        /// Number of resamples (e.g. 10 000).
        resamples: usize,
        /// Seed of the resampling; the report is reproducible from it.
        seed: u64,
    },
}

impl IntervalMethod {
    /// Short name written in summary files.
    pub fn as_str(self) -> &'static str {
        match self {
            IntervalMethod::StudentT {} => "student_t",
            IntervalMethod::Bootstrap { .. } => "bootstrap",
        }
    }
}

/// The paired test whose (Holm-adjusted) p-value decides the verdict. Both are
/// always reported; this picks the one the verdict rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairedTest {
    /// Paired t test (the default: with 3-5 repeats the exact Wilcoxon test
    /// cannot reach p < 0.05 at all).
    T,
    /// Wilcoxon signed-rank test.
    Wilcoxon,
}

/// Options of `sieve report`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportOptions {
    /// Two-sided interval level, in (0, 1). Default 0.95.
    pub confidence: f64,
    /// Significance level of verdicts (after Holm). Default 0.05.
    pub alpha: f64,
    /// Interval method. Default Student t.
    pub interval: IntervalMethod,
    /// Test behind verdicts. Default paired t.
    pub test: PairedTest,
    /// The x (labeled count for `active`, fraction for `coreset`) at which the
    /// reference's mean sets the target of label efficiency; default: the largest x
    /// the reference reached in the setting.
    #[serde(alias = "reference_x")]
    pub reference_budget: Option<f64>,
    /// Metrics summarised; the first is the one tables and plots show.
    /// Default: test_accuracy, balanced_accuracy, test_loss.
    pub metrics: Vec<Metric>,
    /// Whether to draw plots (SVG and PNG) and report.html. Default true.
    pub plots: bool,
    /// Fixed values of each higher-is-better metric (e.g. `[0.9, 0.95]` for 10% and 5%
    /// test error, Gal et al. 2017's Table 1) for which the report gives the x (labels,
    /// fraction) each method needs to reach them, with intervals and verdicts against
    /// the reference. Default none.
    pub targets: Vec<f64>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            confidence: 0.95,
            alpha: 0.05,
            interval: IntervalMethod::StudentT {},
            test: PairedTest::T,
            reference_budget: None,
            metrics: vec![
                Metric::TEST_ACCURACY,
                Metric::BALANCED_ACCURACY,
                Metric::TEST_LOSS,
            ],
            plots: true,
            targets: Vec::new(),
        }
    }
}

impl ReportOptions {
    /// Checks the values a config could get wrong, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(format!(
                "confidence must be in (0, 1), got {}",
                self.confidence
            ));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(format!("alpha must be in (0, 1), got {}", self.alpha));
        }
        if let IntervalMethod::Bootstrap { resamples, .. } = self.interval {
            if resamples < 100 {
                return Err(format!(
                    "interval.resamples must be at least 100, got {resamples}"
                ));
            }
        }
        if self.metrics.is_empty() {
            return Err("metrics must name at least one metric".into());
        }
        if let Some(t) = self.targets.iter().find(|t| !t.is_finite()) {
            return Err(format!("targets must be finite numbers, got {t}"));
        }
        for (i, t) in self.targets.iter().enumerate() {
            if self.targets[..i].contains(t) {
                return Err(format!("targets lists {t} twice"));
            }
        }
        Ok(())
    }

    /// The metric tables and plots show.
    pub fn primary_metric(&self) -> Metric {
        self.metrics
            .first()
            .copied()
            .unwrap_or(Metric::TEST_ACCURACY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_json_round_trip() {
        let o: ReportOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, ReportOptions::default());
        let o: ReportOptions = serde_json::from_str(
            r#"{"interval": {"method": "bootstrap", "resamples": 5000, "seed": 7},
                "test": "wilcoxon", "metrics": ["balanced_accuracy"]}"#,
        )
        .unwrap();
        assert_eq!(
            o.interval,
            IntervalMethod::Bootstrap {
                resamples: 5000,
                seed: 7
            }
        );
        assert_eq!(o.primary_metric(), Metric::BALANCED_ACCURACY);
        assert!(o.validate().is_ok());
        assert!(serde_json::from_str::<ReportOptions>(r#"{"alpah": 0.1}"#).is_err());
        let bad = ReportOptions {
            alpha: 1.5,
            ..ReportOptions::default()
        };
        assert!(bad.validate().unwrap_err().contains("alpha"));
    }
}
