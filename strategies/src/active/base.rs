//! BASE, balanced selection (Emam et al., "Active Learning at the ImageNet Scale", 2021),
//! as in the authors' code (zeyademam/active_learning, `base_sampler.py` on top of
//! `mase_sampler.py`).
//!
//! Distance to the boundary between the predicted class ŷ and class c, in the feature
//! space the linear head reads: the smallest perturbation of the embedding e that makes
//! the two logits equal, r_c(x) = (z_ŷ - z_c) / ‖w_ŷ - w_c‖ (∞ for c = ŷ, and where the
//! two weight rows coincide). Its smallest value over c is the example's margin m(x).
//!
//! Class c in turn, c = 0, 1, ..., C-1, takes its whole quota (⌊b/C⌋, one more for the
//! first b mod C classes) of the examples not yet taken with the smallest
//! d_c(x) = m(x) if ŷ(x) = c, else r_c(x): the examples predicted as c closest to any
//! boundary, and the others closest to c's. Ties go to the lower pool index.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{LinearHead, Matrix, ModelView, SelectionRequest, Strategy, StrategyError};

use crate::linalg::check_shape;

/// Class-balanced selection closest to each class's decision boundary.
#[derive(Debug, Default)]
pub struct BalancedSelection;

/// Per example: predicted class and r_c for every class (`rows x C`).
pub struct BoundaryDistances {
    pub predicted: Vec<usize>,
    pub radius: Matrix,
}

impl BoundaryDistances {
    /// m(x): the distance to the nearest boundary.
    pub fn margin(&self, row: usize) -> f32 {
        self.radius
            .row(row)
            .iter()
            .copied()
            .fold(f32::INFINITY, f32::min)
    }
}

/// r_c(x) = (z_ŷ - z_c) / ‖w_ŷ - w_c‖ for every embedding row and class.
pub fn boundary_distances(embeddings: &Matrix, head: &LinearHead) -> BoundaryDistances {
    let classes = head.weights.rows;
    // ‖w_a - w_c‖ for every pair, once.
    let mut norms = vec![0f64; classes * classes];
    for a in 0..classes {
        for c in 0..classes {
            norms[a * classes + c] = head
                .weights
                .row(a)
                .iter()
                .zip(head.weights.row(c))
                .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
                .sum::<f64>()
                .sqrt();
        }
    }
    let mut predicted = Vec::with_capacity(embeddings.rows);
    let mut radius = Vec::with_capacity(embeddings.rows * classes);
    for e in embeddings.iter_rows() {
        let z = head.logits(e);
        let top = crate::linalg::argmax(&z);
        predicted.push(top);
        for (c, &zc) in z.iter().enumerate() {
            let norm = norms[top * classes + c];
            let r = if c == top || norm == 0.0 {
                f64::INFINITY
            } else {
                (z[top] - zc) / norm
            };
            radius.push(r as f32);
        }
    }
    BoundaryDistances {
        predicted,
        radius: Matrix::new(embeddings.rows, classes, radius),
    }
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
        let head = model.linear_head()?;
        let embeddings = model.embeddings(request.unlabeled)?;
        check_shape(
            self.name(),
            "embeddings",
            &embeddings,
            n,
            Some(head.weights.cols),
        )?;
        let distances = boundary_distances(&embeddings, &head);
        let classes = head.weights.rows.max(1);
        let margins: Vec<f32> = (0..n).map(|i| distances.margin(i)).collect();
        let mut taken = vec![false; n];
        let mut picks = Vec::with_capacity(count);
        for c in 0..classes {
            let quota = count / classes + usize::from(c < count % classes);
            if quota == 0 {
                continue;
            }
            let mut order: Vec<usize> = (0..n).filter(|&i| !taken[i]).collect();
            let distance = |i: usize| {
                if distances.predicted[i] == c {
                    margins[i]
                } else {
                    distances.radius.row(i)[c]
                }
            };
            order.sort_by(|&a, &b| {
                crate::ranking::ascending_nan_last(f64::from(distance(a)), f64::from(distance(b)))
                    .then(a.cmp(&b))
            });
            for &i in order.iter().take(quota) {
                taken[i] = true;
                picks.push(request.unlabeled[i]);
            }
        }
        Ok(picks)
    }
}
