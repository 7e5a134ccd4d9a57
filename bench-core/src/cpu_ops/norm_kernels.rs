//! Instance norm on plain `f32` rows: one row per (image, channel), `len` values each.
//! Forward keeps each row's mean and 1/σ; backward recomputes x̂ from them, so the
//! normalised activations are never stored. The statistics are biased (divide by `len`),
//! as PyTorch's `GroupNorm(C, C)` and burn's `InstanceNorm`.

use rayon::prelude::*;

/// Per-row statistics of the forward pass.
#[derive(Clone, Debug)]
pub(crate) struct RowStats {
    pub mean: Vec<f32>,
    pub inv_std: Vec<f32>,
}

/// `y = (x − mean) / sqrt(var + eps) · γ[ch] + β[ch]`, row `r` of channel `r % channels`.
pub(crate) fn forward(
    x: &[f32],
    len: usize,
    channels: usize,
    affine: Option<(&[f32], &[f32])>,
    eps: f64,
) -> (Vec<f32>, RowStats) {
    let rows = x.len() / len.max(1);
    let mut y = vec![0.0f32; x.len()];
    let mut mean = vec![0.0f32; rows];
    let mut inv_std = vec![0.0f32; rows];
    y.par_chunks_mut(len)
        .zip(mean.par_iter_mut().zip(inv_std.par_iter_mut()))
        .enumerate()
        .for_each(|(r, (out, (m, s)))| {
            let row = &x[r * len..(r + 1) * len];
            let mu = row.iter().map(|&v| f64::from(v)).sum::<f64>() / len as f64;
            let var = row
                .iter()
                .map(|&v| {
                    let d = f64::from(v) - mu;
                    d * d
                })
                .sum::<f64>()
                / len as f64;
            let inv = 1.0 / (var + eps).sqrt();
            let (g, b) = match affine {
                Some((gamma, beta)) => (
                    f64::from(gamma[r % channels]),
                    f64::from(beta[r % channels]),
                ),
                None => (1.0, 0.0),
            };
            let (scale, shift) = ((inv * g) as f32, (b - mu * inv * g) as f32);
            for (o, &v) in out.iter_mut().zip(row) {
                *o = v * scale + shift;
            }
            *m = mu as f32;
            *s = inv as f32;
        });
    (y, RowStats { mean, inv_std })
}

/// Gradients of the input and, when affine, of γ and β.
pub(crate) struct NormGradients {
    pub input: Option<Vec<f32>>,
    pub gamma: Option<Vec<f32>>,
    pub beta: Option<Vec<f32>>,
}

/// `dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))` per row; `dγ = Σ dy · x̂`,
/// `dβ = Σ dy` per channel, summed over images.
pub(crate) fn backward(
    x: &[f32],
    dy: &[f32],
    len: usize,
    channels: usize,
    gamma: Option<&[f32]>,
    stats: &RowStats,
    want_input: bool,
) -> NormGradients {
    let rows = x.len() / len.max(1);
    // Per row: Σ dy and Σ dy·x̂ (the only reductions backward needs).
    let sums: Vec<(f64, f64)> = (0..rows)
        .into_par_iter()
        .map(|r| {
            let (m, s) = (stats.mean[r], stats.inv_std[r]);
            let (xs, gs) = (&x[r * len..(r + 1) * len], &dy[r * len..(r + 1) * len]);
            xs.iter().zip(gs).fold((0.0, 0.0), |(a, b), (&v, &g)| {
                let xhat = f64::from((v - m) * s);
                (a + f64::from(g), b + f64::from(g) * xhat)
            })
        })
        .collect();
    let input = want_input.then(|| {
        let mut dx = vec![0.0f32; x.len()];
        dx.par_chunks_mut(len).enumerate().for_each(|(r, out)| {
            let (m, s) = (stats.mean[r], stats.inv_std[r]);
            let g = gamma.map_or(1.0, |gamma| gamma[r % channels]);
            let mean_dy = (sums[r].0 / len as f64) as f32;
            let mean_dy_xhat = (sums[r].1 / len as f64) as f32;
            let xs = &x[r * len..(r + 1) * len];
            let gs = &dy[r * len..(r + 1) * len];
            for ((o, &v), &d) in out.iter_mut().zip(xs).zip(gs) {
                let xhat = (v - m) * s;
                *o = g * s * (d - mean_dy - xhat * mean_dy_xhat);
            }
        });
        dx
    });
    let (gamma_grad, beta_grad) = match gamma {
        Some(_) => {
            let (mut dg, mut db) = (vec![0.0f64; channels], vec![0.0f64; channels]);
            for (r, &(sum_dy, sum_dy_xhat)) in sums.iter().enumerate() {
                db[r % channels] += sum_dy;
                dg[r % channels] += sum_dy_xhat;
            }
            (
                Some(dg.into_iter().map(|v| v as f32).collect()),
                Some(db.into_iter().map(|v| v as f32).collect()),
            )
        }
        None => (None, None),
    };
    NormGradients {
        input,
        gamma: gamma_grad,
        beta: beta_grad,
    }
}
