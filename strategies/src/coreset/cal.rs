//! `cal`, contrastive active learning (Margatina et al. 2021) as a coreset score: for each
//! candidate, the mean KL divergence `KL(p_neighbour || p_candidate)` to its `neighbors`
//! nearest candidates in the selection model's embedding space; keep the *highest* — the
//! examples whose prediction disagrees most with their neighbours'. DeepCore's `Cal`
//! keeps the lowest (DeepCore issue #29), uses a symmetric KL and finds neighbours with
//! an ImageNet-pretrained ResNet-18; sieve follows the paper's direction and KL, with
//! neighbours in the selection model's own feature space (as CAL uses the current model).

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, Matrix, SelectionContext,
    StrategyError,
};

use super::divergence::kl;
use super::ranked::by_score;
use crate::linalg::squared_distance_f32;
use crate::params::{at_least, ValidateParams};

/// Parameters of `cal`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalParams {
    /// Nearest neighbours averaged over (DeepCore and the paper: 10).
    pub neighbors: usize,
}

impl Default for CalParams {
    fn default() -> Self {
        Self { neighbors: 10 }
    }
}

impl ValidateParams for CalParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "neighbors", self.neighbors, 1)
    }
}

/// CAL selection.
#[derive(Debug, Default)]
pub struct Cal {
    pub params: CalParams,
}

/// The `k` nearest other rows of each row of `emb` (Euclidean; ties to the lower row).
pub fn nearest_neighbours(emb: &Matrix, k: usize) -> Vec<Vec<usize>> {
    let n = emb.rows;
    let k = k.min(n.saturating_sub(1));
    (0..n)
        .into_par_iter()
        .map(|i| {
            let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
            for j in 0..n {
                if j == i {
                    continue;
                }
                let d = squared_distance_f32(emb.row(i), emb.row(j));
                if best.len() < k || (d, j) < best[best.len() - 1] {
                    let at = best.partition_point(|&(bd, bj)| (bd, bj) < (d, j));
                    best.insert(at, (d, j));
                    best.truncate(k);
                }
            }
            best.into_iter().map(|(_, j)| j).collect()
        })
        .collect()
}

/// Each row's mean `KL(p_neighbour || p_row)` over its neighbours.
pub fn cal_scores(probs: &Matrix, neighbours: &[Vec<usize>]) -> Vec<f64> {
    neighbours
        .iter()
        .enumerate()
        .map(|(i, nn)| {
            if nn.is_empty() {
                return 0.0;
            }
            nn.iter()
                .map(|&j| kl(probs.row(j), probs.row(i)))
                .sum::<f64>()
                / nn.len() as f64
        })
        .collect()
}

impl CoresetMethod for Cal {
    fn name(&self) -> &'static str {
        "cal"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn needs(&self) -> CoresetNeeds {
        CoresetNeeds {
            selection_model: true,
            ..CoresetNeeds::default()
        }
    }

    fn select(
        &mut self,
        request: &CoresetRequest<'_>,
        context: &dyn SelectionContext,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<CoresetSelection>, StrategyError> {
        let model = context.model()?;
        let (probs, emb) = model.probabilities_and_embeddings(request.candidates)?;
        let neighbours = nearest_neighbours(&emb, self.params.neighbors);
        let scores = cal_scores(&probs, &neighbours);
        Ok(by_score(request, &scores, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_are_nearest_first() {
        let emb = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![3.0], vec![10.0]]);
        let nn = nearest_neighbours(&emb, 2);
        assert_eq!(nn[0], vec![1, 2]);
        assert_eq!(nn[3], vec![2, 1]);
    }
}
