//! TypiClust (Hacohen, Dekel & Weinshall, 2022, "Active learning on a budget"): cluster
//! the unsupervised representation into as many clusters as labels to buy, then from
//! each cluster, largest first, label its most *typical* point — the inverse of the mean
//! distance to its K nearest neighbours within the cluster. Clusters smaller than
//! `min_cluster_size` are skipped while larger ones remain.

use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{Matrix, StrategyError};

use super::{check_count, kmeans, Features, InitStrategy, RepresentationParams};

/// Parameters of TypiClust.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TypiClustParams {
    #[serde(flatten)]
    pub representation: RepresentationParams,
    /// Neighbours in the typicality estimate (the paper's K = 20).
    pub knn: usize,
    /// Clusters below this size are used only when larger ones run out (paper: 5).
    pub min_cluster_size: usize,
    /// Neighbours are searched among at most this many members of a cluster (a seeded
    /// sample), bounding the work at O(size x max_reference) per cluster.
    pub max_reference: usize,
    pub max_iter: usize,
}

impl Default for TypiClustParams {
    fn default() -> Self {
        Self {
            representation: RepresentationParams::default(),
            knn: 20,
            min_cluster_size: 5,
            max_reference: 1000,
            max_iter: 50,
        }
    }
}

/// TypiClust cold start.
#[derive(Debug, Default)]
pub struct TypiClust {
    pub params: TypiClustParams,
}

fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

/// Typicality of each member (same order): 1 / mean distance to its `knn` nearest other
/// members among `reference`; 0 for a cluster of one.
pub fn typicality(points: &Matrix, members: &[usize], reference: &[usize], knn: usize) -> Vec<f64> {
    let mut buffer = Vec::with_capacity(reference.len());
    members
        .iter()
        .map(|&i| {
            buffer.clear();
            buffer.extend(
                reference
                    .iter()
                    .filter(|&&j| j != i)
                    .map(|&j| distance(points.row(i), points.row(j))),
            );
            let k = knn.min(buffer.len());
            if k == 0 {
                return 0.0;
            }
            buffer.select_nth_unstable_by(k - 1, |a, b| {
                crate::ranking::ascending_nan_last(f64::from(*a), f64::from(*b))
            });
            let mean = buffer[..k].iter().map(|&d| f64::from(d)).sum::<f64>() / k as f64;
            1.0 / (mean + 1e-12)
        })
        .collect()
}

impl InitStrategy for TypiClust {
    fn name(&self) -> &'static str {
        "typiclust"
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
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); clusters.centroids.rows];
        for (i, &c) in clusters.assignment.iter().enumerate() {
            members[c].push(i);
        }
        // Members of each cluster, most typical first.
        let mut ranked: Vec<Vec<usize>> = Vec::with_capacity(members.len());
        for group in &members {
            let reference: Vec<usize> = if group.len() > self.params.max_reference {
                sample(rng, group.len(), self.params.max_reference)
                    .into_iter()
                    .map(|r| group[r])
                    .collect()
            } else {
                group.clone()
            };
            let scores = typicality(&points, group, &reference, self.params.knn);
            let mut order: Vec<usize> = (0..group.len()).collect();
            order.sort_by(|&a, &b| {
                crate::ranking::descending_nan_last(scores[a], scores[b])
                    .then(group[a].cmp(&group[b]))
            });
            ranked.push(order.into_iter().map(|o| group[o]).collect());
        }
        let mut by_size: Vec<usize> = (0..ranked.len()).collect();
        by_size.sort_by(|&a, &b| ranked[b].len().cmp(&ranked[a].len()).then(a.cmp(&b)));
        let mut picks = Vec::with_capacity(count);
        let mut depth = vec![0usize; ranked.len()];
        // Pass 1: one per cluster of adequate size; later passes fill from any cluster.
        for pass in 0.. {
            let before = picks.len();
            for &c in &by_size {
                if picks.len() == count {
                    return Ok(picks);
                }
                if pass == 0 && ranked[c].len() < self.params.min_cluster_size {
                    continue;
                }
                if let Some(&i) = ranked[c].get(depth[c]) {
                    depth[c] += 1;
                    picks.push(i);
                }
            }
            if picks.len() == count || (pass > 0 && picks.len() == before) {
                break;
            }
        }
        Ok(picks)
    }
}
