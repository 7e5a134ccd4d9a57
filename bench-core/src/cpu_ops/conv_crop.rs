//! Kernel taps that read only padding, cut away before any work.
//!
//! On small feature maps a padded convolution has taps that never meet an input pixel:
//! a 3x3 kernel with padding 1 over a 1x1 map (ResNet-18's last stage on 28x28 images,
//! the VGGs' last block) reads real data only through its centre tap, so eight ninths of
//! its patch matrix and of its multiply-adds are zeros. The convolution restricted to
//! the smallest window of taps holding every live one, with the left/top padding reduced
//! by the taps cut before the window and the output size kept, computes the same sums
//! without those zero terms; the cut taps' weight gradients are exactly zero.

use super::conv_geometry::{valid_range, ConvGeometry};

/// The convolution over the live window of taps of a larger one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Crop {
    /// The convolution over the window (same input, output and stride).
    pub geometry: ConvGeometry,
    /// The full convolution.
    full: ConvGeometry,
    /// The window's first tap, `[ky, kx]`.
    start: [usize; 2],
}

/// The half-open range of taps along one axis that read at least one input value, or
/// `None` when all of them do.
fn live_taps(
    out: usize,
    size: usize,
    kernel: usize,
    stride: usize,
    pad: usize,
) -> Option<[usize; 2]> {
    let live = |k: usize| {
        let (lo, hi) = valid_range(out, size, k, stride, pad);
        lo < hi
    };
    let first = (0..kernel).find(|&k| live(k))?;
    let last = (0..kernel).rev().find(|&k| live(k))?;
    (first > 0 || last + 1 < kernel).then_some([first, last + 1])
}

impl Crop {
    /// The crop of `g`, or `None` when every tap reads some input value.
    pub fn of(g: &ConvGeometry) -> Option<Self> {
        let rows = live_taps(
            g.out_height,
            g.height,
            g.kernel[0],
            g.stride[0],
            g.padding[0],
        );
        let cols = live_taps(g.out_width, g.width, g.kernel[1], g.stride[1], g.padding[1]);
        if rows.is_none() && cols.is_none() {
            return None;
        }
        let [y0, y1] = rows.unwrap_or([0, g.kernel[0]]);
        let [x0, x1] = cols.unwrap_or([0, g.kernel[1]]);
        // A tap before the first padded one always reads pixel 0 of the first window,
        // so the window never starts past the padding: `padding − start` ≥ 0.
        let geometry = ConvGeometry {
            kernel: [y1 - y0, x1 - x0],
            padding: [g.padding[0] - y0, g.padding[1] - x0],
            ..*g
        };
        Some(Self {
            geometry,
            full: *g,
            start: [y0, x0],
        })
    }

    /// The full convolution's weights (`out_channels × channels × kh × kw`) restricted to
    /// the window.
    pub fn weight(&self, weight: &[f32]) -> Vec<f32> {
        let [kh, kw] = self.full.kernel;
        let [ch, cw] = self.geometry.kernel;
        let [y0, x0] = self.start;
        let planes = self.full.out_channels * self.full.channels;
        let mut out = Vec::with_capacity(planes * ch * cw);
        for plane in weight.chunks_exact(kh * kw).take(planes) {
            for ky in y0..y0 + ch {
                out.extend_from_slice(&plane[ky * kw + x0..ky * kw + x0 + cw]);
            }
        }
        out
    }

    /// The window's weight gradient placed in the full kernel, zeros on the cut taps.
    pub fn expand_weight_gradient(&self, grad: &[f32]) -> Vec<f32> {
        let [kh, kw] = self.full.kernel;
        let [ch, cw] = self.geometry.kernel;
        let [y0, x0] = self.start;
        let planes = self.full.out_channels * self.full.channels;
        let mut out = vec![0.0f32; planes * kh * kw];
        for (dst, src) in out
            .chunks_exact_mut(kh * kw)
            .zip(grad.chunks_exact(ch * cw))
        {
            for (r, row) in src.chunks_exact(cw).enumerate() {
                let at = (y0 + r) * kw + x0;
                dst[at..at + cw].copy_from_slice(row);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(size: usize, kernel: usize, stride: usize, pad: usize) -> ConvGeometry {
        ConvGeometry::new(
            [2, 3, size, size],
            4,
            [kernel, kernel],
            [stride, stride],
            [pad, pad],
        )
        .unwrap()
    }

    #[test]
    fn a_one_pixel_map_keeps_only_the_centre_tap() {
        let crop = Crop::of(&geometry(1, 3, 1, 1)).unwrap();
        assert_eq!(crop.geometry.kernel, [1, 1]);
        assert_eq!(crop.geometry.padding, [0, 0]);
        assert_eq!((crop.geometry.out_height, crop.geometry.out_width), (1, 1));
    }

    #[test]
    fn a_strided_two_pixel_map_keeps_the_lower_right_taps() {
        // ResNet-18's 2x2 → 1x1 block: output (0, 0) reads rows and columns −1, 0, 1.
        let crop = Crop::of(&geometry(2, 3, 2, 1)).unwrap();
        assert_eq!(crop.geometry.kernel, [2, 2]);
        assert_eq!(crop.geometry.padding, [0, 0]);
        assert_eq!(crop.start, [1, 1]);
    }

    #[test]
    fn no_crop_when_every_tap_reads_a_pixel() {
        assert_eq!(Crop::of(&geometry(2, 3, 1, 1)), None);
        assert_eq!(Crop::of(&geometry(7, 3, 1, 1)), None);
        assert_eq!(Crop::of(&geometry(28, 7, 2, 3)), None);
        assert_eq!(Crop::of(&geometry(5, 5, 1, 0)), None);
    }

    #[test]
    fn weights_round_trip_through_the_window() {
        let crop = Crop::of(&geometry(2, 3, 2, 1)).unwrap();
        let full: Vec<f32> = (0..4 * 3 * 9).map(|i| i as f32).collect();
        let cut = crop.weight(&full);
        assert_eq!(cut.len(), 4 * 3 * 4);
        // Plane 0: taps (1,1), (1,2), (2,1), (2,2) of a row-major 3x3.
        assert_eq!(&cut[..4], &[4.0, 5.0, 7.0, 8.0]);
        let back = crop.expand_weight_gradient(&cut);
        for (i, (&b, &f)) in back.iter().zip(&full).enumerate() {
            let (ky, kx) = ((i % 9) / 3, i % 3);
            let want = if ky >= 1 && kx >= 1 { f } else { 0.0 };
            assert_eq!(b, want, "element {i}");
        }
    }
}
