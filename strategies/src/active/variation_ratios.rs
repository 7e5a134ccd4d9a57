//! Variation ratios (Freeman 1965; as an acquisition function, Gal, Islam & Ghahramani
//! 2017): 1 - f_m / T, where f_m is how many of the T MC-dropout passes vote for the
//! modal class. Counts disagreement between arg-max votes, ignoring confidence.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::mc_dropout::{select_by_mc_score, McParams};
use crate::linalg::argmax;

/// Disagreement of the arg-max votes of `samples` MC-dropout passes.
#[derive(Debug, Default)]
pub struct VariationRatios {
    pub params: McParams,
}

/// 1 - (votes for the most voted class) / (number of passes).
pub fn variation_ratio(rows: &[&[f32]]) -> f64 {
    let classes = rows.first().map_or(0, |r| r.len());
    if rows.is_empty() || classes == 0 {
        return 0.0;
    }
    let mut votes = vec![0usize; classes];
    for r in rows {
        votes[argmax(r)] += 1;
    }
    let modal = votes.iter().copied().max().unwrap_or(0);
    1.0 - modal as f64 / rows.len() as f64
}

impl Strategy for VariationRatios {
    fn name(&self) -> &'static str {
        "variation_ratios"
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
        select_by_mc_score(self.name(), &self.params, request, model, variation_ratio)
    }
}
