//! Core-set by k-center greedy (Sener & Savarese, 2018): repeatedly label the unlabeled
//! example farthest from every labeled (or already chosen) example in embedding space.
//! Memory is O(N) beyond the embeddings: one running minimum distance per pool example.

use crate::linalg::{lower_min_distances, squared_distance_f32};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{Matrix, ModelView, SelectionRequest, Strategy, StrategyError};

/// Distance used between embeddings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Euclidean distance (the paper's choice).
    #[default]
    Euclidean,
    /// Euclidean distance between L2-normalised embeddings (monotone in cosine distance).
    Cosine,
}

/// Parameters of k-center greedy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KCenterParams {
    pub metric: Metric,
}

/// k-center greedy on penultimate embeddings, starting from the labeled set.
#[derive(Debug, Default)]
pub struct KCenterGreedy {
    pub params: KCenterParams,
}

fn normalise_rows(m: &mut Matrix) {
    let cols = m.cols;
    for row in m.data.chunks_mut(cols.max(1)) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    }
}

/// Each candidate's squared distance to its nearest center, in parallel over candidates
/// (a candidate row stays in cache while every center passes by).
fn min_distances_to(candidates: &Matrix, centers: &Matrix, min_dist: &mut [f32]) {
    use rayon::prelude::*;
    if centers.rows == 0 {
        return;
    }
    let cols = candidates.cols.max(1);
    min_dist
        .par_iter_mut()
        .zip(candidates.data.par_chunks(cols))
        .with_min_len(64)
        .for_each(|(m, row)| {
            for center in centers.iter_rows() {
                let d = squared_distance_f32(row, center);
                if d < *m {
                    *m = d;
                }
            }
        });
}

/// Farthest-first traversal: picks `count` rows of `candidates`, given the `centers`
/// already chosen. Returns row indices into `candidates`. When there are no centers the
/// first pick is drawn from `rng`. Ties go to the lower row.
pub fn farthest_first(
    candidates: &Matrix,
    centers: &Matrix,
    count: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let n = candidates.rows;
    let count = count.min(n);
    let mut min_dist = vec![f32::INFINITY; n];
    min_distances_to(candidates, centers, &mut min_dist);
    let mut chosen = Vec::with_capacity(count);
    let mut taken = vec![false; n];
    while chosen.len() < count {
        let pick = if centers.rows == 0 && chosen.is_empty() {
            rng.random_range(0..n)
        } else {
            let mut best = usize::MAX;
            for i in 0..n {
                if !taken[i] && (best == usize::MAX || min_dist[i] > min_dist[best]) {
                    best = i;
                }
            }
            best
        };
        taken[pick] = true;
        chosen.push(pick);
        let center = candidates.row(pick).to_vec();
        lower_min_distances(candidates, &center, &mut min_dist);
    }
    chosen
}

impl Strategy for KCenterGreedy {
    fn name(&self) -> &'static str {
        "kcenter"
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
        let mut candidates = model.embeddings(request.unlabeled)?;
        let mut centers = model.embeddings(request.labeled)?;
        if self.params.metric == Metric::Cosine {
            normalise_rows(&mut candidates);
            normalise_rows(&mut centers);
        }
        let rows = farthest_first(&candidates, &centers, request.count, rng);
        Ok(rows.into_iter().map(|r| request.unlabeled[r]).collect())
    }
}
