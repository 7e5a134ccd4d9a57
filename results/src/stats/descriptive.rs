//! Descriptive statistics of one cell over its repeats.

use serde::{Deserialize, Serialize};

use super::student_t::student_t_quantile;

/// Mean, spread and a Student t interval over repeats.
///
/// The spread and the interval are `None` below two values (one repeat has no
/// variance), so nothing downstream ever sees a NaN standing in for "unknown".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator); `None` when n < 2.
    pub std: Option<f64>,
    /// Standard error of the mean, std / √n; `None` when n < 2.
    pub sem: Option<f64>,
    /// Lower bound of the Student t interval; `None` when n < 2.
    pub ci_low: Option<f64>,
    /// Upper bound of the Student t interval; `None` when n < 2.
    pub ci_high: Option<f64>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Descriptive statistics of `values` with a two-sided `confidence` interval
/// (e.g. 0.95) from the Student t with n - 1 degrees of freedom.
///
/// `None` for no values. Values are expected to be finite (the summary drops
/// non-finite metrics first); an invalid `confidence` (outside (0, 1)) leaves the
/// interval `None`.
pub fn estimate(values: &[f64], confidence: f64) -> Option<Estimate> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    // Two-pass mean with a correction term: exact enough for any repeat count.
    let rough = values.iter().sum::<f64>() / nf;
    let mean = rough + values.iter().map(|v| v - rough).sum::<f64>() / nf;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);

    let (mut std, mut sem, mut ci_low, mut ci_high) = (None, None, None, None);
    if n >= 2 {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0);
        let s = var.sqrt();
        let se = s / nf.sqrt();
        std = Some(s);
        sem = Some(se);
        if let Some(half) = half_width(se, n - 1, confidence) {
            ci_low = Some(mean - half);
            ci_high = Some(mean + half);
        }
    }
    Some(Estimate {
        n,
        mean,
        std,
        sem,
        ci_low,
        ci_high,
        min,
        max,
    })
}

/// Half-width t(1 - α/2, df) · sem of a two-sided interval, or `None` when the
/// confidence level is not in (0, 1).
pub(crate) fn half_width(sem: f64, df: usize, confidence: f64) -> Option<f64> {
    let t = student_t_quantile(1.0 - (1.0 - confidence) / 2.0, df as f64);
    t.is_finite().then_some(t * sem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn one_to_four() {
        // By hand: mean 2.5; std = sqrt(5/3) = 1.2909944487358056;
        // sem = std / 2 = 0.6454972243679028; t.ppf(0.975, 3) = 3.1824463052837096.
        let e = estimate(&[1.0, 2.0, 3.0, 4.0], 0.95).unwrap();
        assert_eq!(e.n, 4);
        close(e.mean, 2.5);
        close(e.std.unwrap(), 1.290_994_448_735_805_6);
        close(e.sem.unwrap(), 0.645_497_224_367_902_8);
        let half = 3.182_446_305_283_709_6 * 0.645_497_224_367_902_8;
        close(e.ci_low.unwrap(), 2.5 - half);
        close(e.ci_high.unwrap(), 2.5 + half);
        assert_eq!((e.min, e.max), (1.0, 4.0));
    }

    #[test]
    fn ninety_percent_interval() {
        // t.ppf(0.95, 3) = 2.353363434801823 (scipy); same data as above.
        let e = estimate(&[1.0, 2.0, 3.0, 4.0], 0.90).unwrap();
        close(
            e.ci_high.unwrap(),
            2.5 + 2.353_363_434_801_823 * 0.645_497_224_367_902_8,
        );
    }

    #[test]
    fn single_value_has_no_spread() {
        let e = estimate(&[0.7], 0.95).unwrap();
        assert_eq!(e.n, 1);
        assert_eq!(e.mean, 0.7);
        assert_eq!(
            (e.std, e.sem, e.ci_low, e.ci_high),
            (None, None, None, None)
        );
        assert_eq!((e.min, e.max), (0.7, 0.7));
    }

    #[test]
    fn constant_values_have_zero_width() {
        let e = estimate(&[0.5, 0.5, 0.5], 0.95).unwrap();
        assert_eq!(e.std, Some(0.0));
        assert_eq!(e.ci_low, Some(0.5));
        assert_eq!(e.ci_high, Some(0.5));
    }

    #[test]
    fn empty_and_bad_confidence() {
        assert!(estimate(&[], 0.95).is_none());
        let e = estimate(&[1.0, 2.0], 1.5).unwrap();
        assert!(e.std.is_some());
        assert!(e.ci_low.is_none());
    }
}
