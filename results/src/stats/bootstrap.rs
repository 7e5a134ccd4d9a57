//! The seeded percentile bootstrap interval of a mean.
//!
//! Asked for instead of Student t when a reader does not want the normality
//! assumption. The seed comes from the report options, so a report is
//! reproducible; with few repeats the percentile interval is too narrow (it
//! ignores the n/(n-1) variance factor), which docs/statistics.md spells out.

use super::rng::Rng;

/// The `q` quantile (0 <= q <= 1) of sorted values by linear interpolation
/// between order statistics (numpy's default `method="linear"`).
pub fn percentile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Percentile bootstrap interval of the mean of `values`: `resamples` resamples
/// with replacement drawn from a generator seeded with `seed`, and the
/// (1 - c)/2 and (1 + c)/2 quantiles of their means. `None` below two values,
/// with no resamples, or for a confidence outside (0, 1).
pub fn bootstrap_mean_interval(
    values: &[f64],
    confidence: f64,
    resamples: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    let n = values.len();
    if n < 2 || resamples == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let mut rng = Rng::new(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| values[rng.below(n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    Some((
        percentile_sorted(&means, tail)?,
        percentile_sorted(&means, 1.0 - tail)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_matches_numpy() {
        // numpy.percentile([1, 2, 3, 4, 10], [2.5, 50, 97.5])
        //   -> [1.1, 3.0, 9.4]
        let s = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert!((percentile_sorted(&s, 0.025).unwrap() - 1.1).abs() < 1e-12);
        assert_eq!(percentile_sorted(&s, 0.5), Some(3.0));
        assert!((percentile_sorted(&s, 0.975).unwrap() - 9.4).abs() < 1e-12);
        assert_eq!(percentile_sorted(&[], 0.5), None);
    }

    #[test]
    fn reproducible_from_the_seed() {
        let v = [0.61, 0.64, 0.60, 0.66, 0.63];
        let a = bootstrap_mean_interval(&v, 0.95, 2_000, 42).unwrap();
        let b = bootstrap_mean_interval(&v, 0.95, 2_000, 42).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, bootstrap_mean_interval(&v, 0.95, 2_000, 43).unwrap());
        // Within the range of the data, around the mean 0.628.
        assert!(a.0 >= 0.60 && a.1 <= 0.66 && a.0 < 0.628 && a.1 > 0.628);
    }

    #[test]
    fn two_values_and_constants() {
        // Resampled means of [0, 1] are 0, ½ or 1 with probability ¼, ½, ¼, so a
        // 95% interval with many resamples is exactly [0, 1] (by hand).
        assert_eq!(
            bootstrap_mean_interval(&[0.0, 1.0], 0.95, 10_000, 1),
            Some((0.0, 1.0))
        );
        assert_eq!(
            bootstrap_mean_interval(&[0.5, 0.5, 0.5], 0.95, 100, 1),
            Some((0.5, 0.5))
        );
        assert_eq!(bootstrap_mean_interval(&[0.5], 0.95, 100, 1), None);
    }

    #[test]
    fn large_sample_agrees_with_normal_theory() {
        // For n = 400 draws of N(0, 1) the bootstrap interval of the mean should
        // be close to mean ± 1.96 · s / √n (normal theory).
        let mut rng = Rng::new(5);
        let v: Vec<f64> = (0..400).map(|_| rng.normal()).collect();
        let mean = v.iter().sum::<f64>() / 400.0;
        let s = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 399.0).sqrt();
        let half = 1.959_963_984_540_054 * s / 20.0;
        let (lo, hi) = bootstrap_mean_interval(&v, 0.95, 4_000, 9).unwrap();
        assert!((lo - (mean - half)).abs() < 0.1 * half, "{lo}");
        assert!((hi - (mean + half)).abs() < 0.1 * half, "{hi}");
    }
}
