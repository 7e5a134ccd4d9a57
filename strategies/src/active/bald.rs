//! BALD, Bayesian active learning by disagreement (Houlsby et al. 2011; with MC dropout,
//! Gal, Islam & Ghahramani 2017): the mutual information between the label and the
//! model parameters, I(y; w | x) = H(mean_s p_s) - mean_s H(p_s). High when the MC
//! samples are individually confident but disagree with each other (epistemic
//! uncertainty), low on examples that are ambiguous for every sample alike.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::entropy::entropy_score;
use super::mc_dropout::{mean_of, select_by_mc_score, McParams};

/// Mutual information estimated from `samples` MC-dropout passes.
#[derive(Debug, Default)]
pub struct Bald {
    pub params: McParams,
}

/// H(mean of rows) - mean of H(row), in nats; never negative (rounding clamped to 0).
pub fn bald_score(rows: &[&[f32]]) -> f64 {
    if rows.is_empty() {
        return 0.0;
    }
    let total = entropy_score(&mean_of(rows));
    let expected = rows.iter().map(|r| entropy_score(r)).sum::<f64>() / rows.len() as f64;
    (total - expected).max(0.0)
}

impl Strategy for Bald {
    fn name(&self) -> &'static str {
        "bald"
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
        select_by_mc_score(self.name(), &self.params, request, model, bald_score)
    }
}
