//! Mid-ranks with ties, shared by the signed-rank and rank-sum tests.

/// Values whose difference is below this share of their magnitude count as tied:
/// accuracies are k / N, and two differences of the same k / N can differ in the
/// last bit after subtraction.
const TIE_RELATIVE: f64 = 1e-9;

/// Mid-ranks (1-based, ties get the mean of their positions) of `values`, and the
/// sizes of the tie groups (only groups of 2 or more).
pub(crate) fn mid_ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && tied(values[order[start]], values[order[end]]) {
            end += 1;
        }
        // Positions start..end (0-based) share rank mean(start+1 ..= end).
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        if end - start > 1 {
            ties.push(end - start);
        }
        start = end;
    }
    (ranks, ties)
}

/// Whether two values are equal up to rounding.
fn tied(a: f64, b: f64) -> bool {
    (a - b).abs() <= TIE_RELATIVE * a.abs().max(b.abs())
}

/// Σ (t³ - t) over tie groups: the variance correction of rank tests.
pub(crate) fn tie_term(ties: &[usize]) -> f64 {
    ties.iter()
        .map(|&t| {
            let t = t as f64;
            t * t * t - t
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_with_ties() {
        // scipy.stats.rankdata([3, 1, 4, 1, 5]) = [3, 1.5, 4, 1.5, 5]
        let (r, t) = mid_ranks(&[3.0, 1.0, 4.0, 1.0, 5.0]);
        assert_eq!(r, vec![3.0, 1.5, 4.0, 1.5, 5.0]);
        assert_eq!(t, vec![2]);
        // Equal up to the last bit counts as a tie.
        let (r, _) = mid_ranks(&[0.3 - 0.1, 0.2]);
        assert_eq!(r, vec![1.5, 1.5]);
    }
}
