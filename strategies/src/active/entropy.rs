//! Entropy sampling: prefer examples whose predictive distribution has the most entropy.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::uncertainty::select_by_score;

/// Score = -sum_c p(c|x) ln p(c|x).
#[derive(Debug, Default)]
pub struct EntropySampling;

/// Shannon entropy in nats (0 ln 0 = 0).
pub fn entropy_score(p: &[f32]) -> f64 {
    p.iter()
        .filter(|&&v| v > 0.0)
        .map(|&v| {
            let v = f64::from(v);
            -v * v.ln()
        })
        .sum()
}

impl Strategy for EntropySampling {
    fn name(&self) -> &'static str {
        "entropy"
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        select_by_score(request, model, entropy_score)
    }
}
