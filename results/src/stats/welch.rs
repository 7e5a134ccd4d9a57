//! Welch's t test for two independent samples (unequal variances): what
//! `sieve compare` uses when BASE and NEW were not run with the same seeds, so
//! their repeats cannot be paired.

use serde::{Deserialize, Serialize};

use super::student_t::student_t_two_sided_p;

/// Result of Welch's two-sample t test of mean(b) - mean(a).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Welch {
    /// mean(b) - mean(a).
    pub diff: f64,
    /// t statistic; `None` when both samples have zero variance.
    pub t_statistic: Option<f64>,
    /// Welch-Satterthwaite degrees of freedom.
    pub df: Option<f64>,
    /// Two-sided p-value. With zero variance on both sides: 1 if the means are
    /// equal, 0 otherwise.
    pub p_value: f64,
}

/// Mean and sample variance.
fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v)
}

/// Welch's test of b against a; `None` unless both have at least two values.
pub fn welch_t(a: &[f64], b: &[f64]) -> Option<Welch> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let (qa, qb) = (va / a.len() as f64, vb / b.len() as f64);
    let diff = mb - ma;
    let se2 = qa + qb;
    if se2 <= 0.0 {
        let p_value = if diff == 0.0 { 1.0 } else { 0.0 };
        return Some(Welch {
            diff,
            t_statistic: None,
            df: None,
            p_value,
        });
    }
    let t = diff / se2.sqrt();
    let df = se2 * se2 / (qa * qa / (a.len() as f64 - 1.0) + qb * qb / (b.len() as f64 - 1.0));
    Some(Welch {
        diff,
        t_statistic: Some(t),
        df: Some(df),
        p_value: student_t_two_sided_p(t, df),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy() {
        // scipy.stats.ttest_ind([0.61, 0.63, 0.60, 0.64], [0.66, 0.70, 0.65],
        //   equal_var=False) -> statistic -2.8097574347450807 (a - b),
        //   pvalue 0.05835382245439974, df 3.3949843260188155
        let w = welch_t(&[0.61, 0.63, 0.60, 0.64], &[0.66, 0.70, 0.65]).unwrap();
        assert!((w.t_statistic.unwrap() - 2.809_757_434_745_080_7).abs() < 1e-10);
        assert!((w.df.unwrap() - 3.394_984_326_018_815_5).abs() < 1e-9);
        assert!((w.p_value - 0.058_353_822_454_399_74).abs() < 1e-12);
        assert!(welch_t(&[1.0], &[1.0, 2.0]).is_none());
        assert_eq!(welch_t(&[1.0, 1.0], &[1.0, 1.0]).unwrap().p_value, 1.0);
    }
}
