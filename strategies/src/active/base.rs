//! BASE, balanced selection (Emam et al., "Active Learning at the ImageNet Scale", 2021):
//! the batch is split evenly over the classes, and each class takes the unlabeled
//! examples closest to *its* decision boundary, so rare classes get their share even
//! when the model seldom predicts them.
//!
//! Distance used here (the probability variant, since strategies see probabilities,
//! not the last layer's weights): for class c,
//! d_c(x) = |p_c(x) - max_{c' != c} p_c'(x)|. For an example predicted as c this is its
//! margin; for one predicted as ĉ != c it is how far p_c is from overtaking p_ĉ. The
//! paper's feature-space variant divides a logit gap by |w_ĉ - w_c|; both rank an
//! example by how close it is to flipping to or from class c.
//!
//! Selection is round-robin over classes 0, 1, ..., C-1: each class in turn takes its
//! closest example not taken yet (ties to the lower pool index). Every class ranks the
//! whole unlabeled pool, so a class never runs out before the pool does; the shares
//! are equal to within one, the first `count mod C` classes taking one more.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use crate::linalg::{argmax, check_shape, smallest_k};

/// Class-balanced selection closest to each class's decision boundary.
#[derive(Debug, Default)]
pub struct BalancedSelection;

/// d_c(x) for every class of one probability vector.
pub fn boundary_distances(p: &[f32]) -> Vec<f64> {
    if p.len() < 2 {
        return vec![0.0; p.len()];
    }
    let top = argmax(p);
    let mut second = f32::NEG_INFINITY;
    for (c, &v) in p.iter().enumerate() {
        if c != top && v > second {
            second = v;
        }
    }
    p.iter()
        .enumerate()
        .map(|(c, &v)| {
            let other = if c == top { second } else { p[top] };
            f64::from((v - other).abs())
        })
        .collect()
}

impl Strategy for BalancedSelection {
    fn name(&self) -> &'static str {
        "base"
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        let n = request.unlabeled.len();
        let count = request.count.min(n);
        let probs = model.probabilities(request.unlabeled)?;
        check_shape(self.name(), "probabilities", &probs, n, None)?;
        let classes = probs.cols.max(1);
        // Column-major distances: one ranking per class, O(N·C) memory.
        let mut by_class = vec![vec![0f64; n]; classes];
        for (i, row) in probs.iter_rows().enumerate() {
            for (c, d) in boundary_distances(row).into_iter().enumerate() {
                by_class[c][i] = d;
            }
        }
        let rankings: Vec<Vec<usize>> = by_class.iter().map(|d| smallest_k(d, n)).collect();
        drop(by_class);
        let mut cursor = vec![0usize; classes];
        let mut taken = vec![false; n];
        let mut picks = Vec::with_capacity(count);
        let mut c = 0;
        while picks.len() < count {
            let ranking = &rankings[c];
            while cursor[c] < n && taken[ranking[cursor[c]]] {
                cursor[c] += 1;
            }
            if let Some(&row) = ranking.get(cursor[c]) {
                taken[row] = true;
                picks.push(request.unlabeled[row]);
            }
            c = (c + 1) % classes;
        }
        Ok(picks)
    }
}
