//! Core-set by k-center greedy (Sener & Savarese, 2018): repeatedly label the unlabeled
//! example farthest from every labeled (or already chosen) example in embedding space.
//! Memory is O(N) beyond the embeddings: one running minimum distance per pool example.

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

fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
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
    for center in centers.iter_rows() {
        for (i, row) in candidates.iter_rows().enumerate() {
            let d = squared_distance(row, center);
            if d < min_dist[i] {
                min_dist[i] = d;
            }
        }
    }
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
        for (i, row) in candidates.iter_rows().enumerate() {
            let d = squared_distance(row, &center);
            if d < min_dist[i] {
                min_dist[i] = d;
            }
        }
    }
    chosen
}

impl Strategy for KCenterGreedy {
    fn name(&self) -> &'static str {
        "kcenter"
    }

    fn params_json(&self) -> String {
        serde_json::to_string(&self.params).unwrap_or_else(|_| "{}".into())
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
