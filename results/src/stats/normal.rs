//! The standard normal distribution, for the large-sample Wilcoxon and
//! Mann-Whitney approximations.
//!
//! Φ is computed from the regularized incomplete gamma function,
//! erfc(x) = Q(½, x²), so the far tails keep their relative precision.

use super::special::ln_gamma;

/// Upper tail P(Z > z) of a standard normal.
pub fn normal_sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let x = z / std::f64::consts::SQRT_2;
    if x >= 0.0 {
        0.5 * gamma_q(0.5, x * x)
    } else {
        1.0 - 0.5 * gamma_q(0.5, x * x)
    }
}

/// P(Z <= z) of a standard normal.
pub fn normal_cdf(z: f64) -> f64 {
    normal_sf(-z)
}

/// Two-sided p-value P(|Z| >= |z|).
pub fn normal_two_sided_p(z: f64) -> f64 {
    (2.0 * normal_sf(z.abs())).min(1.0)
}

/// The regularized upper incomplete gamma Q(a, x), for a > 0, x >= 0
/// (Numerical Recipes' series below a + 1, Lentz continued fraction above).
fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let ln_front = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let mut ap = a;
        let mut del = 1.0 / a;
        let mut sum = del;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        1.0 - sum * ln_front.exp()
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        ln_front.exp() * h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) {
        assert!((a - b).abs() <= rel * b.abs(), "{a} vs {b}");
    }

    #[test]
    fn matches_scipy() {
        // scipy.stats.norm.sf(1.959963984540054) = 0.025
        close(normal_sf(1.959_963_984_540_054), 0.025, 1e-13);
        // scipy.stats.norm.cdf(0.5) = 0.6914624612740131
        close(normal_cdf(0.5), 0.691_462_461_274_013_1, 1e-14);
        // scipy.stats.norm.sf(8.0) = 6.22096057427178e-16
        close(normal_sf(8.0), 6.220_960_574_271_74e-16, 1e-12);
        // scipy.stats.norm.cdf(-0.3) = 0.3820885778110474
        close(normal_cdf(-0.3), 0.382_088_577_811_047_4, 1e-14);
        assert_eq!(normal_cdf(0.0), 0.5);
        close(normal_two_sided_p(1.0), 0.317_310_507_862_914_1, 1e-14);
    }
}
