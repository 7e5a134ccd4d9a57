//! k-means medoids: cluster the pool's unsupervised representation into `count`
//! clusters and label the point nearest each centroid — a representative, spread-out
//! initial set (the classic cold-start baseline).

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::StrategyError;

use super::{
    check_count, kmeans, nearest_distinct_to_centroids, Features, InitStrategy,
    RepresentationParams,
};

/// Parameters of k-means medoids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KMeansMedoidsParams {
    #[serde(flatten)]
    pub representation: RepresentationParams,
    pub max_iter: usize,
}

impl Default for KMeansMedoidsParams {
    fn default() -> Self {
        Self {
            representation: RepresentationParams::default(),
            max_iter: 50,
        }
    }
}

/// The point nearest each of `count` k-means centroids.
#[derive(Debug, Default)]
pub struct KMeansMedoids {
    pub params: KMeansMedoidsParams,
}

impl InitStrategy for KMeansMedoids {
    fn name(&self) -> &'static str {
        "kmeans"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn select_initial(
        &self,
        features: &Features<'_>,
        count: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        check_count(self.name(), count, features.rows)?;
        let points = self.params.representation.embed(features, rng);
        let clusters = kmeans(&points, count, self.params.max_iter, rng);
        Ok(nearest_distinct_to_centroids(&points, &clusters.centroids))
    }
}
