//! Shared selection helpers: rankings by score with a total order (NaN always last) and
//! a deterministic tie-break.

use std::cmp::Ordering;

use sieve_bench_core::StrategyError;

/// A total order for ascending sorts: smaller first, NaN after every number (so a NaN
/// score never wins and never panics a sort).
pub fn ascending_nan_last(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.total_cmp(&b),
    }
}

/// A total order for descending sorts: larger first, NaN after every number.
pub fn descending_nan_last(a: f64, b: f64) -> Ordering {
    descending(a, b)
}

/// Compares two scores for a descending ranking: larger first, NaN after every number.
fn descending(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => b.total_cmp(&a),
    }
}

/// Every index of `candidates` ranked by `scores` (parallel slices): highest first when
/// `highest_first`, lowest first otherwise; NaN scores always last; ties go to the lower
/// pool index, so results never depend on sort stability.
pub fn rank(candidates: &[usize], scores: &[f64], highest_first: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        let by_score = if highest_first {
            descending(scores[a], scores[b])
        } else {
            descending(-scores[a], -scores[b])
        };
        by_score.then(candidates[a].cmp(&candidates[b]))
    });
    order.into_iter().map(|i| candidates[i]).collect()
}

/// The `count` indices of `candidates` with the highest `scores` (parallel slices);
/// ties go to the lower pool index, NaN scores come last.
pub fn top_k(candidates: &[usize], scores: &[f64], count: usize) -> Vec<usize> {
    let mut ranked = rank(candidates, scores, true);
    ranked.truncate(count);
    ranked
}

/// The `count` best of `candidates` by the scores a model view gave them, one per
/// candidate in order (`what` names the scores in the error when the count is off);
/// ranked as [`rank`].
pub fn top_scored(
    strategy: &str,
    what: &str,
    candidates: &[usize],
    scores: Vec<f32>,
    count: usize,
    highest_first: bool,
) -> Result<Vec<usize>, StrategyError> {
    if scores.len() != candidates.len() {
        return Err(StrategyError::Request {
            strategy: strategy.to_string(),
            message: format!(
                "the model gave {} {what} for {} examples",
                scores.len(),
                candidates.len()
            ),
        });
    }
    let scores: Vec<f64> = scores.into_iter().map(f64::from).collect();
    let mut picked = rank(candidates, &scores, highest_first);
    picked.truncate(count);
    Ok(picked)
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

    #[test]
    fn nan_scores_rank_last_in_both_directions_without_panicking() {
        let scores = [f64::NAN, 0.2, f64::NAN, 0.9, 0.2];
        let rows = [10, 11, 12, 13, 14];
        assert_eq!(rank(&rows, &scores, true), vec![13, 11, 14, 10, 12]);
        assert_eq!(rank(&rows, &scores, false), vec![11, 14, 13, 10, 12]);
        // A large pool full of NaN and ties sorts without a total-order panic.
        let many: Vec<f64> = (0..5000)
            .map(|i| if i % 3 == 0 { f64::NAN } else { (i % 7) as f64 })
            .collect();
        let ids: Vec<usize> = (0..5000).collect();
        let ranked = rank(&ids, &many, true);
        assert_eq!(ranked.len(), 5000);
        assert!(ranked[..3000].iter().all(|&i| i % 3 != 0) || ranked.len() < 3000);
    }
}
