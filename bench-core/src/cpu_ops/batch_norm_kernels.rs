//! Batch norm on plain `f32` NCHW data: statistics per channel over every image and
//! position (biased variance, as burn's `BatchNorm` normalises with), one pass for the
//! statistics, one for the output; backward recomputes x̂ from the kept per-channel mean
//! and 1/σ. burn's version is a dozen broadcast tensor operations whose strided
//! iterators were about a third of a ResNet-18 step (`perf`, 2026-11-30).

use rayon::prelude::*;

use super::norm_kernels::NormGradients;

/// The sizes of an NCHW tensor as these kernels see it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Planes {
    pub images: usize,
    pub channels: usize,
    /// Values per (image, channel) plane: height × width.
    pub plane: usize,
}

impl Planes {
    /// The plane of image `n`, channel `c` in `data`.
    fn of<'a>(&self, data: &'a [f32], n: usize, c: usize) -> &'a [f32] {
        let start = (n * self.channels + c) * self.plane;
        &data[start..start + self.plane]
    }

    /// Values per channel.
    fn count(&self) -> usize {
        self.images * self.plane
    }
}

/// Per-channel statistics of a training forward pass.
#[derive(Clone, Debug)]
pub(crate) struct ChannelStats {
    pub mean: Vec<f32>,
    /// The biased variance (what burn's running statistics average).
    pub var: Vec<f32>,
    pub inv_std: Vec<f32>,
}

/// `y = x·scale[c] + shift[c]` for every plane of channel `c`.
pub(crate) fn scale_shift(x: &[f32], shape: Planes, scale: &[f32], shift: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0f32; x.len()];
    y.par_chunks_mut(shape.plane.max(1))
        .zip(x.par_chunks(shape.plane.max(1)))
        .enumerate()
        .for_each(|(r, (out, row))| {
            let c = r % shape.channels;
            let (a, b) = (scale[c], shift[c]);
            for (o, &v) in out.iter_mut().zip(row) {
                *o = v * a + b;
            }
        });
    y
}

/// The batch's per-channel statistics and the normalised, affine-transformed output.
pub(crate) fn forward_train(
    x: &[f32],
    shape: Planes,
    gamma: &[f32],
    beta: &[f32],
    eps: f64,
) -> (Vec<f32>, ChannelStats) {
    let count = shape.count().max(1) as f64;
    let moments: Vec<(f64, f64)> = (0..shape.channels)
        .into_par_iter()
        .map(|c| {
            let planes = || (0..shape.images).map(move |n| shape.of(x, n, c));
            let mean = planes()
                .map(|p| p.iter().map(|&v| f64::from(v)).sum::<f64>())
                .sum::<f64>()
                / count;
            let var = planes()
                .map(|p| {
                    p.iter()
                        .map(|&v| {
                            let d = f64::from(v) - mean;
                            d * d
                        })
                        .sum::<f64>()
                })
                .sum::<f64>()
                / count;
            (mean, var)
        })
        .collect();
    let mut stats = ChannelStats {
        mean: Vec::with_capacity(shape.channels),
        var: Vec::with_capacity(shape.channels),
        inv_std: Vec::with_capacity(shape.channels),
    };
    let (mut scale, mut shift) = (Vec::new(), Vec::new());
    for (c, &(mean, var)) in moments.iter().enumerate() {
        let inv = 1.0 / (var + eps).sqrt();
        let g = f64::from(gamma[c]);
        scale.push((inv * g) as f32);
        shift.push((f64::from(beta[c]) - mean * inv * g) as f32);
        stats.mean.push(mean as f32);
        stats.var.push(var as f32);
        stats.inv_std.push(inv as f32);
    }
    (scale_shift(x, shape, &scale, &shift), stats)
}

/// With `dy` the output gradient: per channel over all its planes,
/// `dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))`, `dγ = Σ dy · x̂`, `dβ = Σ dy`.
pub(crate) fn backward(
    x: &[f32],
    dy: &[f32],
    shape: Planes,
    gamma: &[f32],
    stats: &ChannelStats,
    want_input: bool,
) -> NormGradients {
    let sums: Vec<(f64, f64)> = (0..shape.channels)
        .into_par_iter()
        .map(|c| {
            let (m, s) = (stats.mean[c], stats.inv_std[c]);
            (0..shape.images).fold((0.0, 0.0), |acc, n| {
                shape
                    .of(x, n, c)
                    .iter()
                    .zip(shape.of(dy, n, c))
                    .fold(acc, |(a, b), (&v, &g)| {
                        let xhat = f64::from((v - m) * s);
                        (a + f64::from(g), b + f64::from(g) * xhat)
                    })
            })
        })
        .collect();
    let count = shape.count().max(1) as f64;
    let input = want_input.then(|| {
        let mut dx = vec![0.0f32; x.len()];
        dx.par_chunks_mut(shape.plane.max(1))
            .enumerate()
            .for_each(|(r, out)| {
                let c = r % shape.channels;
                let (m, s, g) = (stats.mean[c], stats.inv_std[c], gamma[c]);
                let mean_dy = (sums[c].0 / count) as f32;
                let mean_dy_xhat = (sums[c].1 / count) as f32;
                let range = r * shape.plane..(r + 1) * shape.plane;
                for ((o, &v), &d) in out.iter_mut().zip(&x[range.clone()]).zip(&dy[range]) {
                    let xhat = (v - m) * s;
                    *o = g * s * (d - mean_dy - xhat * mean_dy_xhat);
                }
            });
        dx
    });
    NormGradients {
        input,
        gamma: Some(sums.iter().map(|&(_, b)| b as f32).collect()),
        beta: Some(sums.iter().map(|&(a, _)| a as f32).collect()),
    }
}
