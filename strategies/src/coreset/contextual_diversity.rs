//! `contextual_diversity` (Agarwal et al. 2020, as DeepCore implements it): k-center
//! greedy over the selection model's softmax vectors with the symmetric KL divergence as
//! the distance. The first centre is random. (CDAL proper aggregates region-level,
//! class-conditional probabilities; DeepCore and sieve use per-image softmax vectors.)

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, Matrix, SelectionContext,
    StrategyError,
};

use super::divergence::symmetric_kl;

/// Contextual-diversity selection.
#[derive(Debug, Default)]
pub struct ContextualDiversity;

/// Farthest-first traversal of the rows of `probs` under the symmetric KL, `count`
/// picks, the first drawn from `rng`. Ties go to the lower row.
pub fn kl_farthest_first(probs: &Matrix, count: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let n = probs.rows;
    let count = count.min(n);
    let mut order = Vec::with_capacity(count);
    if count == 0 {
        return order;
    }
    let mut min_dist = vec![f64::INFINITY; n];
    let mut taken = vec![false; n];
    let mut pick = rng.random_range(0..n);
    loop {
        taken[pick] = true;
        order.push(pick);
        if order.len() == count {
            break;
        }
        let center = probs.row(pick);
        min_dist
            .par_iter_mut()
            .enumerate()
            .with_min_len(256)
            .for_each(|(i, m)| {
                let d = symmetric_kl(probs.row(i), center);
                if d < *m {
                    *m = d;
                }
            });
        let mut best = usize::MAX;
        for i in 0..n {
            if !taken[i] && (best == usize::MAX || min_dist[i] > min_dist[best]) {
                best = i;
            }
        }
        pick = best;
    }
    order
}

impl CoresetMethod for ContextualDiversity {
    fn name(&self) -> &'static str {
        "contextual_diversity"
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
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<CoresetSelection>, StrategyError> {
        let probs = context.model()?.probabilities(request.candidates)?;
        let order: Vec<usize> = kl_farthest_first(&probs, request.max_count(), rng)
            .into_iter()
            .map(|i| request.candidates[i])
            .collect();
        Ok(CoresetSelection::prefixes(&order, request.counts))
    }
}
