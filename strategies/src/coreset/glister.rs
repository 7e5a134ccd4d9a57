//! `glister`: GLISTER (Killamsetty et al. 2021, "GLISTER: generalization based data
//! subset selection for efficient and robust learning"), one-shot per candidates set as
//! DeepCore's `Glister` intends to run it.
//!
//! The paper selects, every few epochs, the subset that maximises the validation
//! log-likelihood after a gradient step on the subset. With a first-order Taylor
//! approximation the gain of adding `x` is `η·<grad_x, G_V>` (`grad_x` the gradient of
//! `x`'s training loss, `G_V` that of the validation loss, at the current parameters),
//! maximised greedily; after each pick the parameters take one gradient step on the
//! subset so that the next gains see the updated validation gradient. DeepCore runs it once after
//! training the selection model, per class, on the last layer: gains
//! `<grad_x, mean validation gradient>` with last-layer gradient embeddings, and a state
//! update that moves the validation logits by `Δz_v = -η·(ḡ_b + ḡ_W h_v)`, with
//! `ḡ = [ḡ_b, ḡ_W]` the mean last-layer gradient of the selected rows, and recomputes
//! the mean validation gradient at the new logits.
//!
//! **DeepCore never runs its state update**: it passes `upadate_state=` (a typo) to the
//! optimizer, which swallows the misspelled keyword, so gains stay static, `eta` is
//! unused, and the selection is the top-`budget` rows by `<grad_x, mean gradient>`.
//! Sieve runs the update it intends: after the `t`-th pick, with `S` the picks so far,
//! `Δz_v = -η·mean_{s∈S} g_s·(1 + <h_s, h_v>)` (the factorised `ḡ_b + ḡ_W h_v`), the
//! validation probabilities become `p'_v = softmax(ln p_v + Δz_v)`, the residuals
//! `g'_v = p'_v - y_v`, and `G_V = mean_v [g'_v, g'_v ⊗ h_v]`; gains are
//! `<[g_x, g_x⊗h_x], G_V>` with `x`'s own gradient at the selection model (as DeepCore's
//! `train_grads`). `eta` defaults to 0.1 (DeepCore's `args.lr`).
//!
//! Other choices:
//! - The validation set is the candidates themselves: DeepCore's `main.py` passes no
//!   validation set and `Glister` falls back to the training set, i.e. each class's own
//!   examples when classes are balanced.
//! - **Plain greedy** (every gain re-evaluated at every step) instead of DeepCore's lazy
//!   greedy: with the state update the gains are not guaranteed to shrink, so lazy
//!   greedy's stale bounds could skip the true best; a step of plain greedy costs
//!   `O(rows·C·D)`, the same order as the state update itself. Ties go to the lower row.
//! - Per-example gradients, without DeepCore's `1/batch` scaling ([`super::gradients`]),
//!   both in the gains and in the logit update. The step is therefore not DeepCore's:
//!   its intended update moves the logits by `η·mean(g/B)·(...)` with `B` its batch of
//!   256, an effective step of `η/B` (about 4e-4 at `η = 0.1`) on per-example gradients,
//!   which would leave the gains nearly static; sieve's `eta` (DeepCore's nominal 0.1)
//!   applies to per-example gradients. The step uses the mean over `S`
//!   (DeepCore's intent); the paper writes the inner step with the training loss over
//!   `S`, which grows with `|S|`.
//! - [`glister_order`] with `eta = 0` gives the static order DeepCore actually runs (the
//!   registry refuses `eta <= 0`; the function is public for comparisons).

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, SelectionContext, StrategyError,
};

use super::gradients::GradientEmbeddings;
use super::greedy::argmax_where;
use super::similarity::{dense_dot, dot_f64};
use crate::params::{in_range, ValidateParams};
use crate::ranking::rank;

/// Parameters of `glister`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GlisterParams {
    /// Step size of the one-step last-layer update (DeepCore: the training lr, 0.1).
    pub eta: f64,
}

impl Default for GlisterParams {
    fn default() -> Self {
        Self { eta: 0.1 }
    }
}

impl ValidateParams for GlisterParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        in_range(strategy, "eta", self.eta, (0.0, true), f64::MAX)
    }
}

/// GLISTER selection.
#[derive(Debug, Default)]
pub struct Glister {
    pub params: GlisterParams,
}

/// Rows per block when summing the validation gradient (fixed, so sums do not depend
/// on the thread count).
fn block_rows(n: usize) -> usize {
    n.div_ceil(64).max(128)
}

/// `mean_v [g_v, g_v ⊗ h_v]` for residuals `g` (`n x c`, f64) and the embeddings' features.
fn mean_gradient(g: &[f64], c: usize, grads: &GradientEmbeddings) -> Vec<f64> {
    let n = grads.len();
    let d = grads.features.cols;
    let dim = c * (1 + d);
    if n == 0 {
        return vec![0.0; dim];
    }
    let block = block_rows(n);
    let partials: Vec<Vec<f64>> = (0..n.div_ceil(block))
        .into_par_iter()
        .map(|b| {
            let mut v = vec![0.0; dim];
            for row in b * block..((b + 1) * block).min(n) {
                let h = grads.features.row(row);
                for k in 0..c {
                    let gk = g[row * c + k];
                    v[k] += gk;
                    let w = &mut v[c + k * d..c + (k + 1) * d];
                    for (wj, hj) in w.iter_mut().zip(h) {
                        *wj += gk * f64::from(*hj);
                    }
                }
            }
            v
        })
        .collect();
    let mut total = vec![0.0; dim];
    for p in partials {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    let scale = 1.0 / n as f64;
    total.iter_mut().for_each(|t| *t *= scale);
    total
}

/// The GLISTER order of `count` rows of `grads` (indices into its rows); `labels[i]` is
/// row `i`'s label. `eta = 0` gives DeepCore's static order.
pub fn glister_order(
    grads: &GradientEmbeddings,
    labels: &[u32],
    eta: f64,
    count: usize,
) -> Vec<usize> {
    let n = grads.len();
    let c = grads.residual.cols;
    let count = count.min(n);
    if count == 0 {
        return Vec::new();
    }
    let initial: Vec<f64> = grads.residual.data.iter().map(|&v| f64::from(v)).collect();
    let target = mean_gradient(&initial, c, grads);
    let gains_for = |target: &[f64]| -> Vec<f64> {
        (0..n)
            .into_par_iter()
            .map(|x| dense_dot(grads, x, target))
            .collect()
    };
    let mut gains = gains_for(&target);
    if eta == 0.0 {
        let positions: Vec<usize> = (0..n).collect();
        let mut order = rank(&positions, &gains, true);
        order.truncate(count);
        return order;
    }
    let onehot = |row: usize, k: usize| -> f64 {
        if labels[row] as usize == k {
            1.0
        } else {
            0.0
        }
    };
    // The selection model's probabilities, recovered from p - y.
    let probabilities: Vec<f64> = (0..n * c)
        .map(|i| (initial[i] + onehot(i / c, i % c)).max(0.0))
        .collect();
    // shift[v] = Σ_{s∈S} g_s (1 + <h_s, h_v>), so Δz_v = -η·shift[v] / |S|.
    let mut shift = vec![0.0f64; n * c];
    let mut residual = vec![0.0f64; n * c];
    let mut taken = vec![false; n];
    let mut order = Vec::with_capacity(count);
    for t in 0..count {
        let Some(x) = argmax_where(&gains, |i| !taken[i]) else {
            break;
        };
        taken[x] = true;
        order.push(x);
        if t + 1 == count {
            break;
        }
        let gx = grads.residual.row(x);
        let hx = grads.features.row(x);
        let picked = (t + 1) as f64;
        shift
            .par_chunks_mut(c.max(1))
            .zip(residual.par_chunks_mut(c.max(1)))
            .enumerate()
            .for_each(|(v, (shift_v, residual_v))| {
                let factor = 1.0 + dot_f64(hx, grads.features.row(v));
                for (s, &g) in shift_v.iter_mut().zip(gx) {
                    *s += f64::from(g) * factor;
                }
                // p'_v ∝ p_v · exp(Δz_v), computed stably.
                let delta: Vec<f64> = shift_v.iter().map(|s| -eta * s / picked).collect();
                let top = delta.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let p = &probabilities[v * c..(v + 1) * c];
                let unnormalised: Vec<f64> = p
                    .iter()
                    .zip(&delta)
                    .map(|(p, d)| p * (d - top).exp())
                    .collect();
                let total: f64 = unnormalised.iter().sum();
                for (k, r) in residual_v.iter_mut().enumerate() {
                    let q = if total > 0.0 && total.is_finite() {
                        unnormalised[k] / total
                    } else {
                        1.0 / c as f64
                    };
                    *r = q - onehot(v, k);
                }
            });
        let target = mean_gradient(&residual, c, grads);
        gains = gains_for(&target);
    }
    order
}

impl CoresetMethod for Glister {
    fn name(&self) -> &'static str {
        "glister"
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
        let budget = request.max_count().min(request.candidates.len());
        if budget == 0 {
            return Ok(CoresetSelection::prefixes(&[], request.counts));
        }
        let grads = GradientEmbeddings::of(
            self.name(),
            context.model()?,
            request.candidates,
            request.labels,
        )?;
        let labels: Vec<u32> = request
            .candidates
            .iter()
            .map(|&row| request.labels[row])
            .collect();
        let order: Vec<usize> = glister_order(&grads, &labels, self.params.eta, budget)
            .into_iter()
            .map(|i| request.candidates[i])
            .collect();
        Ok(CoresetSelection::prefixes(&order, request.counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sieve_bench_core::Matrix;

    #[test]
    fn the_logit_update_matches_a_materialised_last_layer_step() {
        // After one pick, Δz_v = -η (ḡ_b + ḡ_W h_v) with ḡ the picked gradient.
        let g = GradientEmbeddings {
            residual: Matrix::from_rows(&[vec![-0.4, 0.3, 0.1], vec![0.2, -0.5, 0.3]]),
            features: Matrix::from_rows(&[vec![1.0, 2.0], vec![-0.5, 0.7]]),
        };
        let mut dense = vec![0.0; g.dim()];
        g.add_to(0, 1.0, &mut dense);
        let (c, d) = (3, 2);
        for v in 0..2 {
            let h = g.features.row(v);
            for k in 0..c {
                let materialised = dense[k]
                    + (0..d)
                        .map(|j| dense[c + k * d + j] * f64::from(h[j]))
                        .sum::<f64>();
                let factorised =
                    f64::from(g.residual.row(0)[k]) * (1.0 + dot_f64(g.features.row(0), h));
                assert!((materialised - factorised).abs() < 1e-9);
            }
        }
        // And the mean gradient helper agrees with GradientEmbeddings::mean.
        let residual: Vec<f64> = g.residual.data.iter().map(|&v| f64::from(v)).collect();
        let ours = mean_gradient(&residual, c, &g);
        for (a, b) in ours.iter().zip(g.mean()) {
            assert!((a - b).abs() < 1e-9);
        }
    }
}
