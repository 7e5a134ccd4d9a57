//! SIMILAR's similarity: `0.5 + 0.5·cos(g_a, g_b)` between last-layer gradient
//! embeddings (as sieve's submodular coreset methods: non-negative, so the information
//! measures keep the monotonicity SIMILAR's guarantees assume), never materialised:
//! inner products factorise through `<p_a − y_a, p_b − y_b> · (1 + <h_a, h_b>)`.
//! A zero gradient (a confident, correct example) is orthogonal to every other.

use sieve_bench_core::{ModelView, StrategyError};

use super::functions::Similarity;
use crate::coreset::gradients::GradientEmbeddings;
use crate::coreset::similarity::{combine, dense_dot, gradient_dot};
use crate::linalg::{argmax, check_shape};

/// The gradient cosine kernel over the rows `[unlabeled | query | private]`.
pub struct GradientKernel {
    grads: GradientEmbeddings,
    norms: Vec<f64>,
    /// Rows `0..unlabeled` are the unlabeled pool (the ground set V).
    unlabeled: usize,
}

impl GradientKernel {
    /// Embeds the rows: hypothesised labels (the model's argmax) for the unlabeled and
    /// private examples, `query_labels` (the annotations) for the query examples.
    pub fn new(
        strategy: &str,
        model: &dyn ModelView,
        unlabeled: &[usize],
        query: &[usize],
        query_labels: &[Option<u32>],
        private: &[usize],
    ) -> Result<Self, StrategyError> {
        let rows: Vec<usize> = unlabeled
            .iter()
            .chain(query)
            .chain(private)
            .copied()
            .collect();
        let classes = model.num_classes();
        let (mut residual, features) = model.probabilities_and_embeddings(&rows)?;
        check_shape(
            strategy,
            "probabilities",
            &residual,
            rows.len(),
            Some(classes),
        )?;
        check_shape(strategy, "embeddings", &features, rows.len(), None)?;
        for k in 0..rows.len() {
            let q = k.checked_sub(unlabeled.len()).filter(|&q| q < query.len());
            let label = match q {
                Some(q) => query_labels[q].map(|c| c as usize),
                None => Some(argmax(residual.row(k))),
            };
            if let Some(label) = label.filter(|&l| l < classes) {
                residual.data[k * classes + label] -= 1.0;
            }
        }
        let grads = GradientEmbeddings { residual, features };
        let norms = (0..rows.len())
            .map(|a| gradient_dot(&grads, a, a).max(0.0).sqrt())
            .collect();
        Ok(Self {
            grads,
            norms,
            unlabeled: unlabeled.len(),
        })
    }

    /// `Σ_{i∈V} s_ix` for each candidate row x, V the unlabeled rows: `0.5·|V| +
    /// 0.5·<Σ_i g_i/|g_i|, g_x>/|g_x|`, in O(|V|·C·D) instead of O(|V|²).
    pub fn column_sums(&self, candidates: &[usize]) -> Vec<f64> {
        let rows: Vec<usize> = (0..self.unlabeled).collect();
        let scales: Vec<f64> = rows
            .iter()
            .map(|&i| {
                if self.norms[i] > 0.0 {
                    1.0 / self.norms[i]
                } else {
                    0.0
                }
            })
            .collect();
        let total = combine(&self.grads, &rows, &scales);
        candidates
            .iter()
            .map(|&x| {
                let cos_sum = if self.norms[x] > 0.0 {
                    dense_dot(&self.grads, x, &total) / self.norms[x]
                } else {
                    0.0
                };
                0.5 * self.unlabeled as f64 + 0.5 * cos_sum
            })
            .collect()
    }
}

impl Similarity for GradientKernel {
    fn sim(&self, a: usize, b: usize) -> f64 {
        let scale = self.norms[a] * self.norms[b];
        let cos = if scale > 0.0 {
            (gradient_dot(&self.grads, a, b) / scale).clamp(-1.0, 1.0)
        } else {
            0.0
        };
        0.5 + 0.5 * cos
    }
}
