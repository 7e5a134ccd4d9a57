//! Holm's step-down adjustment of p-values for a family of tests (the methods
//! compared with random in one setting): it controls the family-wise error rate
//! under any dependence between the tests, which is what paired comparisons
//! sharing one random arm have.

/// Holm-adjusted p-values, in input order. `None` entries (no test possible) are
/// not part of the family and stay `None`; m counts only the `Some` entries.
///
/// Sorted ascending, p₍ᵢ₎ becomes max over j <= i of min(1, (m - j + 1) · p₍ⱼ₎).
pub fn holm(p_values: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut present: Vec<(usize, f64)> = p_values
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (i, p)))
        .collect();
    present.sort_by(|a, b| a.1.total_cmp(&b.1));
    let m = present.len();
    let mut out = vec![None; p_values.len()];
    let mut running: f64 = 0.0;
    for (rank, &(i, p)) in present.iter().enumerate() {
        let adjusted = ((m - rank) as f64 * p).min(1.0);
        running = running.max(adjusted);
        out[i] = Some(running);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_statsmodels() {
        // statsmodels.stats.multitest.multipletests([0.01, 0.04, 0.03, 0.005],
        //   method="holm")[1] -> [0.03, 0.06, 0.06, 0.02]
        let adj = holm(&[Some(0.01), Some(0.04), Some(0.03), Some(0.005)]);
        let want = [0.03, 0.06, 0.06, 0.02];
        for (a, w) in adj.iter().zip(want) {
            assert!((a.unwrap() - w).abs() < 1e-15, "{a:?} vs {w}");
        }
    }

    #[test]
    fn none_is_outside_the_family_and_caps_at_one() {
        // By hand: m = 2; sorted 0.2, 0.7 -> 0.4, max(0.4, min(1, 0.7)) = 0.7.
        let adj = holm(&[Some(0.7), None, Some(0.2)]);
        assert_eq!(adj[1], None);
        assert!((adj[0].unwrap() - 0.7).abs() < 1e-15);
        assert!((adj[2].unwrap() - 0.4).abs() < 1e-15);
        assert_eq!(holm(&[Some(0.6), Some(0.9)]), vec![Some(1.0), Some(1.0)]);
        assert!(holm(&[]).is_empty());
    }
}
