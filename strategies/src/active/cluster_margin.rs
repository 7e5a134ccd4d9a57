//! Cluster-Margin (Citovsky et al., "Batch Active Learning at Scale", NeurIPS 2021):
//! take the `candidate_factor` x count unlabeled examples with the smallest margin
//! (top-1 minus top-2 probability), cluster them by agglomerative clustering with
//! average linkage on their embeddings, then fill the batch round-robin over the
//! clusters, smallest cluster first, drawing one random member of each cluster per
//! round (the paper's rule; the draw uses the strategy's rng).
//!
//! Difference from the paper, for memory: the paper clusters the whole pool once; here
//! the clustering runs only over the candidate set, at most `max_candidates` examples
//! (O(m²) memory for m candidates, never O(N²)). The dendrogram is cut into `clusters`
//! groups (default: the batch size, one member per cluster when none runs short).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::margin::margin_score;
use crate::hac::average_linkage;
use crate::linalg::check_shape;
use crate::params::{at_least, in_range, ValidateParams};
use crate::ranking::top_k;

/// Parameters of Cluster-Margin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterMarginParams {
    /// Candidates = this many times the batch size, lowest margin first (>= 1).
    pub candidate_factor: f64,
    /// Cap on the candidate set, which bounds clustering memory (m² / 2 floats).
    pub max_candidates: usize,
    /// Clusters to cut the dendrogram into; `null` = the batch size.
    pub clusters: Option<usize>,
}

impl Default for ClusterMarginParams {
    fn default() -> Self {
        Self {
            candidate_factor: 10.0,
            max_candidates: 5_000,
            clusters: None,
        }
    }
}

impl ValidateParams for ClusterMarginParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        in_range(
            strategy,
            "candidate_factor",
            self.candidate_factor,
            (1.0, false),
            1e6,
        )?;
        at_least(strategy, "max_candidates", self.max_candidates, 1)?;
        if let Some(k) = self.clusters {
            at_least(strategy, "clusters", k, 1)?;
        }
        Ok(())
    }
}

/// Margin candidates diversified over average-linkage clusters.
#[derive(Debug, Default)]
pub struct ClusterMargin {
    pub params: ClusterMarginParams,
}

impl Strategy for ClusterMargin {
    fn name(&self) -> &'static str {
        "cluster_margin"
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
        let n = request.unlabeled.len();
        let count = request.count.min(n);
        let probs = model.probabilities(request.unlabeled)?;
        check_shape(self.name(), "probabilities", &probs, n, None)?;
        let wanted = (self.params.candidate_factor * count as f64).ceil() as usize;
        let m = wanted
            .min(self.params.max_candidates.max(count))
            .max(count)
            .min(n);
        // Highest margin_score = smallest margin; ties to the lower pool index.
        let scores: Vec<f64> = probs.iter_rows().map(margin_score).collect();
        let candidates = top_k(request.unlabeled, &scores, m);
        if m <= count {
            return Ok(candidates);
        }
        let emb = model.embeddings(&candidates)?;
        check_shape(self.name(), "embeddings", &emb, m, None)?;
        let k = self.params.clusters.unwrap_or(count).clamp(1, m);
        let labels = average_linkage(&emb, k);
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); k];
        for (row, &label) in labels.iter().enumerate() {
            if let Some(g) = groups.get_mut(label) {
                g.push(candidates[row]);
            }
        }
        // Smallest cluster first; equal sizes by their lowest-margin member's rank
        // (labels are numbered in candidate order).
        groups.sort_by_key(Vec::len);
        let mut picks = Vec::with_capacity(count);
        while picks.len() < count && groups.iter().any(|g| !g.is_empty()) {
            for g in groups.iter_mut() {
                if picks.len() == count {
                    break;
                }
                if !g.is_empty() {
                    let i = rng.random_range(0..g.len());
                    picks.push(g.remove(i));
                }
            }
        }
        Ok(picks)
    }
}
