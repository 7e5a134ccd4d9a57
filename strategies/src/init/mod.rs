//! Cold start: strategies that choose the initial labeled set before any model exists,
//! from an unsupervised representation of the pool (raw features or their PCA). The
//! initial set is a function of the trial seed and the init strategy only, so the paired
//! design holds: every selection strategy at a repeat starts from the same set.

mod balanced;
mod features;
mod kmeans;
mod kmeans_medoids;
mod pca;
mod random;
mod registry;
mod typiclust;

pub use balanced::BalancedInit;
pub use features::{Features, Representation, RepresentationParams};
pub use kmeans::{kmeans, nearest_distinct_to_centroids, KMeansResult};
pub use kmeans_medoids::{KMeansMedoids, KMeansMedoidsParams};
pub use pca::pca_project;
pub use random::RandomInit;
pub use registry::{
    build_init_strategy, init_strategy_infos, init_strategy_names, InitStrategyInfo,
};
pub use typiclust::{typicality, TypiClust, TypiClustParams};

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::StrategyError;

/// Chooses the initial labeled set.
pub trait InitStrategy: Send {
    /// Registry name, as written in configs (`init_strategy`).
    fn name(&self) -> &'static str;
    /// Parameters as compact JSON.
    fn params_json(&self) -> String {
        "{}".to_string()
    }
    /// Exactly `count` distinct row indices of `features`.
    fn select_initial(
        &self,
        features: &Features<'_>,
        count: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError>;
}

/// Fails when a cold start asks for more examples than the pool has.
pub(crate) fn check_count(strategy: &str, count: usize, rows: usize) -> Result<(), StrategyError> {
    if count > rows {
        return Err(StrategyError::Request {
            strategy: strategy.into(),
            message: format!("asked for {count} initial examples from a pool of {rows}"),
        });
    }
    Ok(())
}
