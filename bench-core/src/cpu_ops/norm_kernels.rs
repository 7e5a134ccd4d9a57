//! Instance norm on plain `f32` rows: one row per (image, channel), `len` values each.
//! Forward keeps each row's mean and 1/σ; backward recomputes x̂ from them, so the
//! normalised activations are never stored. The statistics are biased (divide by `len`),
//! as PyTorch's `GroupNorm(C, C)` and burn's `InstanceNorm`.
//!
//! The ConvNet's block continues with ReLU and a 2x2 average pool; with
//! [`Epilogue::ReluAvgPool`] those run inside the same pass over a row, so neither the
//! normalised nor the rectified map is ever materialised: backward rebuilds the ReLU mask
//! from the input and the row's kept scale and shift.

use std::borrow::Cow;

use rayon::prelude::*;

/// What follows the normalisation inside the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Epilogue {
    /// The normalised (and affine-transformed) values themselves.
    None,
    /// ReLU, then average pooling over 2x2 windows with stride 2 and no padding (a last
    /// odd row or column is dropped, as burn's and PyTorch's floor mode do), on rows that
    /// are `height x width` maps.
    ReluAvgPool { height: usize, width: usize },
}

impl Epilogue {
    /// Values per output row for an input row of `len` values.
    pub fn output_len(self, len: usize) -> usize {
        match self {
            Epilogue::None => len,
            Epilogue::ReluAvgPool { height, width } => (height / 2) * (width / 2),
        }
    }
}

/// Per-row statistics of the forward pass, and the row's `y = x·scale + shift` in f32
/// exactly as the forward pass applied it (backward's ReLU mask must match bit for bit).
#[derive(Clone, Debug)]
pub(crate) struct RowStats {
    pub mean: Vec<f32>,
    pub inv_std: Vec<f32>,
    pub scale: Vec<f32>,
    pub shift: Vec<f32>,
}

/// `y = (x − mean) / sqrt(var + eps) · γ[ch] + β[ch]`, row `r` of channel `r % channels`,
/// followed by `epilogue`.
pub(crate) fn forward(
    x: &[f32],
    len: usize,
    channels: usize,
    affine: Option<(&[f32], &[f32])>,
    eps: f64,
    epilogue: Epilogue,
) -> (Vec<f32>, RowStats) {
    let rows = x.len() / len.max(1);
    let out_len = epilogue.output_len(len);
    let mut y = vec![0.0f32; rows * out_len];
    let per_row: Vec<(f32, f32, f32, f32)> = y
        .par_chunks_mut(out_len.max(1))
        .enumerate()
        .map(|(r, out)| {
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
            match epilogue {
                Epilogue::None => {
                    for (o, &v) in out.iter_mut().zip(row) {
                        *o = v * scale + shift;
                    }
                }
                Epilogue::ReluAvgPool { width, .. } => {
                    relu_avg_pool_row(row, width, scale, shift, out);
                }
            }
            (mu as f32, inv as f32, scale, shift)
        })
        .collect();
    let mut stats = RowStats {
        mean: Vec::with_capacity(rows),
        inv_std: Vec::with_capacity(rows),
        scale: Vec::with_capacity(rows),
        shift: Vec::with_capacity(rows),
    };
    for (m, s, a, b) in per_row {
        stats.mean.push(m);
        stats.inv_std.push(s);
        stats.scale.push(a);
        stats.shift.push(b);
    }
    (y, stats)
}

/// One map's `avgpool2x2(relu(x·scale + shift))` into `out` (`height/2 x width/2`).
fn relu_avg_pool_row(row: &[f32], width: usize, scale: f32, shift: f32, out: &mut [f32]) {
    let out_w = width / 2;
    let rect = |v: f32| (v * scale + shift).max(0.0);
    for (i, out_row) in out.chunks_mut(out_w.max(1)).enumerate() {
        let top = &row[2 * i * width..2 * i * width + width];
        let bottom = &row[(2 * i + 1) * width..(2 * i + 2) * width];
        for (j, o) in out_row.iter_mut().enumerate() {
            let sum = rect(top[2 * j])
                + rect(top[2 * j + 1])
                + rect(bottom[2 * j])
                + rect(bottom[2 * j + 1]);
            *o = sum * 0.25;
        }
    }
}

/// The gradient reaching the normalised row: `dy` itself, or, through the ReLU and the
/// pool, `dpool/4` at the unmasked positions of each window and zero elsewhere.
fn row_upstream<'a>(
    dy: &'a [f32],
    row: &[f32],
    scale: f32,
    shift: f32,
    epilogue: Epilogue,
) -> Cow<'a, [f32]> {
    match epilogue {
        Epilogue::None => Cow::Borrowed(dy),
        Epilogue::ReluAvgPool { height, width } => {
            let (out_h, out_w) = (height / 2, width / 2);
            let mut full = vec![0.0f32; row.len()];
            for h in 0..2 * out_h {
                for w in 0..2 * out_w {
                    let at = h * width + w;
                    if row[at] * scale + shift > 0.0 {
                        full[at] = dy[(h / 2) * out_w + w / 2] * 0.25;
                    }
                }
            }
            Cow::Owned(full)
        }
    }
}

/// Gradients of the input and, when affine, of γ and β.
pub(crate) struct NormGradients {
    pub input: Option<Vec<f32>>,
    pub gamma: Option<Vec<f32>>,
    pub beta: Option<Vec<f32>>,
}

/// With `dy` the gradient reaching the normalised values (after undoing `epilogue`):
/// `dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))` per row; `dγ = Σ dy · x̂`,
/// `dβ = Σ dy` per channel, summed over images.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward(
    x: &[f32],
    dy: &[f32],
    len: usize,
    channels: usize,
    gamma: Option<&[f32]>,
    stats: &RowStats,
    epilogue: Epilogue,
    want_input: bool,
) -> NormGradients {
    let rows = x.len() / len.max(1);
    let out_len = epilogue.output_len(len);
    // One task per row: its upstream gradient, the two reductions, then (if wanted) dx.
    let row_gradient = |r: usize, dx: Option<&mut [f32]>| -> (f64, f64) {
        let (m, s) = (stats.mean[r], stats.inv_std[r]);
        let xs = &x[r * len..(r + 1) * len];
        let gs = row_upstream(
            &dy[r * out_len..(r + 1) * out_len],
            xs,
            stats.scale[r],
            stats.shift[r],
            epilogue,
        );
        let (sum_dy, sum_dy_xhat) =
            xs.iter()
                .zip(gs.iter())
                .fold((0.0, 0.0), |(a, b), (&v, &g)| {
                    let xhat = f64::from((v - m) * s);
                    (a + f64::from(g), b + f64::from(g) * xhat)
                });
        if let Some(out) = dx {
            let g = gamma.map_or(1.0, |gamma| gamma[r % channels]);
            let mean_dy = (sum_dy / len as f64) as f32;
            let mean_dy_xhat = (sum_dy_xhat / len as f64) as f32;
            for ((o, &v), &d) in out.iter_mut().zip(xs).zip(gs.iter()) {
                let xhat = (v - m) * s;
                *o = g * s * (d - mean_dy - xhat * mean_dy_xhat);
            }
        }
        (sum_dy, sum_dy_xhat)
    };
    let (input, sums): (Option<Vec<f32>>, Vec<(f64, f64)>) = if want_input {
        let mut dx = vec![0.0f32; x.len()];
        let sums = dx
            .par_chunks_mut(len.max(1))
            .enumerate()
            .map(|(r, out)| row_gradient(r, Some(out)))
            .collect();
        (Some(dx), sums)
    } else {
        (
            None,
            (0..rows)
                .into_par_iter()
                .map(|r| row_gradient(r, None))
                .collect(),
        )
    };
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
