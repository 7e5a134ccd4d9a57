//! `candidate_pool`: an option every strategy accepts. The strategy scores only a random
//! subset of `candidate_pool` unlabeled examples per selection (Gal, Islam & Ghahramani
//! 2017 score 2,000 random pool examples per acquisition, to keep MC-dropout scoring of
//! a large pool affordable). The subset comes from the request's `round_seed`, shared by
//! every method at a repeat and round, so the methods compared choose from the same
//! candidates; the strategy's own rng is untouched.

use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

/// The parameter name, reserved for every strategy.
pub const CANDIDATE_POOL: &str = "candidate_pool";

/// A strategy's own parameters: `params` less `candidate_pool` (which the registry
/// handles for every strategy); `Null` when nothing else is left.
pub fn own_params(params: &serde_json::Value) -> serde_json::Value {
    let mut own = params.clone();
    if let Some(map) = own.as_object_mut() {
        map.remove(CANDIDATE_POOL);
        if map.is_empty() {
            own = serde_json::Value::Null;
        }
    }
    own
}

/// A strategy restricted to a random candidate subset of the unlabeled pool.
pub struct CandidatePool {
    pub inner: Box<dyn Strategy>,
    pub size: usize,
}

/// The `size` candidates drawn for a request: ascending pool indices, the whole
/// unlabeled pool when it is no larger.
pub fn candidates(unlabeled: &[usize], size: usize, round_seed: u64) -> Vec<usize> {
    if unlabeled.len() <= size {
        return unlabeled.to_vec();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(round_seed);
    let mut picked: Vec<usize> = sample(&mut rng, unlabeled.len(), size)
        .into_iter()
        .map(|i| unlabeled[i])
        .collect();
    picked.sort_unstable();
    picked
}

impl Strategy for CandidatePool {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// The inner strategy's parameters plus `candidate_pool`, so the option is part of
    /// the arm's identity in records and reports.
    fn params_json(&self) -> String {
        let inner = self.inner.params_json();
        let mut value: serde_json::Value =
            serde_json::from_str(&inner).unwrap_or(serde_json::Value::Null);
        match value.as_object_mut() {
            Some(map) => {
                map.insert(CANDIDATE_POOL.to_string(), self.size.into());
            }
            None => value = serde_json::json!({ CANDIDATE_POOL: self.size }),
        }
        crate::params::to_json(&value)
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        if request.count > self.size && request.unlabeled.len() > self.size {
            return Err(StrategyError::InvalidParameter {
                strategy: self.inner.name().to_string(),
                param: CANDIDATE_POOL.to_string(),
                message: format!(
                    "{} candidates cannot fill a batch of {}; raise it to at least the batch size",
                    self.size, request.count
                ),
            });
        }
        let pool = candidates(request.unlabeled, self.size, request.round_seed);
        let count = request.count.min(pool.len());
        let restricted = SelectionRequest {
            labeled: request.labeled,
            unlabeled: &pool,
            count,
            labeled_classes: request.labeled_classes,
            round_seed: request.round_seed,
            round: request.round,
            rounds: request.rounds,
        };
        self.inner.select(&restricted, model, rng)
    }

    fn pseudo_labels(&self) -> &[(usize, u32)] {
        self.inner.pseudo_labels()
    }
}
