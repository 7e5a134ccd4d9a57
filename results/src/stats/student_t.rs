//! The Student t distribution: tail probabilities and quantiles, for confidence
//! intervals and paired t tests over a handful of repeats.

use super::special::inc_beta;

/// Upper tail P(T > t) for t >= 0 (returns values <= ½).
///
/// Uses P(T > t) = ½ I_x(df/2, ½) with x = df / (df + t²), passing 1 - x exactly so
/// far tails keep their relative precision.
fn upper_tail(t: f64, df: f64) -> f64 {
    if t.is_infinite() {
        return 0.0;
    }
    let t2 = t * t;
    let x = df / (df + t2);
    let y = t2 / (df + t2);
    0.5 * inc_beta(0.5 * df, 0.5, x, y)
}

/// Whether `df` is a usable number of degrees of freedom (finite, > 0).
fn valid_df(df: f64) -> bool {
    df.is_finite() && df > 0.0
}

/// P(T <= t) for a Student t with `df` degrees of freedom; NaN for an invalid `df`
/// (not finite and positive) or a NaN `t`.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    if !valid_df(df) || t.is_nan() {
        return f64::NAN;
    }
    if t >= 0.0 {
        1.0 - upper_tail(t, df)
    } else {
        upper_tail(-t, df)
    }
}

/// Two-sided p-value P(|T| >= |t|): what a paired t test reports.
pub fn student_t_two_sided_p(t: f64, df: f64) -> f64 {
    if !valid_df(df) || t.is_nan() {
        return f64::NAN;
    }
    (2.0 * upper_tail(t.abs(), df)).min(1.0)
}

/// The `p` quantile of a Student t with `df` degrees of freedom (the inverse of
/// [`student_t_cdf`]); e.g. `student_t_quantile(0.975, n - 1)` for a 95% interval.
///
/// NaN when `p` is outside (0, 1) or `df` is not finite and positive; callers turn
/// that into "no interval" rather than a NaN bound.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if !(valid_df(df) && p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    // Solve upper_tail(t) = q for t > 0; `1 - p` is exact for p in [½, 1).
    let q = if p > 0.5 { 1.0 - p } else { p };
    let sign = if p > 0.5 { 1.0 } else { -1.0 };

    // Bracket: upper_tail is decreasing in t, ½ at t = 0.
    let mut lo = 0.0_f64;
    let mut hi = 1.0_f64;
    while upper_tail(hi, df) > q {
        lo = hi;
        hi *= 2.0;
        if hi.is_infinite() {
            return sign * f64::INFINITY;
        }
    }
    // Bisect down to adjacent floating-point numbers: slow-ish but never diverges,
    // and the answer is as exact as the tail probability itself.
    for _ in 0..2_000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if upper_tail(mid, df) > q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    sign * 0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative closeness; the reference values are exact to the digits shown.
    fn close(actual: f64, expected: f64, rel: f64) {
        assert!(
            (actual - expected).abs() <= rel * expected.abs(),
            "{actual} vs {expected} (rel {:e})",
            ((actual - expected) / expected).abs()
        );
    }

    // Reference quantiles: mpmath at 40 digits (root of the regularized incomplete
    // beta), which scipy.stats.t.ppf agrees with to ~1e-15. Note: the value
    // 2.2621571628540993 sometimes quoted for df = 9 is off by 2.5e-11 relative.
    const QUANTILES: &[(f64, f64, f64)] = &[
        // (p, df, t.ppf(p, df))
        (0.975, 1.0, 12.706_204_736_174_705),
        (0.975, 2.0, 4.302_652_729_749_464),
        (0.975, 3.0, 3.182_446_305_283_709_6),
        (0.975, 4.0, 2.776_445_105_197_794_4),
        (0.975, 9.0, 2.262_157_162_798_205_5),
        (0.975, 29.0, 2.045_229_642_132_704_3),
        (0.975, 1000.0, 1.962_339_080_826_408_5),
        (0.975, 2.5, 3.574_654_842_003_683),
        (0.975, 0.5, 164.557_673_480_488_53),
        (0.995, 9.0, 3.249_835_541_592_126_3),
        (0.999, 3.0, 10.214_531_852_407_387),
        (0.6, 7.0, 0.263_166_861_352_022_8),
    ];

    #[test]
    fn quantiles_match_reference() {
        for &(p, df, expected) in QUANTILES {
            close(student_t_quantile(p, df), expected, 1e-12);
            // Symmetry: the lower quantile is the negated upper one.
            close(student_t_quantile(1.0 - p, df), -expected, 1e-12);
        }
    }

    #[test]
    fn quantiles_match_closed_forms() {
        // df = 1 is Cauchy: t = tan(π(p - ½)). df = 2: t = (2p - 1) / sqrt(2p(1 - p)).
        for p in [0.6, 0.9, 0.99, 0.999_9] {
            close(
                student_t_quantile(p, 1.0),
                (std::f64::consts::PI * (p - 0.5)).tan(),
                1e-12,
            );
            close(
                student_t_quantile(p, 2.0),
                (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt(),
                1e-12,
            );
        }
    }

    #[test]
    fn far_tail_and_large_df() {
        // scipy.stats.t.ppf(0.9999999, 1) = 3183098.8635132452
        close(
            student_t_quantile(0.999_999_9, 1.0),
            3_183_098.863_513_245,
            1e-9,
        );
        // mpmath and scipy: t.ppf(0.975, 1e6) = 1.959966356814107 (normal: 1.959963984540054)
        close(student_t_quantile(0.975, 1e6), 1.959_966_356_814_107, 1e-12);
    }

    #[test]
    fn cdf_matches_reference() {
        // mpmath (40 digits): t.cdf(2, 5), 2 * t.sf(4, 2), t.cdf(-1.5, 3.5).
        close(student_t_cdf(2.0, 5.0), 0.949_030_260_585_070_8, 1e-14);
        close(
            student_t_two_sided_p(4.0, 2.0),
            0.057_190_958_417_936_63,
            1e-13,
        );
        close(student_t_cdf(-1.5, 3.5), 0.108_909_093_507_672_62, 1e-13);
        // scipy.stats.t.sf(10, 30) = 2.287625704114809e-11: the far tail keeps
        // its relative precision.
        close(student_t_cdf(-10.0, 30.0), 2.287_625_704_114_809e-11, 1e-11);
        // Many degrees of freedom near the centre (the series path):
        // mpmath t.cdf(-0.5, 1e6) = 0.308537593736185694.
        close(student_t_cdf(-0.5, 1e6), 0.308_537_593_736_185_7, 1e-13);
        assert_eq!(student_t_cdf(0.0, 3.0), 0.5);
    }

    #[test]
    fn invalid_inputs_give_nan() {
        assert!(student_t_quantile(0.0, 3.0).is_nan());
        assert!(student_t_quantile(1.0, 3.0).is_nan());
        assert!(student_t_quantile(f64::NAN, 3.0).is_nan());
        assert!(student_t_quantile(0.975, 0.0).is_nan());
        assert!(student_t_quantile(0.975, f64::INFINITY).is_nan());
        assert!(student_t_cdf(1.0, -1.0).is_nan());
        assert_eq!(student_t_quantile(0.5, 3.0), 0.0);
    }
}
