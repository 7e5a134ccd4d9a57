//! Patch matrices of one image (im2col) and their adjoint (col2im), on plain slices.
//!
//! Row `(c, ky, kx)` of the patch matrix holds, for every output position `(oy, ox)`, the
//! input pixel `(c, oy·sy + ky − py, ox·sx + kx − px)` or zero where that falls in the
//! padding; the last row is all ones (the bias).
//!
//! Which pixels a row reads depends on the geometry only, so it is worked out once per
//! convolution as a [`PatchPlan`] (runs of consecutive positions copied from consecutive
//! or strided pixels, and runs of zeros) and replayed for every image: on the small maps
//! of ResNet-18's later stages a row of one image is 1–16 values, and recomputing the
//! bounds for each (row, image) pair cost more than the copies (a third of ResNet-18's
//! inference in `perf`, 2026-11-30).

use super::conv_geometry::{valid_range, ConvGeometry};

/// Consecutive positions of one patch row: `len` values from pixel offset `src` of the
/// image (stepping by `step`) to position `dst`, or zeros when `step` is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    dst: usize,
    src: usize,
    len: usize,
    step: usize,
}

impl Run {
    fn is_zero(&self) -> bool {
        self.step == 0
    }

    /// Whether `next` continues this run in both the row and the image.
    fn absorbs(&self, next: &Run) -> bool {
        self.dst + self.len == next.dst
            && self.step == next.step
            && (self.is_zero() || self.src + self.len * self.step == next.src)
    }
}

/// The runs of every row of one convolution's patch matrix (the ones row excepted).
/// Appends `run` to the runs of the row that starts at `row_start`, extending the last
/// one when it continues it.
fn push(runs: &mut Vec<Run>, row_start: usize, run: Run) {
    if run.len == 0 {
        return;
    }
    let len = runs.len();
    match runs.last_mut() {
        Some(last) if len > row_start && last.absorbs(&run) => last.len += run.len,
        _ => runs.push(run),
    }
}

#[derive(Clone, Debug)]
pub(crate) struct PatchPlan {
    runs: Vec<Run>,
    /// Row `r`'s runs are `runs[row_starts[r]..row_starts[r + 1]]`.
    row_starts: Vec<usize>,
    /// The index of the ones row (the last).
    ones_row: usize,
}

impl PatchPlan {
    pub fn new(g: &ConvGeometry) -> Self {
        let (h, w) = (g.height, g.width);
        let (oh, ow) = (g.out_height, g.out_width);
        let [kh, kw] = g.kernel;
        let [sy, sx] = g.stride;
        let [py, px] = g.padding;
        let ones_row = g.patch_rows() - 1;
        let mut runs = Vec::new();
        let mut row_starts = Vec::with_capacity(ones_row + 1);
        for row in 0..ones_row {
            let row_start = runs.len();
            row_starts.push(row_start);
            let c = row / (kh * kw);
            let (ky, kx) = ((row / kw) % kh, row % kw);
            let (lo, hi) = valid_range(ow, w, kx, sx, px);
            for oy in 0..oh {
                let dst = oy * ow;
                let zero = |dst, len| Run {
                    dst,
                    src: 0,
                    len,
                    step: 0,
                };
                let iy = oy * sy + ky;
                if iy < py || iy - py >= h || lo >= hi {
                    push(&mut runs, row_start, zero(dst, ow));
                    continue;
                }
                push(&mut runs, row_start, zero(dst, lo));
                let copy = Run {
                    dst: dst + lo,
                    src: c * h * w + (iy - py) * w + lo * sx + kx - px,
                    len: hi - lo,
                    step: sx,
                };
                push(&mut runs, row_start, copy);
                push(&mut runs, row_start, zero(dst + hi, ow - hi));
            }
        }
        row_starts.push(runs.len());
        Self {
            runs,
            row_starts,
            ones_row,
        }
    }

    fn row(&self, row: usize) -> &[Run] {
        &self.runs[self.row_starts[row]..self.row_starts[row + 1]]
    }

    /// Writes row `row` of the patch matrix of `image` (`channels × height × width`)
    /// into `out` (`positions`, every element written).
    pub fn gather(&self, image: &[f32], row: usize, out: &mut [f32]) {
        if row == self.ones_row {
            out.fill(1.0);
            return;
        }
        for run in self.row(row) {
            let dst = &mut out[run.dst..run.dst + run.len];
            match run.step {
                0 => dst.fill(0.0),
                1 if run.len == 1 => dst[0] = image[run.src],
                1 => dst.copy_from_slice(&image[run.src..run.src + run.len]),
                step => {
                    for (k, value) in dst.iter_mut().enumerate() {
                        *value = image[run.src + k * step];
                    }
                }
            }
        }
    }

    /// Adds `grad` (`positions`), the gradient of patch row `row` (never the ones row) of
    /// one image, back onto the pixels that row was gathered from, in `image_grad`.
    pub fn add_back(&self, grad: &[f32], row: usize, image_grad: &mut [f32]) {
        for run in self.row(row) {
            let src = &grad[run.dst..run.dst + run.len];
            match run.step {
                0 => {}
                1 => {
                    let dst = &mut image_grad[run.src..run.src + run.len];
                    for (d, g) in dst.iter_mut().zip(src) {
                        *d += g;
                    }
                }
                step => {
                    for (k, g) in src.iter().enumerate() {
                        image_grad[run.src + k * step] += g;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row `row` of one image's patch matrix from the definition.
    fn direct_row(g: &ConvGeometry, image: &[f32], row: usize) -> Vec<f32> {
        let [kh, kw] = g.kernel;
        let (c, ky, kx) = (row / (kh * kw), (row / kw) % kh, row % kw);
        let mut out = Vec::new();
        for oy in 0..g.out_height {
            for ox in 0..g.out_width {
                let iy = (oy * g.stride[0] + ky) as isize - g.padding[0] as isize;
                let ix = (ox * g.stride[1] + kx) as isize - g.padding[1] as isize;
                let inside =
                    (0..g.height as isize).contains(&iy) && (0..g.width as isize).contains(&ix);
                out.push(if inside {
                    image[c * g.height * g.width + iy as usize * g.width + ix as usize]
                } else {
                    0.0
                });
            }
        }
        out
    }

    #[test]
    fn plans_gather_and_add_back_as_the_definition_says() {
        for (dims, kernel, stride, padding) in [
            ([1, 2, 7, 7], [3, 3], [1, 1], [1, 1]),
            ([1, 3, 1, 1], [1, 1], [1, 1], [0, 0]),
            ([1, 2, 2, 2], [3, 3], [2, 2], [1, 1]),
            ([1, 1, 9, 10], [7, 5], [2, 3], [3, 2]),
            ([1, 2, 5, 4], [3, 3], [1, 1], [3, 3]),
            ([1, 1, 1, 1], [3, 3], [2, 2], [2, 2]),
        ] {
            let g = ConvGeometry::new(dims, 1, kernel, stride, padding).unwrap();
            let image: Vec<f32> = (0..g.image_len()).map(|i| i as f32 + 1.0).collect();
            let plan = PatchPlan::new(&g);
            let l = g.positions();
            let mut adjoint = vec![0.0f32; g.image_len()];
            for row in 0..g.patch_rows() - 1 {
                let mut out = vec![f32::NAN; l];
                plan.gather(&image, row, &mut out);
                let want = direct_row(&g, &image, row);
                assert_eq!(
                    out, want,
                    "{dims:?} {kernel:?} {stride:?} {padding:?} row {row}"
                );
                // <row(x), 1> summed over rows = <x, add_back(1)>: each pixel gets the
                // number of positions that read it.
                plan.add_back(&vec![1.0; l], row, &mut adjoint);
            }
            let gathered: f32 = (0..g.patch_rows() - 1)
                .map(|r| direct_row(&g, &image, r).iter().sum::<f32>())
                .sum();
            let adjoint_sum: f32 = adjoint.iter().zip(&image).map(|(a, x)| a * x).sum();
            assert_eq!(gathered, adjoint_sum, "{dims:?} {kernel:?}");
            let mut ones = vec![0.0; l];
            plan.gather(&image, g.patch_rows() - 1, &mut ones);
            assert!(ones.iter().all(|&v| v == 1.0));
        }
    }

    #[test]
    fn a_whole_plane_read_in_order_is_one_run() {
        // The centre tap of a 3x3 "same" convolution reads the plane as it is.
        let g = ConvGeometry::new([1, 2, 7, 7], 1, [3, 3], [1, 1], [1, 1]).unwrap();
        let plan = PatchPlan::new(&g);
        assert_eq!(
            plan.row(4),
            &[Run {
                dst: 0,
                src: 0,
                len: 49,
                step: 1
            }]
        );
    }
}
