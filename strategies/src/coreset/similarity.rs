//! Dense similarity matrices over the candidates, shared by the submodular coreset
//! methods. Both kernels work on last-layer gradient embeddings
//! ([`GradientEmbeddings`]) through their factorised inner products, never materialising
//! a gradient:
//!
//! - [`cosine_kernel`]: `s_ij = 0.5 + 0.5·cos(grad_i, grad_j)`, in `[0, 1]` (DeepCore's
//!   `cossim_np`, used by its `Submodular` methods). DeepCore divides by the norms
//!   without a guard, so a zero gradient (a prediction exactly equal to its one-hot
//!   label) gives NaN; sieve treats a zero gradient as a unit vector orthogonal to every
//!   other gradient: `s_ii = 1` and `s_ij = 0.5` for `j ≠ i`, which keeps the matrix
//!   positive semi-definite.
//! - [`craig_similarity`]: `s_ij = (max D - D_ij) + 1e-3` with `D` the pairwise Euclidean
//!   distance between gradients and the maximum taken over all pairs of the candidates
//!   (DeepCore's `Craig`). `D_ij² = ||g_i||² + ||g_j||² - 2<g_i, g_j>`, clamped below at
//!   `1e-12` before the square root as DeepCore's `euclidean_dist_pair_np` does.
//!
//! The matrices are `n x n` f32 (`4·n²` bytes): fine per class, refused above
//! [`MAX_DENSE_CANDIDATES`] candidates with an error that names the memory needed.
//! Products are accumulated in f64 and each entry is computed by one thread, so results
//! do not depend on the thread count.

use rayon::prelude::*;
use sieve_bench_core::StrategyError;

use super::gradients::GradientEmbeddings;

/// The most candidates a dense similarity matrix is built for (20,000: 1.6 GB).
pub const MAX_DENSE_CANDIDATES: usize = 20_000;

/// Refuses `n` candidates when the dense `n x n` matrix would be too large.
pub(crate) fn check_dense(strategy: &str, n: usize) -> Result<(), StrategyError> {
    if n > MAX_DENSE_CANDIDATES {
        let gib = (n as f64) * (n as f64) * 4.0 / f64::from(1u32 << 30);
        return Err(StrategyError::Request {
            strategy: strategy.to_string(),
            message: format!(
                "{n} candidates would need a dense {n} x {n} similarity matrix ({gib:.1} GiB \
                 of f32); at most {MAX_DENSE_CANDIDATES} candidates are supported (select per \
                 class, with balanced classes, to keep each call small)"
            ),
        });
    }
    Ok(())
}

/// A dense symmetric `n x n` matrix, row-major.
pub(crate) struct Dense {
    pub n: usize,
    pub data: Vec<f32>,
}

impl Dense {
    /// Row `i` (equal to column `i`).
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.n..(i + 1) * self.n]
    }

    /// Entry `(i, j)`.
    pub fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.n + j]
    }
}

/// Dot product of two f32 slices accumulated in four f64 lanes (fixed order).
pub(crate) fn dot_f64(a: &[f32], b: &[f32]) -> f64 {
    let mut lanes = [0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            lanes[k] += f64::from(x[k]) * f64::from(y[k]);
        }
    }
    let mut total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (x, y) in ra.iter().zip(rb) {
        total += f64::from(*x) * f64::from(*y);
    }
    total
}

/// Dot product of two f64 slices in four lanes (fixed order).
pub(crate) fn dot_lanes(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            lanes[k] += x[k] * y[k];
        }
    }
    let mut total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (x, y) in ra.iter().zip(rb) {
        total += x * y;
    }
    total
}

/// `<grad_i, grad_j>` from the factorised form, with [`dot_f64`].
pub(crate) fn gradient_dot(grads: &GradientEmbeddings, i: usize, j: usize) -> f64 {
    dot_f64(grads.residual.row(i), grads.residual.row(j))
        * (1.0 + dot_f64(grads.features.row(i), grads.features.row(j)))
}

/// `<grad_a, v>` for a materialised vector `v` (layout `[bias (C); W row-major (C x D)]`),
/// as [`GradientEmbeddings::dot_dense`] but with the inner sums in four f64 lanes.
pub(crate) fn dense_dot(grads: &GradientEmbeddings, a: usize, v: &[f64]) -> f64 {
    let g = grads.residual.row(a);
    let h = grads.features.row(a);
    let (c, d) = (grads.residual.cols, grads.features.cols);
    let mut total = 0.0;
    for (k, &gk) in g.iter().enumerate() {
        if gk == 0.0 {
            continue;
        }
        let w = &v[c + k * d..c + (k + 1) * d];
        let mut lanes = [0f64; 4];
        let (ch, cw) = (h.chunks_exact(4), w.chunks_exact(4));
        let (rh, rw) = (ch.remainder(), cw.remainder());
        for (x, y) in ch.zip(cw) {
            for l in 0..4 {
                lanes[l] += f64::from(x[l]) * y[l];
            }
        }
        let mut inner = v[k] + (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        for (x, y) in rh.iter().zip(rw) {
            inner += f64::from(*x) * y;
        }
        total += f64::from(gk) * inner;
    }
    total
}

/// `Σ_t coefficients[t] · grad_{rows[t]}`, materialised, in parallel over classes.
pub(crate) fn combine(
    grads: &GradientEmbeddings,
    rows: &[usize],
    coefficients: &[f64],
) -> Vec<f64> {
    let (c, d) = (grads.residual.cols, grads.features.cols);
    let blocks: Vec<(f64, Vec<f64>)> = (0..c)
        .into_par_iter()
        .map(|k| {
            let mut bias = 0.0;
            let mut w = vec![0.0; d];
            for (&row, &x) in rows.iter().zip(coefficients) {
                let scale = f64::from(grads.residual.row(row)[k]) * x;
                if scale == 0.0 {
                    continue;
                }
                bias += scale;
                for (wj, hj) in w.iter_mut().zip(grads.features.row(row)) {
                    *wj += scale * f64::from(*hj);
                }
            }
            (bias, w)
        })
        .collect();
    let mut v = vec![0.0; c * (1 + d)];
    for (k, (bias, w)) in blocks.into_iter().enumerate() {
        v[k] = bias;
        v[c + k * d..c + (k + 1) * d].copy_from_slice(&w);
    }
    v
}

/// Rows per parallel task and columns per cache tile.
const ROW_BLOCK: usize = 16;
const COL_BLOCK: usize = 128;

/// The symmetric matrix `m_ij = value(i, j)` (called once per pair `i <= j`), filled
/// tile by tile in parallel over blocks of rows, then mirrored.
fn symmetric(n: usize, value: impl Fn(usize, usize) -> f32 + Sync) -> Dense {
    let mut data = vec![0f32; n * n];
    if n == 0 {
        return Dense { n, data };
    }
    data.par_chunks_mut(n * ROW_BLOCK)
        .enumerate()
        .for_each(|(block, rows)| {
            let first = block * ROW_BLOCK;
            let count = rows.len() / n;
            let mut start = first;
            while start < n {
                let end = (start + COL_BLOCK).min(n);
                for r in 0..count {
                    let i = first + r;
                    let row = &mut rows[r * n..(r + 1) * n];
                    for (j, slot) in row.iter_mut().enumerate().take(end).skip(start.max(i)) {
                        *slot = value(i, j);
                    }
                }
                start = end;
            }
        });
    // Mirror the upper triangle into the lower one, tile by tile.
    const TILE: usize = 64;
    for bi in (0..n).step_by(TILE) {
        for bj in (0..=bi).step_by(TILE) {
            for i in bi..(bi + TILE).min(n) {
                for j in bj..(bj + TILE).min(i) {
                    data[i * n + j] = data[j * n + i];
                }
            }
        }
    }
    Dense { n, data }
}

/// `0.5 + 0.5·cos(grad_i, grad_j)` for every pair of rows of `grads`.
pub(crate) fn cosine_kernel(grads: &GradientEmbeddings) -> Dense {
    let norms: Vec<f64> = (0..grads.len())
        .map(|i| gradient_dot(grads, i, i).max(0.0).sqrt())
        .collect();
    symmetric(grads.len(), |i, j| {
        if i == j {
            return 1.0;
        }
        let denominator = norms[i] * norms[j];
        if denominator <= 0.0 || !denominator.is_finite() {
            return 0.5;
        }
        let cos = (gradient_dot(grads, i, j) / denominator).clamp(-1.0, 1.0);
        (0.5 + 0.5 * cos) as f32
    })
}

/// CRAIG's similarity `(max D - D_ij) + 1e-3` for every pair of rows of `grads`.
pub(crate) fn craig_similarity(grads: &GradientEmbeddings) -> Dense {
    let squared: Vec<f64> = (0..grads.len())
        .map(|i| gradient_dot(grads, i, i))
        .collect();
    let mut m = symmetric(grads.len(), |i, j| {
        let d2 = squared[i] + squared[j] - 2.0 * gradient_dot(grads, i, j);
        d2.max(1e-12).sqrt() as f32
    });
    let max = m.data.iter().copied().fold(0f32, f32::max);
    m.data.par_iter_mut().for_each(|d| *d = (max - *d) + 1e-3);
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use sieve_bench_core::Matrix;

    fn grads(residual: Vec<Vec<f32>>, features: Vec<Vec<f32>>) -> GradientEmbeddings {
        GradientEmbeddings {
            residual: Matrix::from_rows(&residual),
            features: Matrix::from_rows(&features),
        }
    }

    #[test]
    fn kernels_match_the_materialised_gradients() {
        let n = 37;
        let residual: Vec<Vec<f32>> = (0..n)
            .map(|i| vec![(i as f32 * 0.37).sin(), (i as f32 * 0.11).cos() - 0.5, 0.1])
            .collect();
        let features: Vec<Vec<f32>> = (0..n)
            .map(|i| (0..5).map(|k| ((i * 5 + k) as f32 * 0.3).sin()).collect())
            .collect();
        let g = grads(residual, features);
        let dense: Vec<Vec<f64>> = (0..n)
            .map(|a| {
                let mut v = vec![0.0; g.dim()];
                g.add_to(a, 1.0, &mut v);
                v
            })
            .collect();
        let dot = |a: usize, b: usize| -> f64 {
            dense[a].iter().zip(&dense[b]).map(|(x, y)| x * y).sum()
        };
        let cos = cosine_kernel(&g);
        let craig = craig_similarity(&g);
        let dist = |a: usize, b: usize| (dot(a, a) + dot(b, b) - 2.0 * dot(a, b)).max(1e-12).sqrt();
        let max = (0..n)
            .flat_map(|a| (0..n).map(move |b| (a, b)))
            .map(|(a, b)| dist(a, b))
            .fold(0.0, f64::max);
        for a in 0..n {
            for b in 0..n {
                let expected = 0.5 + 0.5 * dot(a, b) / (dot(a, a) * dot(b, b)).sqrt();
                assert!((f64::from(cos.at(a, b)) - expected).abs() < 1e-5, "{a} {b}");
                let expected = max - dist(a, b) + 1e-3;
                assert!(
                    (f64::from(craig.at(a, b)) - expected).abs() < 1e-4,
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn dense_helpers_match_the_reference_ones() {
        let g = grads(
            vec![
                vec![0.3, -0.2, 0.0],
                vec![-0.5, 0.1, 0.4],
                vec![0.2, 0.2, -0.4],
            ],
            (0..3)
                .map(|i| (0..7).map(|k| ((i * 7 + k) as f32 * 0.9).sin()).collect())
                .collect(),
        );
        let v: Vec<f64> = (0..g.dim()).map(|i| (i as f64 * 0.37).cos()).collect();
        for a in 0..3 {
            assert!((dense_dot(&g, a, &v) - g.dot_dense(a, &v)).abs() < 1e-12);
        }
        let mut expected = vec![0.0; g.dim()];
        g.add_to(0, 0.7, &mut expected);
        g.add_to(2, -1.5, &mut expected);
        let got = combine(&g, &[0, 2], &[0.7, -1.5]);
        for (a, b) in got.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn zero_gradients_are_orthogonal_to_everything() {
        let g = grads(
            vec![vec![0.0, 0.0], vec![0.5, -0.5], vec![0.0, 0.0]],
            vec![vec![1.0], vec![2.0], vec![3.0]],
        );
        let s = cosine_kernel(&g);
        assert_eq!(s.row(0), &[1.0, 0.5, 0.5]);
        assert_eq!(s.row(1), &[0.5, 1.0, 0.5]);
    }

    #[test]
    fn too_many_candidates_are_refused_with_the_memory_named() {
        assert!(check_dense("t", MAX_DENSE_CANDIDATES).is_ok());
        let message = check_dense("t", 50_000).unwrap_err().to_string();
        assert!(message.contains("9.3 GiB"), "{message}");
    }
}
