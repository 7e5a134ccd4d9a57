//! Score-ranking methods share one shape: score every candidate, rank, answer each size
//! with a prefix of the ranking.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{CoresetRequest, CoresetSelection};

use crate::ranking::rank;

/// Prefixes of the candidates ranked by `scores` (parallel to `request.candidates`):
/// highest first when `highest_first`; NaN last; ties to the lower row.
pub(crate) fn by_score(
    request: &CoresetRequest<'_>,
    scores: &[f64],
    highest_first: bool,
) -> Vec<CoresetSelection> {
    let order = rank(request.candidates, scores, highest_first);
    CoresetSelection::prefixes(&order, request.counts)
}

/// As [`by_score`], but ties are broken in a random order drawn from `rng` (for discrete
/// scores such as forgetting counts, where a tie-break by row index would select by
/// position in the data set).
pub(crate) fn by_score_random_ties(
    request: &CoresetRequest<'_>,
    scores: &[f64],
    highest_first: bool,
    rng: &mut ChaCha8Rng,
) -> Vec<CoresetSelection> {
    let mut shuffled: Vec<usize> = (0..request.candidates.len()).collect();
    shuffled.shuffle(rng);
    // Rank positions in the shuffled order, then map back to rows.
    let positions: Vec<usize> = (0..shuffled.len()).collect();
    let shuffled_scores: Vec<f64> = shuffled.iter().map(|&i| scores[i]).collect();
    let order: Vec<usize> = rank(&positions, &shuffled_scores, highest_first)
        .into_iter()
        .map(|p| request.candidates[shuffled[p]])
        .collect();
    CoresetSelection::prefixes(&order, request.counts)
}
