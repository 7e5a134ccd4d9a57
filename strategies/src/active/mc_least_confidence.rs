//! Least confidence on the MC-dropout mean probabilities: 1 - max_c mean_s p_s(c|x).

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::least_confidence::least_confidence_score;
use super::mc_dropout::{mean_of, select_by_mc_score, McParams};

/// `least_confidence_score` of the mean of `samples` MC-dropout passes.
#[derive(Debug, Default)]
pub struct McLeastConfidence {
    pub params: McParams,
}

impl Strategy for McLeastConfidence {
    fn name(&self) -> &'static str {
        "mc_least_confidence"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        select_by_mc_score(self.name(), &self.params, request, model, |rows| {
            least_confidence_score(&mean_of(rows))
        })
    }
}
