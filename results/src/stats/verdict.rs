//! The verdict against random and its effect size.
//!
//! Better or worse only when the (Holm-adjusted) p-value of the chosen paired test
//! is below alpha; the sign of the mean difference, read in the metric's good
//! direction, says which. Fewer than two pairs give no verdict, with the reason.

use serde::{Deserialize, Serialize};

/// Outcome of a comparison against random.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Significantly better than random.
    Better,
    /// Significantly worse than random.
    Worse,
    /// No significant difference (which is not evidence of equality).
    Indistinguishable,
    /// No test was possible (fewer than two paired repeats, or no p-value).
    NoVerdict,
}

impl Verdict {
    /// Lower-case name, as written in summary files.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Indistinguishable => "indistinguishable",
            Verdict::NoVerdict => "no verdict",
        }
    }

    /// A short marker for tables: ▲ better, ▼ worse, nothing otherwise.
    pub fn marker(self) -> &'static str {
        match self {
            Verdict::Better => "▲",
            Verdict::Worse => "▼",
            _ => "",
        }
    }
}

/// The verdict for a mean difference (method - random) with adjusted p-value
/// `p_adjusted`, and a reason when there is none.
pub fn verdict(
    n_pairs: usize,
    mean_diff: f64,
    p_adjusted: Option<f64>,
    alpha: f64,
    higher_is_better: bool,
) -> (Verdict, Option<String>) {
    if n_pairs < 2 {
        return (
            Verdict::NoVerdict,
            Some(format!(
                "only {n_pairs} repeat(s) paired with the reference; a test needs at least 2"
            )),
        );
    }
    let Some(p) = p_adjusted else {
        return (Verdict::NoVerdict, Some("no p-value".into()));
    };
    if p >= alpha || mean_diff == 0.0 {
        return (Verdict::Indistinguishable, None);
    }
    let good = (mean_diff > 0.0) == higher_is_better;
    (
        if good {
            Verdict::Better
        } else {
            Verdict::Worse
        },
        None,
    )
}

/// Cohen's d_z for paired data: mean difference / standard deviation of the
/// differences. `None` when the deviation is zero or unknown (d_z is then
/// infinite or undefined, and JSON cannot hold either).
pub fn cohens_dz(mean_diff: f64, std_diff: Option<f64>) -> Option<f64> {
    std_diff
        .filter(|s| *s > 0.0 && s.is_finite())
        .map(|s| mean_diff / s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule() {
        assert_eq!(verdict(5, 0.02, Some(0.01), 0.05, true).0, Verdict::Better);
        assert_eq!(verdict(5, -0.02, Some(0.01), 0.05, true).0, Verdict::Worse);
        // Lower loss is better.
        assert_eq!(
            verdict(5, -0.02, Some(0.01), 0.05, false).0,
            Verdict::Better
        );
        assert_eq!(
            verdict(5, 0.02, Some(0.05), 0.05, true).0,
            Verdict::Indistinguishable
        );
        let (v, why) = verdict(1, 0.02, Some(0.0), 0.05, true);
        assert_eq!(v, Verdict::NoVerdict);
        assert!(why.unwrap().contains("at least 2"));
    }

    #[test]
    fn dz_by_hand() {
        // Differences 0.05, 0.07, 0.03: mean 0.05, std 0.02 -> d_z = 2.5.
        assert!((cohens_dz(0.05, Some(0.02)).unwrap() - 2.5).abs() < 1e-12);
        assert_eq!(cohens_dz(0.05, Some(0.0)), None);
        assert_eq!(cohens_dz(0.05, None), None);
    }
}
