//! The Wilcoxon signed-rank test on paired differences.
//!
//! Zero differences are dropped before ranking (Wilcoxon's original rule, scipy's
//! default `zero_method="wilcox"`): a repeat where the method and random agree
//! says nothing about the direction. Ties among the remaining |d| get mid-ranks.
//!
//! Up to [`EXACT_MAX_N`] non-zero differences the p-value is exact: the full
//! permutation distribution of W+ over the 2ⁿ sign assignments, counted by
//! dynamic programming over doubled mid-ranks, so it stays exact with ties (scipy's
//! exact method refuses ties). Beyond that, the normal approximation with the tie
//! correction of the variance and no continuity correction (scipy's default).

use serde::{Deserialize, Serialize};

use super::normal::normal_two_sided_p;
use super::ranks::{mid_ranks, tie_term};

/// Largest number of non-zero differences tested exactly.
pub const EXACT_MAX_N: usize = 25;

/// How the p-value was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WilcoxonMethod {
    /// The exact permutation distribution.
    Exact,
    /// The normal approximation with tie correction.
    Normal,
}

/// Result of a two-sided Wilcoxon signed-rank test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wilcoxon {
    /// Non-zero differences ranked.
    pub n: usize,
    /// Zero differences dropped.
    pub zeros: usize,
    /// Sum of the ranks of the positive differences.
    pub w_plus: f64,
    /// Two-sided p-value; 1 when every difference is zero.
    pub p_value: f64,
    /// Exact or normal approximation.
    pub method: WilcoxonMethod,
}

/// Two-sided signed-rank test of `diffs` (non-finite values are ignored).
/// `None` when no finite difference is given.
pub fn wilcoxon_signed_rank(diffs: &[f64]) -> Option<Wilcoxon> {
    let finite: Vec<f64> = diffs.iter().copied().filter(|d| d.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    let nonzero: Vec<f64> = finite.iter().copied().filter(|&d| d != 0.0).collect();
    let zeros = finite.len() - nonzero.len();
    let n = nonzero.len();
    if n == 0 {
        return Some(Wilcoxon {
            n,
            zeros,
            w_plus: 0.0,
            p_value: 1.0,
            method: WilcoxonMethod::Exact,
        });
    }
    let abs: Vec<f64> = nonzero.iter().map(|d| d.abs()).collect();
    let (ranks, ties) = mid_ranks(&abs);
    let w_plus: f64 = ranks
        .iter()
        .zip(&nonzero)
        .filter(|(_, &d)| d > 0.0)
        .map(|(r, _)| r)
        .sum();
    let (p_value, method) = if n <= EXACT_MAX_N {
        (exact_p(&ranks, w_plus), WilcoxonMethod::Exact)
    } else {
        let nf = n as f64;
        let mean = nf * (nf + 1.0) / 4.0;
        let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term(&ties) / 48.0;
        let p = if var > 0.0 {
            normal_two_sided_p((w_plus - mean) / var.sqrt())
        } else {
            1.0
        };
        (p, WilcoxonMethod::Normal)
    };
    Some(Wilcoxon {
        n,
        zeros,
        w_plus,
        p_value,
        method,
    })
}

/// Exact two-sided p = 2 · min(P(W+ <= w), P(W+ >= w)), capped at 1, under the
/// null where each sign is + or - with probability ½ independently.
fn exact_p(ranks: &[f64], w_plus: f64) -> f64 {
    // Mid-ranks are multiples of ½, so doubled ranks are integers.
    let doubled: Vec<usize> = ranks.iter().map(|r| (2.0 * r).round() as usize).collect();
    let total: usize = doubled.iter().sum();
    // counts[s]: sign assignments whose doubled positive-rank sum is s.
    let mut counts = vec![0.0_f64; total + 1];
    counts[0] = 1.0;
    let mut reach = 0;
    for &r in &doubled {
        for s in (0..=reach).rev() {
            if counts[s] > 0.0 {
                counts[s + r] += counts[s];
            }
        }
        reach += r;
    }
    let all: f64 = counts.iter().sum();
    let w = (2.0 * w_plus).round() as usize;
    let lower: f64 = counts[..=w.min(total)].iter().sum::<f64>() / all;
    let upper: f64 = counts[w.min(total)..].iter().sum::<f64>() / all;
    (2.0 * lower.min(upper)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn exact_without_ties_matches_scipy() {
        // scipy.stats.wilcoxon([1.1, -2.2, 3.3, 4.4, 5.5, 6.6], method="exact")
        //   -> statistic 2.0 (= W-), pvalue 0.09375
        let w = wilcoxon_signed_rank(&[1.1, -2.2, 3.3, 4.4, 5.5, 6.6]).unwrap();
        assert_eq!((w.n, w.zeros, w.method), (6, 0, WilcoxonMethod::Exact));
        close(w.w_plus, 19.0);
        close(w.p_value, 0.093_75);
        // All positive, n = 5: p = 2 / 2^5 = 0.0625 (by hand; scipy agrees).
        close(
            wilcoxon_signed_rank(&[0.1, 0.2, 0.3, 0.4, 0.5])
                .unwrap()
                .p_value,
            0.0625,
        );
        // n = 3, all positive: 2 / 8 = 0.25 — three repeats can never reach 0.05.
        close(
            wilcoxon_signed_rank(&[0.1, 0.2, 0.3]).unwrap().p_value,
            0.25,
        );
        // scipy.stats.wilcoxon([-0.5, 0.3, 1.2, 2.0, -0.1, 0.9, 1.7, 0.4, 2.5, 1.1],
        //   method="exact") -> statistic 5.0 (= W-), pvalue 0.01953125
        let w =
            wilcoxon_signed_rank(&[-0.5, 0.3, 1.2, 2.0, -0.1, 0.9, 1.7, 0.4, 2.5, 1.1]).unwrap();
        close(w.w_plus, 50.0);
        close(w.p_value, 0.019_531_25);
    }

    #[test]
    fn zeros_are_dropped() {
        // Wilcoxon's rule: [0, 0, 1, 2, 3] tests as [1, 2, 3]: p = 0.25.
        let w = wilcoxon_signed_rank(&[0.0, 0.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!((w.n, w.zeros), (3, 2));
        close(w.p_value, 0.25);
        let w = wilcoxon_signed_rank(&[0.0, 0.0]).unwrap();
        assert_eq!(w.p_value, 1.0);
        assert!(wilcoxon_signed_rank(&[]).is_none());
    }

    #[test]
    fn exact_with_ties_matches_enumeration() {
        // d = [1, -1, 2, 2, 3]: |d| mid-ranks 1.5, 1.5, 3.5, 3.5, 5; W+ = 13.5.
        // Enumerating all 32 sign patterns by hand (itertools.product in Python):
        // P(W+ >= 13.5) = 3/32, P(W+ <= 13.5) = 31/32, so p = 6/32 = 0.1875.
        let w = wilcoxon_signed_rank(&[1.0, -1.0, 2.0, 2.0, 3.0]).unwrap();
        close(w.w_plus, 13.5);
        close(w.p_value, 0.1875);
    }

    #[test]
    fn normal_approximation_matches_scipy() {
        // d = np.arange(1, 31) - 8.5;
        // scipy.stats.wilcoxon(d, method="approx", correction=False)
        //   -> statistic 68.0 (= W-), pvalue 0.0007138396663906954
        let d: Vec<f64> = (1..=30).map(|i| f64::from(i) - 8.5).collect();
        let w = wilcoxon_signed_rank(&d).unwrap();
        assert_eq!(w.method, WilcoxonMethod::Normal);
        close(w.w_plus, 465.0 - 68.0);
        assert!((w.p_value - 0.000_713_839_666_390_695_4).abs() < 1e-13);
        // With ties (tie-corrected variance), same scipy call:
        //   -> statistic 54.0, pvalue 0.0002383514264105106; W+ = 411.
        let d = [
            1., 1., 2., 2., 2., 3., 3., 4., 5., 5., 6., 7., 7., 8., -1., -2., -3., -3., 9., 10.,
            11., 12., -4., 13., 14., 14., 15., -5., 16., 17.,
        ];
        let w = wilcoxon_signed_rank(&d).unwrap();
        close(w.w_plus, 411.0);
        assert!((w.p_value - 0.000_238_351_426_410_510_6).abs() < 1e-13);
    }
}
