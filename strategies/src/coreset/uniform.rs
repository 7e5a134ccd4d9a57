//! `uniform`: a uniformly random subset, the reference every coreset method is compared
//! with (DeepCore's `Uniform`). Subsets for several sizes are nested: prefixes of one
//! random permutation of the candidates.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    CoresetMethod, CoresetRequest, CoresetSelection, SelectionContext, StrategyError,
};

/// Uniform random selection.
#[derive(Debug, Default)]
pub struct Uniform;

impl CoresetMethod for Uniform {
    fn name(&self) -> &'static str {
        "uniform"
    }

    fn select(
        &mut self,
        request: &CoresetRequest<'_>,
        _context: &dyn SelectionContext,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<CoresetSelection>, StrategyError> {
        let mut order = request.candidates.to_vec();
        order.shuffle(rng);
        Ok(CoresetSelection::prefixes(&order, request.counts))
    }
}
