//! Special functions behind the Student t distribution: log-gamma, log-beta and the
//! regularized incomplete beta function.
//!
//! Written here rather than pulled from a crate to keep `results` small. Checked
//! against mpmath (40 digits) for the t distribution's arguments: about 1e-13
//! relative for df <= 1e4, about 1e-11 in the far tails at df = 1e6.

use std::f64::consts::PI;

/// Lanczos coefficients (g = 7, n = 9): about 15 significant digits for x >= 0.5.
const LANCZOS_G: f64 = 7.0;
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// ln Γ(x) for x > 0.
pub(crate) fn ln_gamma(x: f64) -> f64 {
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = LANCZOS[0];
    for (i, c) in LANCZOS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + LANCZOS_G + 0.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The Stirling-series remainder ln Γ(x) - [(x - ½) ln x - x + ½ ln 2π], for x >= 10.
fn stirling_remainder(x: f64) -> f64 {
    let x2 = x * x;
    (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - 1.0 / (1680.0 * x2)) / x2) / x2) / x
}

/// ln B(a, b) = ln Γ(a) + ln Γ(b) - ln Γ(a + b), for a, b > 0.
///
/// When one argument is large the three log-gammas are huge and nearly cancel, so
/// their difference is taken analytically (Stirling) instead.
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    let (small, large) = if a < b { (a, b) } else { (b, a) };
    if large < 10.0 {
        return ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    }
    // ln Γ(large + small) - ln Γ(large), without cancellation.
    let sum = large + small;
    let ratio = (large - 0.5) * (small / large).ln_1p() + small * sum.ln() - small
        + stirling_remainder(sum)
        - stirling_remainder(large);
    ln_gamma(small) - ratio
}

/// The regularized incomplete beta function I_x(a, b), for a, b > 0.
///
/// Takes both `x` and `y = 1 - x` so callers that know `1 - x` exactly (the t
/// distribution does) do not lose it to rounding.
pub(crate) fn inc_beta(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    // ln x via ln_1p(-y) when x is near 1 (and vice versa): with a large `a`, the
    // absolute error of a plain x.ln() would be multiplied by `a`.
    let ln_x = if x > 0.5 { (-y).ln_1p() } else { x.ln() };
    let ln_y = if y > 0.5 { (-x).ln_1p() } else { y.ln() };
    let front = (a * ln_x + b * ln_y - ln_beta(a, b)).exp();
    // x near 1 with a large a (the t distribution with many degrees of freedom,
    // near its centre): the continued fraction cancels there, losing about a·ε.
    // The all-positive series for the complement loses ε / result instead, so use
    // it where that is the smaller loss.
    if y < 0.5 && b < a && (a + b) * y <= SERIES_MAX_SCALE {
        let result = 1.0 - front * beta_series(b, a, y) / b;
        if a * result > 10.0 {
            return result;
        }
    }
    // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the
    // symmetry I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, y) / b
    }
}

/// Largest (a + b)·x for which [`beta_series`] is used: its terms peak near that
/// index, so this bounds the work.
const SERIES_MAX_SCALE: f64 = 40.0;

/// Σₙ (a+b)ₙ / (a+1)ₙ · xⁿ, so that I_x(a, b) = xᵃ (1-x)ᵇ / (a B(a, b)) · the sum.
/// Every term is positive, so nothing cancels; for small x it converges fast.
fn beta_series(a: f64, b: f64, x: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..10_000 {
        let n = n as f64;
        term *= (a + b + n) / (a + 1.0 + n) * x;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// The continued fraction of I_x(a, b), by the modified Lentz method (Numerical
/// Recipes' `betacf`).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const MAX_ITER: usize = 100_000;
    const EPS: f64 = 1e-16;
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS * 4.0 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) {
        assert!(
            (a - b).abs() <= rel * b.abs().max(1e-300),
            "{a} vs {b} (rel {})",
            ((a - b) / b).abs()
        );
    }

    #[test]
    fn ln_gamma_known_values() {
        // Γ(1) = Γ(2) = 1, Γ(5) = 24, Γ(½) = √π.
        assert!(ln_gamma(1.0).abs() < 1e-14);
        assert!(ln_gamma(2.0).abs() < 1e-14);
        close(ln_gamma(5.0), 24f64.ln(), 1e-14);
        close(ln_gamma(0.5), PI.sqrt().ln(), 1e-14);
        // scipy.special.gammaln(0.1) = 2.252712651734206
        close(ln_gamma(0.1), 2.252_712_651_734_206, 1e-14);
        // scipy.special.gammaln(100.0) = 359.1342053695754
        close(ln_gamma(100.0), 359.134_205_369_575_4, 1e-14);
    }

    #[test]
    fn ln_beta_large_argument_matches_direct() {
        // B(a, ½) both ways at a moderate a, where the direct form is still exact.
        let direct = ln_gamma(20.0) + ln_gamma(0.5) - ln_gamma(20.5);
        close(ln_beta(20.0, 0.5), direct, 1e-13);
        // mpmath (30 digits): ln B(5e5, ½) = -5.988816495777464 (scipy's betaln
        // gives -5.988816495984793 here, wrong in the 10th digit).
        close(ln_beta(5e5, 0.5), -5.988_816_495_777_464, 1e-14);
    }

    #[test]
    fn inc_beta_known_values() {
        // I_x(1, 1) = x; I_x(2, 1) = x².
        close(inc_beta(1.0, 1.0, 0.3, 0.7), 0.3, 1e-14);
        close(inc_beta(2.0, 1.0, 0.3, 0.7), 0.09, 1e-14);
        // scipy.special.betainc(2.5, 0.5, 0.9) = 0.48958974456442755
        close(
            inc_beta(2.5, 0.5, 0.9, 0.1),
            0.489_589_744_564_427_55,
            1e-13,
        );
    }
}
