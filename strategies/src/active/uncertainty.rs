//! The shared shape of uncertainty sampling: score each unlabeled example from its class
//! probabilities, take the highest scores.

use sieve_bench_core::{ModelView, SelectionRequest, StrategyError};

use crate::ranking::top_k;

/// Scores every unlabeled example with `score(probabilities)` (higher = more uncertain)
/// and returns the `count` most uncertain.
pub(crate) fn select_by_score(
    request: &SelectionRequest<'_>,
    model: &dyn ModelView,
    score: impl Fn(&[f32]) -> f64,
) -> Result<Vec<usize>, StrategyError> {
    let probs = model.probabilities(request.unlabeled)?;
    let scores: Vec<f64> = probs.iter_rows().map(&score).collect();
    Ok(top_k(request.unlabeled, &scores, request.count))
}
