//! Patch matrices of one image (im2col) and their adjoint (col2im), on plain slices.
//!
//! Row `(c, ky, kx)` of the patch matrix holds, for every output position `(oy, ox)`, the
//! input pixel `(c, oy·sy + ky − py, ox·sx + kx − px)` or zero where that falls in the
//! padding; the last row is all ones (the bias).

use super::conv_geometry::ConvGeometry;

/// The half-open range of output columns `ox` whose input column `ox·s + k − p` lies
/// inside `[0, size)`.
fn valid_range(out: usize, size: usize, k: usize, s: usize, p: usize) -> (usize, usize) {
    // ox·s + k ≥ p  ⇔  ox ≥ ceil((p − k) / s)
    let lo = if k >= p { 0 } else { (p - k).div_ceil(s) };
    // ox·s + k − p ≤ size − 1  ⇔  ox ≤ (size − 1 + p − k) / s
    let hi = if size + p > k {
        ((size - 1 + p - k) / s + 1).min(out)
    } else {
        0
    };
    (lo.min(hi), hi)
}

/// Writes row `row_index` (`(c, ky, kx)`, or the ones row when `row_index` is the last)
/// of the patch matrix of `image` (`channels × height × width`) into `out` (`positions`).
pub(crate) fn patch_row(g: &ConvGeometry, image: &[f32], row_index: usize, out: &mut [f32]) {
    if row_index == g.patch_rows() - 1 {
        out.fill(1.0);
        return;
    }
    let (h, w) = (g.height, g.width);
    let (oh, ow) = (g.out_height, g.out_width);
    let [kh, kw] = g.kernel;
    let [sy, sx] = g.stride;
    let [py, px] = g.padding;
    let c = row_index / (kh * kw);
    let (ky, kx) = ((row_index / kw) % kh, row_index % kw);
    let plane = &image[c * h * w..(c + 1) * h * w];
    let (lo, hi) = valid_range(ow, w, kx, sx, px);
    for (oy, out) in out.chunks_exact_mut(ow).enumerate().take(oh) {
        let iy = oy * sy + ky;
        if iy < py || iy - py >= h {
            out.fill(0.0);
            continue;
        }
        let src = &plane[(iy - py) * w..(iy - py + 1) * w];
        out[..lo].fill(0.0);
        out[hi..].fill(0.0);
        if sx == 1 {
            let start = lo + kx - px;
            out[lo..hi].copy_from_slice(&src[start..start + (hi - lo)]);
        } else {
            for (ox, value) in out[lo..hi].iter_mut().enumerate() {
                *value = src[(lo + ox) * sx + kx - px];
            }
        }
    }
}

/// Adds `grad` (`positions`), the gradient of patch row `row_index` (never the ones row)
/// of one image, back onto the pixels that row was gathered from, in `image_grad`.
pub(crate) fn patch_row_add_back(
    g: &ConvGeometry,
    grad: &[f32],
    row_index: usize,
    image_grad: &mut [f32],
) {
    let (h, w) = (g.height, g.width);
    let (oh, ow) = (g.out_height, g.out_width);
    let [kh, kw] = g.kernel;
    let [sy, sx] = g.stride;
    let [py, px] = g.padding;
    let c = row_index / (kh * kw);
    let (ky, kx) = ((row_index / kw) % kh, row_index % kw);
    let plane = &mut image_grad[c * h * w..(c + 1) * h * w];
    let (lo, hi) = valid_range(ow, w, kx, sx, px);
    for (oy, grad) in grad.chunks_exact(ow).enumerate().take(oh) {
        let iy = oy * sy + ky;
        if iy < py || iy - py >= h {
            continue;
        }
        let dst = &mut plane[(iy - py) * w..(iy - py + 1) * w];
        if sx == 1 {
            let start = lo + kx - px;
            for (d, g) in dst[start..start + (hi - lo)].iter_mut().zip(&grad[lo..hi]) {
                *d += g;
            }
        } else {
            for (ox, g) in grad[lo..hi].iter().enumerate() {
                dst[(lo + ox) * sx + kx - px] += g;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_range_matches_a_direct_scan() {
        for size in 1..9 {
            for k in 0..5 {
                for s in 1..4 {
                    for p in 0..4 {
                        let padded = size + 2 * p;
                        if padded < k + 1 {
                            continue;
                        }
                        let out = (padded - (k + 1)) / s + 1;
                        let inside: Vec<usize> = (0..out)
                            .filter(|&o| o * s + k >= p && o * s + k - p < size)
                            .collect();
                        let (lo, hi) = valid_range(out, size, k, s, p);
                        let want = match (inside.first(), inside.last()) {
                            (Some(&a), Some(&b)) => (a, b + 1),
                            _ => (lo, lo),
                        };
                        assert_eq!((lo, hi), want, "size {size} k {k} s {s} p {p}");
                    }
                }
            }
        }
    }
}
