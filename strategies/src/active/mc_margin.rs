//! Margin on the MC-dropout mean probabilities: the smaller the gap between the two most likely classes of the mean prediction, the higher the score.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::margin::margin_score;
use super::mc_dropout::{mean_of, select_by_mc_score, McParams};

/// `margin_score` of the mean of `samples` MC-dropout passes.
#[derive(Debug, Default)]
pub struct McMargin {
    pub params: McParams,
}

impl Strategy for McMargin {
    fn name(&self) -> &'static str {
        "mc_margin"
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
            margin_score(&mean_of(rows))
        })
    }
}
