//! Max-pooling over NCHW planes, forward with the argmax of every window and backward by
//! scattering each output gradient to its argmax.

use rayon::prelude::*;

use super::conv_geometry::window_count;

/// Sizes of a max-pool with zero-size (−∞) padding, dilation 1 and floor rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PoolGeometry {
    pub planes: usize,
    pub height: usize,
    pub width: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub out_height: usize,
    pub out_width: usize,
}

impl PoolGeometry {
    /// `None` when a window could hold only padding or the output would be empty.
    pub fn new(
        planes: usize,
        [height, width]: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Option<Self> {
        // A window must reach past the padding into the image.
        let out = |size: usize, k: usize, s: usize, p: usize| {
            window_count(size, k, s, p).filter(|_| k > 0 && p < k)
        };
        Some(Self {
            planes,
            height,
            width,
            kernel,
            stride,
            padding,
            out_height: out(height, kernel[0], stride[0], padding[0])?,
            out_width: out(width, kernel[1], stride[1], padding[1])?,
        })
    }

    fn plane_in(&self) -> usize {
        self.height * self.width
    }

    fn plane_out(&self) -> usize {
        self.out_height * self.out_width
    }

    /// Input rows (or columns) covered by window `o` along one axis, clipped to the input.
    fn taps(o: usize, k: usize, s: usize, p: usize, size: usize) -> std::ops::Range<usize> {
        let start = (o * s).saturating_sub(p);
        let end = (o * s + k).saturating_sub(p).min(size);
        start..end.max(start)
    }
}

/// The pooled planes and, per output, the index of its maximum inside its input plane
/// (the first one on ties, as burn's kernel).
pub(crate) fn forward(g: &PoolGeometry, x: &[f32]) -> (Vec<f32>, Vec<u32>) {
    let mut out = vec![0.0f32; g.planes * g.plane_out()];
    let mut arg = vec![0u32; g.planes * g.plane_out()];
    out.par_chunks_mut(g.plane_out())
        .zip(arg.par_chunks_mut(g.plane_out()))
        .zip(x.par_chunks(g.plane_in()))
        .for_each(|((out, arg), plane)| {
            if g.kernel == [2, 2] && g.stride == [2, 2] && g.padding == [0, 0] {
                return pool_2x2(g, plane, out, arg);
            }
            for oy in 0..g.out_height {
                let rows = PoolGeometry::taps(oy, g.kernel[0], g.stride[0], g.padding[0], g.height);
                for ox in 0..g.out_width {
                    let cols =
                        PoolGeometry::taps(ox, g.kernel[1], g.stride[1], g.padding[1], g.width);
                    // Row-major scan, strict `>`: the first maximum wins, as in burn.
                    let mut best_at = rows.start * g.width + cols.start;
                    let mut best = plane[best_at];
                    for iy in rows.clone() {
                        let row = &plane[iy * g.width..(iy + 1) * g.width];
                        for ix in cols.clone() {
                            if row[ix] > best {
                                best = row[ix];
                                best_at = iy * g.width + ix;
                            }
                        }
                    }
                    out[oy * g.out_width + ox] = best;
                    arg[oy * g.out_width + ox] = best_at as u32;
                }
            }
        });
    (out, arg)
}

/// The 2×2, stride-2 pool of one plane (LeNet's, gal_cnn's, VGG's): two input rows at a
/// time, the same scan order and tie rule as the general loop.
fn pool_2x2(g: &PoolGeometry, plane: &[f32], out: &mut [f32], arg: &mut [u32]) {
    let w = g.width;
    for oy in 0..g.out_height {
        let top = &plane[2 * oy * w..(2 * oy + 1) * w];
        let bottom = &plane[(2 * oy + 1) * w..(2 * oy + 2) * w];
        let out = &mut out[oy * g.out_width..(oy + 1) * g.out_width];
        let arg = &mut arg[oy * g.out_width..(oy + 1) * g.out_width];
        for ox in 0..g.out_width {
            let (x0, x1) = (2 * ox, 2 * ox + 1);
            let mut best = top[x0];
            let mut at = 2 * oy * w + x0;
            if top[x1] > best {
                best = top[x1];
                at = 2 * oy * w + x1;
            }
            if bottom[x0] > best {
                best = bottom[x0];
                at = (2 * oy + 1) * w + x0;
            }
            if bottom[x1] > best {
                best = bottom[x1];
                at = (2 * oy + 1) * w + x1;
            }
            out[ox] = best;
            arg[ox] = at as u32;
        }
    }
}

/// The input gradient: every output gradient added at its window's maximum.
pub(crate) fn backward(g: &PoolGeometry, dy: &[f32], arg: &[u32]) -> Vec<f32> {
    let mut dx = vec![0.0f32; g.planes * g.plane_in()];
    dx.par_chunks_mut(g.plane_in())
        .zip(dy.par_chunks(g.plane_out()))
        .zip(arg.par_chunks(g.plane_out()))
        .for_each(|((dx, dy), arg)| {
            for (&d, &at) in dy.iter().zip(arg) {
                dx[at as usize] += d;
            }
        });
    dx
}
