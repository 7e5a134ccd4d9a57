//! Least confidence: prefer examples whose most likely class has the lowest probability.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::uncertainty::select_by_score;

/// Score = 1 - max_c p(c|x).
#[derive(Debug, Default)]
pub struct LeastConfidence;

/// 1 - the largest probability.
pub fn least_confidence_score(p: &[f32]) -> f64 {
    1.0 - p.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64
}

impl Strategy for LeastConfidence {
    fn name(&self) -> &'static str {
        "least_confidence"
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        select_by_score(request, model, least_confidence_score)
    }
}
