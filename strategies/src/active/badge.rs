//! BADGE, batch active learning by diverse gradient embeddings (Ash et al., ICLR 2020):
//! k-means++ seeding on the last-layer gradient embeddings g_i = (p_i - e_ŷi) ⊗ h_i,
//! where p_i are the class probabilities, ŷi the predicted class and h_i the
//! penultimate embedding. Long gradients (uncertain examples) and spread-out
//! directions (diverse examples) are both favoured.
//!
//! The N x (C·D) gradient matrix is never formed. Every distance goes through
//! <g_i, g_j> = <a_i, a_j> · <h_i, h_j> with a_i = p_i - e_ŷi, so
//! |g_i - g_j|² = |a_i|²|h_i|² + |a_j|²|h_j|² - 2<a_i, a_j><h_i, h_j>:
//! O(C + D) work per pair and O(N·(C + D)) memory in all.
//!
//! As in the authors' code, the first centre is the example with the longest gradient
//! embedding (ties to the lower pool index); the rest are D²-sampled from the rng.
//! The labeled set is not used (the paper seeds on the unlabeled pool only).

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use crate::linalg::{argmax, check_shape, dot};
use crate::seeding::kmeans_pp;

/// k-means++ over factorised gradient embeddings.
#[derive(Debug, Default)]
pub struct Badge;

/// The two factors of every gradient embedding: `a` (rows p_i - e_ŷi, N x C) and the
/// embeddings `h` (N x D), with the squared norm of each g_i.
pub struct GradientFactors {
    pub classes: usize,
    pub a: Vec<f32>,
    pub width: usize,
    pub h: Vec<f32>,
    pub norm2: Vec<f64>,
}

impl GradientFactors {
    /// Builds the factors from row-major probabilities (`n x classes`) and embeddings
    /// (`n x width`).
    pub fn new(probs: &[f32], classes: usize, h: Vec<f32>, width: usize) -> Self {
        let mut a = probs.to_vec();
        if classes > 0 {
            for row in a.chunks_mut(classes) {
                let top = argmax(row);
                row[top] -= 1.0;
            }
        }
        let a_rows = a.chunks(classes.max(1));
        let h_rows = h.chunks(width.max(1));
        let norm2 = a_rows
            .zip(h_rows)
            .map(|(ai, hi)| dot(ai, ai) * dot(hi, hi))
            .collect();
        Self {
            classes,
            a,
            width,
            h,
            norm2,
        }
    }

    fn a(&self, i: usize) -> &[f32] {
        &self.a[i * self.classes..(i + 1) * self.classes]
    }

    fn h(&self, i: usize) -> &[f32] {
        &self.h[i * self.width..(i + 1) * self.width]
    }

    /// |g_i - g_j|², through the factorisation (clamped at 0 against rounding).
    pub fn squared_distance(&self, i: usize, j: usize) -> f64 {
        let inner = dot(self.a(i), self.a(j)) * dot(self.h(i), self.h(j));
        (self.norm2[i] + self.norm2[j] - 2.0 * inner).max(0.0)
    }

    /// Lowers `d2[i]` to the distance to centre `c`, one pass over the rows.
    pub fn lower(&self, c: usize, d2: &mut [f64]) {
        use rayon::prelude::*;
        let (ac, hc, nc) = (self.a(c), self.h(c), self.norm2[c]);
        // Parallel over points; each element is computed exactly as sequentially would.
        d2.par_iter_mut()
            .enumerate()
            .with_min_len(256)
            .for_each(|(i, d)| {
                let inner = dot(self.a(i), ac) * dot(self.h(i), hc);
                let dist = (self.norm2[i] + nc - 2.0 * inner).max(0.0);
                if dist < *d {
                    *d = dist;
                }
            });
    }
}

/// BADGE's selection on prepared factors: returns rows.
pub fn badge_rows(factors: &GradientFactors, count: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let n = factors.norm2.len();
    let mut first = None;
    for (i, &v) in factors.norm2.iter().enumerate() {
        if first.is_none_or(|f: usize| v > factors.norm2[f]) {
            first = Some(i);
        }
    }
    kmeans_pp(n, count, first, rng, |c, d2| factors.lower(c, d2))
}

impl Strategy for Badge {
    fn name(&self) -> &'static str {
        "badge"
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        let n = request.unlabeled.len();
        let (probs, emb) = model.probabilities_and_embeddings(request.unlabeled)?;
        check_shape(self.name(), "probabilities", &probs, n, None)?;
        check_shape(self.name(), "embeddings", &emb, n, None)?;
        let factors = GradientFactors::new(&probs.data, probs.cols, emb.data, emb.cols);
        drop(probs);
        let rows = badge_rows(&factors, request.count, rng);
        Ok(rows.into_iter().map(|r| request.unlabeled[r]).collect())
    }
}
