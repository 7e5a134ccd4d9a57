//! Random initial set: the default cold start.

use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::StrategyError;

use super::{check_count, Features, InitStrategy};

/// `count` pool examples uniformly at random.
#[derive(Debug, Default)]
pub struct RandomInit;

impl InitStrategy for RandomInit {
    fn name(&self) -> &'static str {
        "random"
    }

    fn select_initial(
        &self,
        features: &Features<'_>,
        count: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        check_count(self.name(), count, features.rows)?;
        Ok(sample(rng, features.rows, count).into_vec())
    }
}
