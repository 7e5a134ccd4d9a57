//! The paired difference between a method and the reference (random), matched by
//! repeat: at repeat r both start from the same seed, so the per-repeat difference
//! removes the variance they share.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::descriptive::estimate;
use super::student_t::student_t_two_sided_p;

/// Relative resolution of a difference: two values closer than this (relative to the
/// larger) are equal, and differences that agree to this are one constant. Sums of the
/// same numbers in another order (whole-curve summaries) differ by ~1e-16, which must
/// count as zero, not as a tiny but significant effect.
pub const RELATIVE_TOLERANCE: f64 = 1e-9;

/// Mean difference (method - reference) over matched repeats, with its interval
/// and a paired t test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedDifference {
    /// Number of repeats present (with finite values) on both sides.
    pub n_pairs: usize,
    /// Mean of the per-repeat differences.
    pub mean: f64,
    /// Sample standard deviation of the differences; `None` when n_pairs < 2.
    pub std: Option<f64>,
    /// Standard error of the mean difference; `None` when n_pairs < 2.
    pub sem: Option<f64>,
    /// Lower bound of the Student t interval; `None` when n_pairs < 2.
    pub ci_low: Option<f64>,
    /// Upper bound of the Student t interval; `None` when n_pairs < 2.
    pub ci_high: Option<f64>,
    /// Paired t statistic mean / sem; `None` when n_pairs < 2, or when every
    /// difference is the same non-zero value (sem 0).
    pub t_statistic: Option<f64>,
    /// Two-sided p-value of the paired t test; `None` when n_pairs < 2. When all
    /// differences are equal it is 1 if they are all 0 and 0 otherwise.
    pub p_value: Option<f64>,
}

/// The per-repeat differences `method - reference`, sorted by repeat id.
///
/// Repeats present on only one side, and pairs where either value is not finite,
/// are dropped; if a repeat id occurs twice on one side its first value is used.
pub fn paired_values(method: &[(u32, f64)], reference: &[(u32, f64)]) -> Vec<f64> {
    let first_by_repeat = |values: &[(u32, f64)]| {
        let mut map = BTreeMap::new();
        for &(repeat, value) in values {
            map.entry(repeat).or_insert(value);
        }
        map
    };
    let reference = first_by_repeat(reference);
    // Sorted by repeat, so the result does not depend on input order.
    first_by_repeat(method)
        .into_iter()
        .filter_map(|(repeat, m)| {
            reference.get(&repeat).map(|&r| {
                let d = m - r;
                if d.abs() <= RELATIVE_TOLERANCE * m.abs().max(r.abs()) {
                    0.0
                } else {
                    d
                }
            })
        })
        .filter(|d| d.is_finite())
        .collect()
}

/// The paired difference `method - reference`, matched by repeat id.
///
/// Repeats present on only one side, and pairs where either value is not finite,
/// are dropped; if a repeat id occurs twice on one side its first value is used.
/// `None` when no pair remains.
pub fn paired_difference(
    method: &[(u32, f64)],
    reference: &[(u32, f64)],
    confidence: f64,
) -> Option<PairedDifference> {
    let diffs = paired_values(method, reference);
    let mut e = estimate(&diffs, confidence)?;
    // Differences that agree to the resolution are one constant: no spread at all.
    if e.std
        .is_some_and(|s| s <= RELATIVE_TOLERANCE * e.mean.abs())
    {
        e.std = Some(0.0);
        e.sem = Some(0.0);
        e.ci_low = Some(e.mean);
        e.ci_high = Some(e.mean);
    }
    let df = (e.n.saturating_sub(1)) as f64;
    let (t_statistic, p_value) = match e.sem {
        None => (None, None),
        Some(sem) if sem > 0.0 => {
            let t = e.mean / sem;
            (Some(t), Some(student_t_two_sided_p(t, df)))
        }
        Some(_) if e.mean == 0.0 => (Some(0.0), Some(1.0)),
        Some(_) => (None, Some(0.0)),
    };
    Some(PairedDifference {
        n_pairs: e.n,
        mean: e.mean,
        std: e.std,
        sem: e.sem,
        ci_low: e.ci_low,
        ci_high: e.ci_high,
        t_statistic,
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn hand_built_example() {
        // Repeats 0..2 on both sides, 3 only in method, 4 only in reference.
        // Differences: 0.02, 0.05, 0.05 -> mean 0.04; deviations -0.02, 0.01, 0.01,
        // sum of squares 0.0006, variance 0.0003, std 0.017320508075688773,
        // sem 0.01, t = 4; t.ppf(0.975, 2) = 4.302652729749464, so the interval is
        // 0.04 ± 0.04302652729749464; two-sided p = 2 t.sf(4, 2) = 0.05719095841793663.
        let method = [(2, 0.90), (0, 0.80), (1, 0.75), (3, 0.70)];
        let reference = [(0, 0.78), (1, 0.70), (2, 0.85), (4, 0.50)];
        let d = paired_difference(&method, &reference, 0.95).unwrap();
        assert_eq!(d.n_pairs, 3);
        close(d.mean, 0.04);
        close(d.std.unwrap(), 0.017_320_508_075_688_773);
        close(d.sem.unwrap(), 0.01);
        close(d.ci_low.unwrap(), 0.04 - 0.043_026_527_297_494_64);
        close(d.ci_high.unwrap(), 0.04 + 0.043_026_527_297_494_64);
        assert!((d.t_statistic.unwrap() - 4.0).abs() < 1e-9);
        assert!((d.p_value.unwrap() - 0.057_190_958_417_936_63).abs() < 1e-9);
    }

    #[test]
    fn no_pairs_is_none() {
        assert!(paired_difference(&[(0, 1.0)], &[(1, 1.0)], 0.95).is_none());
        assert!(paired_difference(&[], &[], 0.95).is_none());
    }

    #[test]
    fn one_pair_has_no_interval() {
        let d = paired_difference(&[(0, 0.9)], &[(0, 0.8)], 0.95).unwrap();
        assert_eq!(d.n_pairs, 1);
        close(d.mean, 0.1);
        assert_eq!((d.ci_low, d.ci_high, d.p_value), (None, None, None));
    }

    #[test]
    fn identical_runs_are_indistinguishable() {
        // Round 0 of an active-learning run: same initial set, same accuracy.
        let same = [(0, 0.5), (1, 0.6), (2, 0.7)];
        let d = paired_difference(&same, &same, 0.95).unwrap();
        assert_eq!(d.mean, 0.0);
        assert_eq!((d.ci_low, d.ci_high), (Some(0.0), Some(0.0)));
        assert_eq!((d.t_statistic, d.p_value), (Some(0.0), Some(1.0)));
    }

    #[test]
    fn duplicate_repeats_and_non_finite_values_are_dropped() {
        let method = [(0, 0.9), (0, 0.1), (1, f64::NAN), (2, 0.6)];
        let reference = [(0, 0.8), (1, 0.5), (2, 0.5)];
        let d = paired_difference(&method, &reference, 0.95).unwrap();
        assert_eq!(d.n_pairs, 2);
        close(d.mean, 0.1);
    }
}
