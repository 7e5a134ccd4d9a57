//! Random initial set: the default cold start.

use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::StrategyError;

use super::{Features, InitStrategy};

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
        if count > features.rows {
            return Err(StrategyError::Request {
                strategy: self.name().into(),
                message: format!(
                    "asked for {count} initial examples from a pool of {}",
                    features.rows
                ),
            });
        }
        Ok(sample(rng, features.rows, count).into_vec())
    }
}
