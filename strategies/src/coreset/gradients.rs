//! Last-layer gradient embeddings, never materialised: for an example with softmax
//! output `p`, one-hot label `y` and penultimate features `h`, the gradient of the
//! cross-entropy with respect to the last linear layer's bias and weights is
//! `[g, g ⊗ h]` with `g = p - y` (length `C + C·D`). Inner products factorise:
//! `<[g_i, g_i⊗h_i], [g_j, g_j⊗h_j]> = <g_i, g_j> · (1 + <h_i, h_j>)`, so methods work
//! in `O(C + D)` per pair and `O(N·(C + D))` memory, as BADGE does in the active family.
//!
//! DeepCore divides each example's gradient by its loader batch's size (a mean-reduced
//! loss), which scales the last partial batch of every class up; sieve uses the
//! per-example gradient itself (docs/strategies.md).

use sieve_bench_core::{Matrix, ModelView, StrategyError};

use crate::linalg::check_shape;

/// Gradient embeddings of some rows of the training set (row `k` is `rows[k]`).
pub struct GradientEmbeddings {
    /// `p - y`, `rows x C`.
    pub residual: Matrix,
    /// Penultimate features `h`, `rows x D`.
    pub features: Matrix,
}

impl GradientEmbeddings {
    /// From the selection model's outputs for `rows` and the labels of every row.
    pub fn of(
        strategy: &str,
        model: &dyn ModelView,
        rows: &[usize],
        labels: &[u32],
    ) -> Result<Self, StrategyError> {
        let (mut residual, features) = model.probabilities_and_embeddings(rows)?;
        check_shape(
            strategy,
            "probabilities",
            &residual,
            rows.len(),
            Some(model.num_classes()),
        )?;
        if features.rows != rows.len() {
            return Err(StrategyError::Request {
                strategy: strategy.to_string(),
                message: format!(
                    "the model gave {} embeddings for {} rows",
                    features.rows,
                    rows.len()
                ),
            });
        }
        let classes = residual.cols;
        for (k, &row) in rows.iter().enumerate() {
            let label = labels[row] as usize;
            if label < classes {
                residual.data[k * classes + label] -= 1.0;
            }
        }
        Ok(Self { residual, features })
    }

    /// Number of embedded rows.
    pub fn len(&self) -> usize {
        self.residual.rows
    }

    /// Whether no rows are embedded.
    pub fn is_empty(&self) -> bool {
        self.residual.rows == 0
    }

    /// Length of a materialised gradient, `C + C·D`.
    pub fn dim(&self) -> usize {
        self.residual.cols * (1 + self.features.cols)
    }

    /// `<grad_a, grad_b>`.
    pub fn dot(&self, a: usize, b: usize) -> f64 {
        dot(self.residual.row(a), self.residual.row(b))
            * (1.0 + dot(self.features.row(a), self.features.row(b)))
    }

    /// `||grad_a||²`.
    pub fn norm_squared(&self, a: usize) -> f64 {
        self.dot(a, a)
    }

    /// `<grad_a, v>` for a materialised vector `v` (layout `[bias (C); W row-major (C x D)]`).
    pub fn dot_dense(&self, a: usize, v: &[f64]) -> f64 {
        let g = self.residual.row(a);
        let h = self.features.row(a);
        let (c, d) = (self.residual.cols, self.features.cols);
        let mut total = 0.0;
        for k in 0..c {
            let gk = f64::from(g[k]);
            let mut inner = v[k];
            let w = &v[c + k * d..c + (k + 1) * d];
            for (hj, wj) in h.iter().zip(w) {
                inner += f64::from(*hj) * wj;
            }
            total += gk * inner;
        }
        total
    }

    /// Adds `scale · grad_a` to a materialised vector.
    pub fn add_to(&self, a: usize, scale: f64, v: &mut [f64]) {
        let g = self.residual.row(a);
        let h = self.features.row(a);
        let (c, d) = (self.residual.cols, self.features.cols);
        for k in 0..c {
            let gk = f64::from(g[k]) * scale;
            v[k] += gk;
            for (j, hj) in h.iter().enumerate() {
                v[c + k * d + j] += gk * f64::from(*hj);
            }
        }
    }

    /// The mean gradient of all rows, materialised.
    pub fn mean(&self) -> Vec<f64> {
        let mut v = vec![0.0; self.dim()];
        if self.is_empty() {
            return v;
        }
        let scale = 1.0 / self.len() as f64;
        for a in 0..self.len() {
            self.add_to(a, scale, &mut v);
        }
        v
    }
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sieve_bench_core::FixedModelView;

    #[test]
    fn factorised_products_equal_the_materialised_gradients() {
        let probs = Matrix::from_rows(&[vec![0.7, 0.2, 0.1], vec![0.1, 0.6, 0.3]]);
        let emb = Matrix::from_rows(&[vec![1.0, -2.0], vec![0.5, 3.0]]);
        let view = FixedModelView {
            probabilities: probs,
            embeddings: emb,
            mc_samples: vec![],
        };
        let g = GradientEmbeddings::of("t", &view, &[0, 1], &[0, 2]).unwrap();
        let dense = |a: usize| {
            let mut v = vec![0.0; g.dim()];
            g.add_to(a, 1.0, &mut v);
            v
        };
        let (d0, d1) = (dense(0), dense(1));
        // Row 0: g = (-0.3, 0.2, 0.1), h = (1, -2): [g, g⊗h].
        let expected0 = [-0.3, 0.2, 0.1, -0.3, 0.6, 0.2, -0.4, 0.1, -0.2];
        for (x, y) in d0.iter().zip(expected0) {
            assert!((x - y).abs() < 1e-6, "{d0:?}");
        }
        let direct: f64 = d0.iter().zip(&d1).map(|(a, b)| a * b).sum();
        assert!((g.dot(0, 1) - direct).abs() < 1e-6);
        assert!((g.dot_dense(1, &d0) - direct).abs() < 1e-6);
        assert!((g.norm_squared(0) - d0.iter().map(|x| x * x).sum::<f64>()).abs() < 1e-6);
        let mean = g.mean();
        for k in 0..g.dim() {
            assert!((mean[k] - (d0[k] + d1[k]) / 2.0).abs() < 1e-6);
        }
    }
}
