//! `herding` (Welling 2009; Chen et al. 2010; the selection of iCaRL): greedily add the
//! example that brings the mean of the selected embeddings closest to the mean of all
//! candidates. Embeddings are the selection model's penultimate features.
//!
//! DeepCore's `Herding` takes the *argmax* of that distance (the example that moves the
//! mean farthest away), contrary to herding as published and to its maintainer's own
//! pseudo-code; sieve takes the argmin (docs/strategies.md).

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, SelectionContext, StrategyError,
};

/// Herding selection.
#[derive(Debug, Default)]
pub struct Herding;

/// The herding order of the rows of `x` (`n x d`, row-major), `count` picks.
pub fn herding_order(x: &[f32], n: usize, d: usize, count: usize) -> Vec<usize> {
    let row = |i: usize| &x[i * d..(i + 1) * d];
    let mut mu = vec![0.0f64; d];
    for i in 0..n {
        for (m, v) in mu.iter_mut().zip(row(i)) {
            *m += f64::from(*v);
        }
    }
    for m in &mut mu {
        *m /= n.max(1) as f64;
    }
    let dot =
        |a: &[f32], b: &[f64]| -> f64 { a.iter().zip(b).map(|(x, y)| f64::from(*x) * y).sum() };
    // ||(t+1)·mu - s - x||² = const + ||x||² - 2<(t+1)·mu - s, x>: track <mu,x> and <s,x>.
    let norms: Vec<f64> = (0..n)
        .map(|i| row(i).iter().map(|v| f64::from(*v).powi(2)).sum())
        .collect();
    let mu_dot: Vec<f64> = (0..n).map(|i| dot(row(i), &mu)).collect();
    let mut s_dot = vec![0.0f64; n];
    let mut taken = vec![false; n];
    let mut order = Vec::with_capacity(count.min(n));
    for t in 0..count.min(n) {
        let scale = (t + 1) as f64;
        let mut best = usize::MAX;
        let mut best_value = f64::INFINITY;
        for i in 0..n {
            if taken[i] {
                continue;
            }
            let value = norms[i] - 2.0 * (scale * mu_dot[i] - s_dot[i]);
            if value < best_value || best == usize::MAX {
                best = i;
                best_value = value;
            }
        }
        taken[best] = true;
        order.push(best);
        let chosen: Vec<f64> = row(best).iter().map(|&v| f64::from(v)).collect();
        for (i, s) in s_dot.iter_mut().enumerate() {
            *s += dot(row(i), &chosen);
        }
    }
    order
}

impl CoresetMethod for Herding {
    fn name(&self) -> &'static str {
        "herding"
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
        let emb = context.model()?.embeddings(request.candidates)?;
        let order: Vec<usize> = herding_order(&emb.data, emb.rows, emb.cols, request.max_count())
            .into_iter()
            .map(|i| request.candidates[i])
            .collect();
        Ok(CoresetSelection::prefixes(&order, request.counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_pick_is_nearest_the_mean_then_it_balances() {
        // Points on a line at -2, -1, 0.1, 1, 2: mean 0.02. First pick 0.1 (nearest the
        // mean); then the pair mean is pulled back toward 0.02 by -1, then 1 ...
        let x = [-2.0f32, -1.0, 0.1, 1.0, 2.0];
        let order = herding_order(&x, 5, 1, 5);
        assert_eq!(order[0], 2);
        assert_eq!(order[1], 1, "{order:?}");
        assert_eq!(order[2], 3, "{order:?}");
        let mut all = order.clone();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2, 3, 4]);
    }
}
