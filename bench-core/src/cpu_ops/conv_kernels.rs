//! The convolution as one patch matrix per chunk of images and single matrix products on
//! burn's CPU backend.
//!
//! For a chunk of `n` images the patch matrix `P` is `patch_rows × n·positions` (image
//! `i` in columns `i·positions..`), and `Y' = [W | b] · P` is `out_channels × n·positions`.
//! Backward: `d[W | b] = dY' · Pᵀ` and `dP = Wᵀ · dY'`, scattered back to the pixels. Each
//! is one gemm whose contraction runs over the whole chunk, never a per-image product to
//! be summed afterwards; the products land in reused buffers ([`super::gemm`]). Only
//! gathering, scattering and the NCHW ↔ channel-major reshuffles are written here.

use burn::backend::flex::FlexTensor;
use burn::tensor::TensorData;
use rayon::prelude::*;
use std::borrow::Cow;

use super::conv_crop::Crop;
use super::conv_geometry::ConvGeometry;
use super::flex::values;
use super::gemm::{matmul_into, Operand};
use super::im2col::PatchPlan;
use super::scratch::{self, Scratch};

/// A Flex tensor owning `data` (no copy).
fn flex<const D: usize>(data: Vec<f32>, shape: [usize; D]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, shape))
}

/// `[W | b]`: the weights flattened per output channel with the bias (or zero) last,
/// `out_channels × patch_rows`.
fn augmented_weight(g: &ConvGeometry, weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    let k = g.patch_rows() - 1;
    let mut aug = Vec::with_capacity(g.out_channels * (k + 1));
    for o in 0..g.out_channels {
        aug.extend_from_slice(&weight[o * k..(o + 1) * k]);
        aug.push(bias.map_or(0.0, |b| b[o]));
    }
    aug
}

/// The patch matrix of images `first..first + count`: `patch_rows × count·positions`.
fn patches(g: &ConvGeometry, plan: &PatchPlan, x: &[f32], first: usize, count: usize) -> Scratch {
    let (l, width) = (g.positions(), count * g.positions());
    // `gather` writes every element.
    let mut cols = scratch::overwritten(g.patch_rows() * width);
    cols.par_chunks_mut(width).enumerate().for_each(|(r, row)| {
        for (i, out) in row.chunks_exact_mut(l).enumerate() {
            let image = first + i;
            plan.gather(
                &x[image * g.image_len()..(image + 1) * g.image_len()],
                r,
                out,
            );
        }
    });
    cols
}

/// Images `[count, channels, positions]` (NCHW) as `[channels, count·positions]`.
fn channel_major(nchw: &[f32], channels: usize, count: usize, l: usize) -> Scratch {
    let mut out = scratch::overwritten(nchw.len());
    out.par_chunks_mut(count * l)
        .enumerate()
        .for_each(|(c, row)| {
            for (i, dst) in row.chunks_exact_mut(l).enumerate() {
                dst.copy_from_slice(&nchw[(i * channels + c) * l..(i * channels + c + 1) * l]);
            }
        });
    out
}

/// The inverse of [`channel_major`], written into `nchw`.
fn to_nchw(major: &[f32], channels: usize, l: usize, nchw: &mut [f32]) {
    let count = nchw.len() / (channels * l).max(1);
    nchw.par_chunks_mut(channels * l)
        .enumerate()
        .for_each(|(i, image)| {
            for (c, dst) in image.chunks_exact_mut(l).enumerate() {
                let start = c * count * l + i * l;
                dst.copy_from_slice(&major[start..start + l]);
            }
        });
}

/// Largest patch matrix (all chunks together, in floats: 64 MiB) a training forward pass
/// keeps for its backward pass instead of gathering it again.
const KEEP_PATCH_FLOATS: usize = 16 * 1024 * 1024;

/// `y = conv(x, W) + b` as a `[batch, out_channels, out_height, out_width]` tensor.
pub(crate) fn forward(
    g: &ConvGeometry,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
) -> FlexTensor {
    let (g, weight) = live_window(g, weight);
    forward_in_chunks(&g, g.chunk_images(), x, &weight, bias, false).0
}

/// The convolution over its live taps ([`Crop`]) and the weights restricted to them, or
/// `g` and `weight` as they are when every tap reads some pixel.
fn live_window<'w>(g: &ConvGeometry, weight: &'w [f32]) -> (ConvGeometry, Cow<'w, [f32]>) {
    match Crop::of(g) {
        Some(crop) => (crop.geometry, Cow::Owned(crop.weight(weight))),
        None => (*g, Cow::Borrowed(weight)),
    }
}

/// [`forward`], also handing back the chunks' patch matrices when they are small enough
/// to keep for [`backward`].
pub(crate) fn forward_keeping_patches(
    g: &ConvGeometry,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
) -> (FlexTensor, Option<Vec<Scratch>>) {
    let (g, weight) = live_window(g, weight);
    let keep = g.batch * g.patch_rows() * g.positions() <= KEEP_PATCH_FLOATS;
    let (y, kept) = forward_in_chunks(&g, g.chunk_images(), x, &weight, bias, keep);
    (y, keep.then_some(kept))
}

fn forward_in_chunks(
    g: &ConvGeometry,
    chunk: usize,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    keep: bool,
) -> (FlexTensor, Vec<Scratch>) {
    let mut kept = Vec::new();
    let (o, k, l) = (g.out_channels, g.patch_rows(), g.positions());
    let w = augmented_weight(g, weight, bias);
    let w = Operand::new(&w, o, k);
    let plan = PatchPlan::new(g);
    let mut y = vec![0.0f32; g.batch * o * l];
    for first in (0..g.batch).step_by(chunk.max(1)) {
        let count = chunk.min(g.batch - first);
        let cols = patches(g, &plan, x, first, count);
        // The product overwrites every element.
        let mut major = scratch::overwritten(o * count * l);
        matmul_into(&mut major, w, Operand::new(&cols, k, count * l), false);
        if keep {
            kept.push(cols);
        }
        to_nchw(&major, o, l, &mut y[first * o * l..(first + count) * o * l]);
    }
    (flex(y, [g.batch, o, g.out_height, g.out_width]), kept)
}

/// Gradients of one convolution, each computed only when asked for.
pub(crate) struct ConvGradients {
    pub input: Option<FlexTensor>,
    pub weight: Option<FlexTensor>,
    pub bias: Option<FlexTensor>,
}

/// What the backward pass is asked for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wanted {
    pub input: bool,
    pub params: bool,
}

/// The backward pass from the output gradient `dy` (`[batch, out_channels, oh, ow]`),
/// reading the forward pass's patch matrices when it kept them.
pub(crate) fn backward(
    g: &ConvGeometry,
    x: &[f32],
    weight: &[f32],
    dy: &[f32],
    wanted: Wanted,
    kept: Option<&[Scratch]>,
) -> ConvGradients {
    let Some(crop) = Crop::of(g) else {
        return backward_in_chunks(g, g.chunk_images(), x, weight, dy, wanted, kept);
    };
    let window = &crop.geometry;
    let weight = crop.weight(weight);
    let mut grads = backward_in_chunks(window, window.chunk_images(), x, &weight, dy, wanted, kept);
    grads.weight = grads.weight.map(|cut| {
        let [kh, kw] = g.kernel;
        let full = crop.expand_weight_gradient(&values(&cut));
        flex(full, [g.out_channels, g.channels, kh, kw])
    });
    grads
}

fn backward_in_chunks(
    g: &ConvGeometry,
    chunk: usize,
    x: &[f32],
    weight: &[f32],
    dy: &[f32],
    wanted: Wanted,
    kept: Option<&[Scratch]>,
) -> ConvGradients {
    let Wanted {
        input: want_input,
        params: want_params,
    } = wanted;
    let (o, k, l) = (g.out_channels, g.patch_rows(), g.positions());
    let mut weight_grad = vec![0.0f32; if want_params { o * k } else { 0 }];
    let mut input_grad = vec![
        0.0f32;
        if want_input {
            g.batch * g.image_len()
        } else {
            0
        }
    ];
    // Wᵀ: (patch_rows − 1) × out_channels, a strided view of W.
    let w_t = Operand::new(weight, o, k - 1).t();
    let plan = PatchPlan::new(g);
    for (index, first) in (0..g.batch).step_by(chunk.max(1)).enumerate() {
        let count = chunk.min(g.batch - first);
        let width = count * l;
        let dy_major = channel_major(&dy[first * o * l..(first + count) * o * l], o, count, l);
        let dy_op = Operand::new(&dy_major, o, width);
        if want_params {
            // Chunks add in index order into the same sums: the same result on any
            // thread count.
            match kept.and_then(|kept| kept.get(index)) {
                Some(cols) => {
                    matmul_into(
                        &mut weight_grad,
                        dy_op,
                        Operand::new(cols, k, width).t(),
                        true,
                    );
                }
                None => {
                    let cols = patches(g, &plan, x, first, count);
                    matmul_into(
                        &mut weight_grad,
                        dy_op,
                        Operand::new(&cols, k, width).t(),
                        true,
                    );
                }
            }
        }
        if want_input {
            // The product overwrites every element.
            let mut cols_grad = scratch::overwritten((k - 1) * width);
            matmul_into(&mut cols_grad, w_t, dy_op, false);
            input_grad[first * g.image_len()..(first + count) * g.image_len()]
                .par_chunks_mut(g.image_len())
                .enumerate()
                .for_each(|(i, dx)| {
                    for (r, row) in cols_grad.chunks_exact(width).enumerate() {
                        plan.add_back(&row[i * l..(i + 1) * l], r, dx);
                    }
                });
        }
    }
    let (weight, bias) = if want_params {
        let mut w = Vec::with_capacity(o * (k - 1));
        let mut b = Vec::with_capacity(o);
        for row in weight_grad.chunks_exact(k) {
            w.extend_from_slice(&row[..k - 1]);
            b.push(row[k - 1]);
        }
        let [kh, kw] = g.kernel;
        (Some(flex(w, [o, g.channels, kh, kw])), Some(flex(b, [o])))
    } else {
        (None, None)
    };
    ConvGradients {
        input: want_input.then(|| flex(input_grad, [g.batch, g.channels, g.height, g.width])),
        weight,
        bias,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize, salt: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37 + salt * 11) % 101) as f32 / 50.0 - 1.0)
            .collect()
    }

    /// Chunking changes how much is gathered at once and, for the weight gradient, where
    /// the sum over images is split: equal up to rounding, and the input gradient and the
    /// output exactly (images are independent).
    #[test]
    fn chunked_passes_agree_with_the_whole_batch() {
        let g = ConvGeometry::new([5, 3, 9, 8], 4, [3, 3], [1, 2], [1, 1]).unwrap();
        let x = pattern(5 * g.image_len(), 1);
        let w = pattern(4 * (g.patch_rows() - 1), 2);
        let b = pattern(4, 3);
        let dy = pattern(5 * 4 * g.positions(), 4);
        let whole = values(&forward_in_chunks(&g, 5, &x, &w, Some(&b), false).0).into_owned();
        for chunk in [1, 2, 3] {
            let part =
                values(&forward_in_chunks(&g, chunk, &x, &w, Some(&b), false).0).into_owned();
            assert_eq!(part, whole, "forward, chunk {chunk}");
        }
        let both = Wanted {
            input: true,
            params: true,
        };
        let grads = |chunk| {
            let (_, kept) = forward_in_chunks(&g, chunk, &x, &w, Some(&b), true);
            let out = backward_in_chunks(&g, chunk, &x, &w, &dy, both, None);
            let with_kept = backward_in_chunks(&g, chunk, &x, &w, &dy, both, Some(&kept));
            for (a, b) in [
                (&out.weight, &with_kept.weight),
                (&out.input, &with_kept.input),
            ] {
                assert_eq!(
                    values(a.as_ref().unwrap()),
                    values(b.as_ref().unwrap()),
                    "kept patches, chunk {chunk}"
                );
            }
            [out.input, out.weight, out.bias].map(|t| values(&t.unwrap()).into_owned())
        };
        let whole = grads(5);
        for chunk in [1, 2, 4] {
            let part = grads(chunk);
            assert_eq!(part[0], whole[0], "input gradient, chunk {chunk}");
            for (got, want) in part[1..].iter().flatten().zip(whole[1..].iter().flatten()) {
                assert!(
                    (got - want).abs() <= 1e-5 * want.abs().max(1.0),
                    "chunk {chunk}"
                );
            }
        }
    }
}
