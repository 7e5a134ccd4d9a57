//! Random sampling: the reference every other method is compared against.

use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

/// Uniformly random unlabeled examples, from the strategy's own seeded stream.
#[derive(Debug, Default)]
pub struct RandomSampling;

impl Strategy for RandomSampling {
    fn name(&self) -> &'static str {
        "random"
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        _model: &dyn ModelView,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        let count = request.count.min(request.unlabeled.len());
        Ok(sample(rng, request.unlabeled.len(), count)
            .into_iter()
            .map(|i| request.unlabeled[i])
            .collect())
    }
}
