//! TypiClust (Hacohen, Dekel & Weinshall, ICML 2022, "Active learning on a budget"), as
//! in the authors' code (avihu111/TypiClust, `deep-al/pycls/al/typiclust.py`): k-means
//! into min(budget, 500) clusters; clusters of at most 5 members are dropped; the kept
//! clusters are visited largest first, cyclically, and each visit labels the most
//! *typical* remaining member — typicality = 1 / (mean *squared* L2 distance to its K
//! nearest remaining members + 1e-5), with K = min(20, ⌊remaining / 2⌋) — recomputed
//! after every pick, since a pick leaves the cluster.

use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{Matrix, StrategyError};

use super::{check_count, kmeans, Features, InitStrategy, RepresentationParams};

/// Parameters of TypiClust (defaults: the reference's constants).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TypiClustParams {
    #[serde(flatten)]
    pub representation: RepresentationParams,
    /// Most neighbours in the typicality estimate (`K_NN` = 20); a cluster with `n`
    /// remaining members uses min(knn, ⌊n/2⌋).
    pub knn: usize,
    /// Clusters with at most this many members are dropped (`MIN_CLUSTER_SIZE` = 5).
    pub min_cluster_size: usize,
    /// Most clusters (`MAX_NUM_CLUSTERS` = 500); fewer when the budget is smaller.
    pub max_clusters: usize,
    /// Neighbours are searched among at most this many members of a cluster (a seeded
    /// sample), bounding the work at O(size x max_reference) per visit. Not in the
    /// reference (exact faiss search); at the default it only matters for clusters
    /// above 1,000 members.
    pub max_reference: usize,
    pub max_iter: usize,
}

impl Default for TypiClustParams {
    fn default() -> Self {
        Self {
            representation: RepresentationParams::default(),
            knn: 20,
            min_cluster_size: 5,
            max_clusters: 500,
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

fn squared_distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x - y) * f64::from(x - y))
        .sum()
}

/// Typicality of each member (same order): 1 / (mean squared distance to its `knn`
/// nearest other members among `reference` + 1e-5); 0 when it has no neighbour.
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
                    .map(|&j| squared_distance(points.row(i), points.row(j))),
            );
            let k = knn.min(buffer.len());
            if k == 0 {
                return 0.0;
            }
            buffer.select_nth_unstable_by(k - 1, |a, b| crate::ranking::ascending_nan_last(*a, *b));
            let mean = buffer[..k].iter().sum::<f64>() / k as f64;
            1.0 / (mean + 1e-5)
        })
        .collect()
}

/// One k-means cluster while picks are taken from it.
struct Cluster {
    /// Members not yet picked, in pool order.
    remaining: Vec<usize>,
    /// Members the neighbour search may use (all, or a seeded sample of `max_reference`).
    reference: Vec<usize>,
}

impl Cluster {
    /// Takes the most typical remaining member (ties: the lowest pool index).
    fn take_most_typical(&mut self, points: &Matrix, knn: usize) -> Option<usize> {
        if self.remaining.is_empty() {
            return None;
        }
        let k = knn.min(self.remaining.len() / 2);
        let reference: Vec<usize> = self
            .reference
            .iter()
            .copied()
            .filter(|i| self.remaining.binary_search(i).is_ok())
            .collect();
        let scores = typicality(points, &self.remaining, &reference, k);
        let mut best = 0;
        for (at, &score) in scores.iter().enumerate() {
            if crate::ranking::descending_nan_last(score, scores[best]).is_lt() {
                best = at;
            }
        }
        Some(self.remaining.remove(best))
    }
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
        let k = count.min(self.params.max_clusters);
        let assignment = kmeans(&points, k, self.params.max_iter, rng);
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); assignment.centroids.rows];
        for (i, &c) in assignment.assignment.iter().enumerate() {
            members[c].push(i);
        }
        let mut clusters: Vec<Cluster> = members
            .into_iter()
            .map(|group| {
                let mut reference: Vec<usize> = if group.len() > self.params.max_reference {
                    sample(rng, group.len(), self.params.max_reference)
                        .into_iter()
                        .map(|r| group[r])
                        .collect()
                } else {
                    group.clone()
                };
                reference.sort_unstable();
                Cluster {
                    remaining: group,
                    reference,
                }
            })
            .collect();
        // Largest first; the reference drops clusters of <= min_cluster_size members.
        // Where it would then fail (every kept cluster exhausted), sieve goes on with the
        // dropped ones, largest first, so a small pool still gets its initial set.
        let mut by_size: Vec<usize> = (0..clusters.len()).collect();
        by_size.sort_by(|&a, &b| {
            clusters[b]
                .remaining
                .len()
                .cmp(&clusters[a].remaining.len())
                .then(a.cmp(&b))
        });
        let (kept, dropped): (Vec<usize>, Vec<usize>) = by_size
            .into_iter()
            .partition(|&c| clusters[c].remaining.len() > self.params.min_cluster_size);
        let mut picks = Vec::with_capacity(count);
        for order in [kept, dropped] {
            // Cyclic visits (the reference's `i % len(clusters)`), skipping exhausted ones.
            while picks.len() < count {
                let before = picks.len();
                for &c in &order {
                    if picks.len() == count {
                        break;
                    }
                    if let Some(i) = clusters[c].take_most_typical(&points, self.params.knn) {
                        picks.push(i);
                    }
                }
                if picks.len() == before {
                    break;
                }
            }
        }
        Ok(picks)
    }
}
