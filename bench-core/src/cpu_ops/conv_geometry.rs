//! The shape arithmetic of one 2-D convolution, shared by the kernels and the backward op.

/// Sizes of a stride-s, zero-padded, dilation-1, single-group convolution over an NCHW batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConvGeometry {
    pub batch: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub out_channels: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub out_height: usize,
    pub out_width: usize,
}

/// Upper bound on one chunk's patch matrix, in floats (4 MiB, well inside the L3 cache):
/// large batches of wide layers are processed a few images at a time, and the matrix is
/// still in cache when the matrix product reads it.
const MAX_PATCH_FLOATS: usize = 1024 * 1024;

/// Positions of a `k`-wide window sliding by `s` over `size` values zero-padded by `p` on
/// each side (floor rounding); `None` when there are none.
pub(crate) fn window_count(size: usize, k: usize, s: usize, p: usize) -> Option<usize> {
    let padded = size + 2 * p;
    (s > 0 && padded >= k).then(|| (padded - k) / s + 1)
}

/// The half-open range of output columns `ox` whose input column `ox·s + k − p` lies
/// inside `[0, size)`.
pub(crate) fn valid_range(out: usize, size: usize, k: usize, s: usize, p: usize) -> (usize, usize) {
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

impl ConvGeometry {
    /// `None` when the output would be empty (kernel larger than the padded input).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        [batch, channels, height, width]: [usize; 4],
        out_channels: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Option<Self> {
        Some(Self {
            batch,
            channels,
            height,
            width,
            out_channels,
            kernel,
            stride,
            padding,
            out_height: window_count(height, kernel[0], stride[0], padding[0])?,
            out_width: window_count(width, kernel[1], stride[1], padding[1])?,
        })
    }

    /// Rows of one image's patch matrix: one per (channel, ky, kx), plus a row of ones
    /// that carries the bias through the same matrix product.
    pub fn patch_rows(&self) -> usize {
        self.channels * self.kernel[0] * self.kernel[1] + 1
    }

    /// Output positions per image (columns of the patch matrix).
    pub fn positions(&self) -> usize {
        self.out_height * self.out_width
    }

    /// Floats of one input image.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Images per chunk: depends on the shapes only, never on the thread count, so
    /// every reduction over a batch adds in the same order on any machine.
    pub fn chunk_images(&self) -> usize {
        (MAX_PATCH_FLOATS / (self.patch_rows() * self.positions()).max(1))
            .clamp(1, self.batch.max(1))
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
