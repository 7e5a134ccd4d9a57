//! Shared selection helpers: top-k by score with a deterministic tie-break.

/// The `count` indices of `candidates` with the highest `scores` (parallel slices);
/// ties go to the lower pool index, so results never depend on sort stability.
pub fn top_k(candidates: &[usize], scores: &[f64], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        scores[b]
            .partial_cmp(&scores[a])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(candidates[a].cmp(&candidates[b]))
    });
    order
        .into_iter()
        .take(count)
        .map(|i| candidates[i])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_scores_first_ties_to_lower_index() {
        assert_eq!(
            top_k(&[7, 3, 5, 9], &[0.1, 0.5, 0.5, 0.9], 3),
            vec![9, 3, 5]
        );
        assert_eq!(top_k(&[1, 2], &[1.0, 2.0], 5), vec![2, 1]);
    }
}
