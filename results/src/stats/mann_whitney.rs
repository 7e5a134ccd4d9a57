//! The Mann-Whitney U (Wilcoxon rank-sum) test for two independent samples: the
//! distribution-free choice for `sieve compare` when a few runs are outliers.
//!
//! Exact (the permutation distribution of U, by dynamic programming) when there are
//! no ties and both samples have at most [`EXACT_MAX_N`] values; otherwise the
//! normal approximation with tie correction and continuity correction (scipy's
//! defaults for `method="asymptotic"`).

use serde::{Deserialize, Serialize};

use super::normal::normal_two_sided_p;
use super::ranks::{mid_ranks, tie_term};

/// Largest sample size tested exactly.
pub const EXACT_MAX_N: usize = 20;

/// Result of a two-sided Mann-Whitney U test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// U of the second sample: pairs (a, b) with b > a, ties counting ½.
    pub u: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Whether the p-value is exact.
    pub exact: bool,
}

/// Two-sided test of b against a; `None` when either sample is empty.
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let all: Vec<f64> = a.iter().chain(b).copied().collect();
    let (ranks, ties) = mid_ranks(&all);
    let rank_sum_b: f64 = ranks[n1..].iter().sum();
    let u = rank_sum_b - (n2 * (n2 + 1)) as f64 / 2.0;
    let (f1, f2) = (n1 as f64, n2 as f64);
    if ties.is_empty() && n1 <= EXACT_MAX_N && n2 <= EXACT_MAX_N {
        return Some(MannWhitney {
            u,
            p_value: exact_p(n1, n2, u.round() as usize),
            exact: true,
        });
    }
    let n = f1 + f2;
    let mean = f1 * f2 / 2.0;
    let var = f1 * f2 / 12.0 * ((n + 1.0) - tie_term(&ties) / (n * (n - 1.0)));
    let p_value = if var > 0.0 {
        let dev = ((u - mean).abs() - 0.5).max(0.0);
        normal_two_sided_p(dev / var.sqrt())
    } else {
        1.0
    };
    Some(MannWhitney {
        u,
        p_value,
        exact: false,
    })
}

/// Exact two-sided p = 2 · min(P(U <= u), P(U >= u)), capped at 1.
fn exact_p(n1: usize, n2: usize, u: usize) -> f64 {
    // f[i][j][k]: arrangements of i a's and j b's with U = k, by the recurrence on
    // whether the largest value is a b (adds i to U) or an a.
    let max_u = n1 * n2;
    let mut prev: Vec<Vec<f64>> = vec![vec![0.0; max_u + 1]; n2 + 1];
    // i = 0: only b's, U = 0.
    for row in prev.iter_mut() {
        row[0] = 1.0;
    }
    for i in 1..=n1 {
        let mut cur: Vec<Vec<f64>> = vec![vec![0.0; max_u + 1]; n2 + 1];
        cur[0][0] = 1.0;
        for j in 1..=n2 {
            for k in 0..=max_u {
                let mut c = prev[j][k];
                if k >= i {
                    c += cur[j - 1][k - i];
                }
                cur[j][k] = c;
            }
        }
        prev = cur;
    }
    let counts = &prev[n2];
    let total: f64 = counts.iter().sum();
    let u = u.min(max_u);
    let lower = counts[..=u].iter().sum::<f64>() / total;
    let upper = counts[u..].iter().sum::<f64>() / total;
    (2.0 * lower.min(upper)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_matches_scipy() {
        // scipy.stats.mannwhitneyu([0.61, 0.63, 0.60, 0.64], [0.66, 0.70, 0.65],
        //   method="exact") -> statistic 0.0 (U of the first), pvalue 0.05714285714285714
        let m = mann_whitney_u(&[0.61, 0.63, 0.60, 0.64], &[0.66, 0.70, 0.65]).unwrap();
        assert!(m.exact);
        assert_eq!(m.u, 12.0);
        assert!((m.p_value - 0.057_142_857_142_857_14).abs() < 1e-14);
        // Interleaved: scipy.stats.mannwhitneyu([1, 3, 5, 7], [2, 4, 6],
        //   method="exact") -> statistic 6.0, pvalue 1.0
        let m = mann_whitney_u(&[1.0, 3.0, 5.0, 7.0], &[2.0, 4.0, 6.0]).unwrap();
        assert_eq!(m.u, 6.0);
        assert!((m.p_value - 1.0).abs() < 1e-14);
    }

    #[test]
    fn asymptotic_with_ties_matches_scipy() {
        // scipy.stats.mannwhitneyu([2, 3, 3, 5, 6, 6], [1, 2, 2, 3, 4],
        //   method="asymptotic") -> statistic 24.0 (U of the first), pvalue 0.1130499788563229
        let m = mann_whitney_u(&[1., 2., 2., 3., 4.], &[2., 3., 3., 5., 6., 6.]).unwrap();
        assert!(!m.exact);
        assert!((m.u - 24.0).abs() < 1e-12);
        assert!((m.p_value - 0.113_049_978_856_322_9).abs() < 1e-13);
    }
}
