//! Entropy of the MC-dropout mean probabilities (max entropy, Gal et al. 2017): total predictive uncertainty, epistemic plus aleatoric.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::entropy::entropy_score;
use super::mc_dropout::{mean_of, select_by_mc_score, McParams};

/// `entropy_score` of the mean of `samples` MC-dropout passes.
#[derive(Debug, Default)]
pub struct McEntropy {
    pub params: McParams,
}

impl Strategy for McEntropy {
    fn name(&self) -> &'static str {
        "mc_entropy"
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
            entropy_score(&mean_of(rows))
        })
    }
}
