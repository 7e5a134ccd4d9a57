//! `craig`: CRAIG (Mirzasoleiman, Bilmes & Leskovec 2020, "Coresets for data-efficient
//! training of machine learning models"), as DeepCore's `Craig` runs it.
//!
//! The paper picks a weighted subset whose weighted gradient sum approximates the full
//! gradient: it bounds the error by `Σ_i min_{j∈S} d_ij` (with `d_ij` an upper bound on
//! the gradient difference), maximises the facility-location function
//! `F(S) = Σ_i max_{j∈S} (C - d_ij)` greedily, and weights each selected element `j` by
//! `γ_j`, the number of examples whose closest selected element is `j`.
//!
//! DeepCore, per class: `D` = pairwise Euclidean distance of the last-layer gradient
//! embeddings, similarity `S = (max D - D) + 1e-3`, facility location on `S` maximised
//! by lazy greedy, weights from each class member's most similar selected element
//! (first on ties). Sieve does the same (similarity in [`super::similarity`], optimizer in
//! [`super::greedy`]); the greedy order for the largest count answers every count with a
//! prefix, and the weights are recomputed for each prefix. Training uses the weights as
//! `sum(w·CE)/sum(w)`, so only their ratios matter.
//!
//! Deviations from DeepCore:
//! - **Weights are the paper's `γ_j` = cluster size** (the candidates whose most similar
//!   selected element is `j`, `j` itself included; they sum to the number of
//!   candidates). DeepCore's `calc_weights` starts every weight at 1 and then adds the
//!   cluster, giving cluster size + 1, which flattens the ratios between small and large
//!   clusters.
//! - A selected element always counts in its own cluster (DeepCore would give an exact
//!   duplicate with a higher index to the lower one, leaving it with weight 1, i.e. an
//!   empty cluster); other ties go to the selected element with the lower row.
//! - Per-example gradients without DeepCore's `1/batch` scaling (which, unlike for the
//!   cosine kernel, does change Euclidean distances: [`super::gradients`]).
//! - More than [`super::similarity::MAX_DENSE_CANDIDATES`] candidates are refused (DeepCore's
//!   unbalanced mode builds an `N x N` matrix and its batched gain counts only the first
//!   batch of rows as clients, a bug).

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, SelectionContext, StrategyError,
};

use super::gradients::GradientEmbeddings;
use super::greedy::lazy_greedy;
use super::similarity::{check_dense, craig_similarity, Dense};
use super::submodular::FacilityLocation;

/// CRAIG selection.
#[derive(Debug, Default)]
pub struct Craig;

/// For each of `counts`, the cluster size of each of the first `count` elements of
/// `order` (indices into the rows of `s`): the number of rows whose most similar element
/// of that prefix is it (ties to the lower index, a selected element in its own cluster).
pub(crate) fn cluster_sizes(s: &Dense, order: &[usize], counts: &[usize]) -> Vec<Vec<f32>> {
    let n = s.n;
    let mut wanted: Vec<usize> = counts.iter().map(|&k| k.min(order.len())).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut snapshots: Vec<(usize, Vec<f32>)> = Vec::new();
    if wanted.first() == Some(&0) {
        snapshots.push((0, Vec::new()));
    }
    let mut best = vec![f32::NEG_INFINITY; n];
    let mut assign = vec![usize::MAX; n];
    let mut position = vec![usize::MAX; n];
    for (t, &j) in order.iter().enumerate() {
        let row = s.row(j);
        for i in 0..n {
            if position[i] != usize::MAX {
                continue;
            }
            let v = row[i];
            if v > best[i] || (v == best[i] && j < assign[i]) {
                best[i] = v;
                assign[i] = j;
            }
        }
        position[j] = t;
        assign[j] = j;
        let k = t + 1;
        if wanted.binary_search(&k).is_ok() {
            let mut sizes = vec![0f32; k];
            for &a in &assign {
                // A row with only NaN similarities counts for the first selected element.
                let p = if a == usize::MAX { 0 } else { position[a] };
                sizes[p] += 1.0;
            }
            snapshots.push((k, sizes));
        }
        if Some(&k) == wanted.last() {
            break;
        }
    }
    counts
        .iter()
        .map(|&k| {
            let k = k.min(order.len());
            snapshots
                .iter()
                .find(|(c, _)| *c == k)
                .map(|(_, w)| w.clone())
                .unwrap_or_default()
        })
        .collect()
}

impl CoresetMethod for Craig {
    fn name(&self) -> &'static str {
        "craig"
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
        let n = request.candidates.len();
        check_dense(self.name(), n)?;
        let budget = request.max_count().min(n);
        if budget == 0 {
            return Ok(request
                .counts
                .iter()
                .map(|_| CoresetSelection {
                    indices: Vec::new(),
                    weights: Some(Vec::new()),
                })
                .collect());
        }
        let grads = GradientEmbeddings::of(
            self.name(),
            context.model()?,
            request.candidates,
            request.labels,
        )?;
        let s = craig_similarity(&grads);
        let order = lazy_greedy(n, budget, &mut FacilityLocation::new(&s));
        let weights = cluster_sizes(&s, &order, request.counts);
        Ok(request
            .counts
            .iter()
            .zip(weights)
            .map(|(&k, w)| CoresetSelection {
                indices: order[..k.min(order.len())]
                    .iter()
                    .map(|&i| request.candidates[i])
                    .collect(),
                weights: Some(w),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_sizes_count_each_row_once_with_self_and_lower_ties() {
        // Points on a line at 0, 1, 2, 10, 11 (similarity = 20 - distance).
        let x = [0.0f32, 1.0, 2.0, 10.0, 11.0];
        let s = Dense {
            n: 5,
            data: x
                .iter()
                .flat_map(|a| x.iter().map(move |b| 20.0 - (a - b).abs()))
                .collect(),
        };
        // Order 1 then 3: {0,1,2} -> 1, {3,4} -> 3.
        let w = cluster_sizes(&s, &[1, 3, 0], &[2, 1, 3, 0]);
        assert_eq!(w[0], vec![3.0, 2.0]);
        assert_eq!(w[1], vec![5.0]);
        // With 0 selected too: 0 is its own, 1 keeps 1 and 2 (2 is nearer 1).
        assert_eq!(w[2], vec![2.0, 2.0, 1.0]);
        assert!(w[3].is_empty());
        // Row 1 is equally similar to 0 and 2: the lower one wins.
        let w = cluster_sizes(&s, &[2, 0], &[2]);
        assert_eq!(w[0], vec![3.0, 2.0]);
    }
}
