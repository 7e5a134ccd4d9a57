//! k-means sampling: cluster the unlabeled embeddings into `count` groups (k-means++
//! seeding from the strategy's rng, then Lloyd iterations) and label the pool example
//! nearest each centroid, so the batch covers the embedding distribution's modes. A
//! common diversity baseline (e.g. in DeepAL+, Zhan et al. 2022). Memory O(N + k·D).

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use crate::init::{kmeans, nearest_distinct_to_centroids};
use crate::linalg::check_shape;
use crate::params::{at_least, ValidateParams};

/// Parameters of k-means sampling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KMeansParams {
    /// Most Lloyd iterations (stops earlier once assignments are stable).
    pub max_iter: usize,
}

impl Default for KMeansParams {
    fn default() -> Self {
        Self { max_iter: 20 }
    }
}

impl ValidateParams for KMeansParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "max_iter", self.max_iter, 1)
    }
}

/// k = count centroids on the unlabeled embeddings; the nearest example to each.
#[derive(Debug, Default)]
pub struct KMeansSampling {
    pub params: KMeansParams,
}

impl Strategy for KMeansSampling {
    fn name(&self) -> &'static str {
        "kmeans"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        self.params.validate(self.name())?;
        let count = request.count.min(request.unlabeled.len());
        if count == 0 {
            return Ok(Vec::new());
        }
        let points = model.embeddings(request.unlabeled)?;
        check_shape(
            self.name(),
            "embeddings",
            &points,
            request.unlabeled.len(),
            None,
        )?;
        let clusters = kmeans(&points, count, self.params.max_iter, rng);
        let rows = nearest_distinct_to_centroids(&points, &clusters.centroids);
        Ok(rows.into_iter().map(|r| request.unlabeled[r]).collect())
    }
}
