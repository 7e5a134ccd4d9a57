//! Batch augmentation applied in place to a gathered batch, seeded per call.
//!
//! Works on the flat `N x C x H x W` batch that [`crate::LabeledSet::gather`]
//! fills, so it runs before the batch becomes a tensor and costs no allocation
//! per example.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::dsa::DsaStrategy;
use crate::error::DatasetError;
use crate::rng;
use crate::shape::ExampleShape;

/// Which standard augmentations to apply; the default is none.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Augmentation {
    /// Horizontal flip with probability 0.5.
    pub flip: bool,
    /// Pad by this many pixels on each side, then crop a random HxW window. The padding is
    /// a raw 0 pixel (black, the usual `RandomCrop(padding)` before `Normalize`), i.e. the
    /// set's per-channel [`crate::LabeledSet::pad_value`] after normalisation.
    pub crop_padding: usize,
    /// Zero a random square of this side, centred uniformly in the image, clipped at the
    /// border. Zero after normalisation is the channel mean, as in the Cutout paper (whose
    /// mask multiplies the normalised image).
    pub cutout: usize,
    /// Differentiable Siamese augmentation families (`color_crop_cutout_flip_scale_rotate`),
    /// applied after the above as the dataset-condensation papers' evaluation does: one
    /// family per batch, parameters per image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dsa: Option<DsaStrategy>,
}

impl Augmentation {
    /// Whether applying this changes nothing.
    pub fn is_identity(&self) -> bool {
        !self.flip && self.crop_padding == 0 && self.cutout == 0 && self.dsa.is_none()
    }

    /// Checks that the augmentation makes sense for `shape`: any operation
    /// needs an image (`height > 1`), since flipping or cropping a feature
    /// vector would scramble features.
    pub fn validate(&self, shape: ExampleShape) -> Result<(), DatasetError> {
        if !self.is_identity() && !shape.is_image() {
            return Err(DatasetError::Invalid(format!(
                "augmentation (flip, crop_padding, cutout, dsa) needs image data, but examples have shape {shape} (a flat vector)"
            )));
        }
        Ok(())
    }

    /// Augments every example of `batch` (a whole number of `shape` examples;
    /// a trailing partial example is left alone). Per example, in this order:
    /// flip (one coin), crop (two offsets), cutout (two centre coordinates).
    /// `pad_value` holds, per channel, what crop padding fills with (missing channels: 0).
    pub fn apply(
        &self,
        batch: &mut [f32],
        shape: ExampleShape,
        pad_value: &[f32],
        rng: &mut impl rand::Rng,
    ) {
        let row = shape.len();
        if self.is_identity() || row == 0 {
            return;
        }
        let mut scratch = Vec::new();
        if self.flip || self.crop_padding > 0 || self.cutout > 0 {
            for example in batch.chunks_exact_mut(row) {
                self.apply_one(example, shape, pad_value, rng, &mut scratch);
            }
        }
        if let Some(dsa) = &self.dsa {
            dsa.apply_batch(batch, shape, rng);
        }
    }

    fn apply_one<R: RngCore + ?Sized>(
        &self,
        example: &mut [f32],
        shape: ExampleShape,
        pad_value: &[f32],
        rng: &mut R,
        scratch: &mut Vec<f32>,
    ) {
        if self.flip && rng::coin(rng) {
            flip_horizontal(example, shape);
        }
        if self.crop_padding > 0 {
            let span = 2 * self.crop_padding + 1;
            let dy = rng::below(rng, span) as isize - self.crop_padding as isize;
            let dx = rng::below(rng, span) as isize - self.crop_padding as isize;
            shift(example, shape, dy, dx, pad_value, scratch);
        }
        if self.cutout > 0 {
            let cy = rng::below(rng, shape.height);
            let cx = rng::below(rng, shape.width);
            cutout_at(example, shape, self.cutout, cy, cx);
        }
    }
}

/// Mirrors one example left-to-right, every channel.
pub fn flip_horizontal(example: &mut [f32], shape: ExampleShape) {
    if shape.width == 0 {
        return;
    }
    for row in example.chunks_exact_mut(shape.width) {
        row.reverse();
    }
}

/// Random-crop-with-padding for one example, given its offsets: the output
/// pixel `(y, x)` is the input pixel `(y + dy, x + dx)`, or the channel's `pad_value`
/// (0 when absent) where that falls in the padding. `dy, dx` in `-p..=p` is a crop of
/// the image padded by `p`.
pub fn shift(
    example: &mut [f32],
    shape: ExampleShape,
    dy: isize,
    dx: isize,
    pad_value: &[f32],
    scratch: &mut Vec<f32>,
) {
    let (h, w) = (shape.height as isize, shape.width as isize);
    let plane = shape.plane();
    if plane == 0 {
        return;
    }
    scratch.clear();
    scratch.extend_from_slice(example);
    for (channel, (out, src)) in example
        .chunks_exact_mut(plane)
        .zip(scratch.chunks_exact(plane))
        .enumerate()
    {
        let fill = pad_value.get(channel).copied().unwrap_or(0.0);
        for y in 0..h {
            let sy = y + dy;
            for x in 0..w {
                let sx = x + dx;
                out[(y * w + x) as usize] = if (0..h).contains(&sy) && (0..w).contains(&sx) {
                    src[(sy * w + sx) as usize]
                } else {
                    fill
                };
            }
        }
    }
}

/// Zeroes, in every channel, the `side x side` square whose centre is
/// `(cy, cx)` (rows `cy - side/2 .. cy - side/2 + side`), clipped to the image.
pub fn cutout_at(example: &mut [f32], shape: ExampleShape, side: usize, cy: usize, cx: usize) {
    let plane = shape.plane();
    if plane == 0 || side == 0 {
        return;
    }
    let rows = clip(cy, side, shape.height);
    let cols = clip(cx, side, shape.width);
    for channel in example.chunks_exact_mut(plane) {
        for y in rows.clone() {
            channel[y * shape.width + cols.start..y * shape.width + cols.end].fill(0.0);
        }
    }
}

/// The part of `centre - side/2 .. centre - side/2 + side` inside `0..len`.
fn clip(centre: usize, side: usize, len: usize) -> std::ops::Range<usize> {
    let start = centre as isize - (side / 2) as isize;
    let end = start + side as isize;
    let start = start.clamp(0, len as isize) as usize;
    let end = end.clamp(0, len as isize) as usize;
    start..end.max(start)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SHAPE: ExampleShape = ExampleShape::new(1, 2, 3);

    fn image() -> Vec<f32> {
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    }

    #[test]
    fn flip_mirrors_rows_and_twice_is_identity() {
        let mut x = image();
        flip_horizontal(&mut x, SHAPE);
        assert_eq!(x, vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
        flip_horizontal(&mut x, SHAPE);
        assert_eq!(x, image());
    }

    #[test]
    fn flip_mirrors_each_channel() {
        let shape = ExampleShape::new(2, 1, 2);
        let mut x = vec![1.0, 2.0, 3.0, 4.0];
        flip_horizontal(&mut x, shape);
        assert_eq!(x, vec![2.0, 1.0, 4.0, 3.0]);
    }

    #[test]
    fn shift_moves_content_and_zero_fills() {
        let mut scratch = Vec::new();
        let mut x = image();
        // Crop window one pixel right of the original: content moves left.
        shift(&mut x, SHAPE, 0, 1, &[], &mut scratch);
        assert_eq!(x, vec![2.0, 3.0, 0.0, 5.0, 6.0, 0.0]);
        let mut x = image();
        shift(&mut x, SHAPE, -1, -1, &[], &mut scratch);
        assert_eq!(x, vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0]);
        let mut x = image();
        shift(&mut x, SHAPE, 0, 0, &[], &mut scratch);
        assert_eq!(x, image());
    }

    #[test]
    fn crop_pads_with_each_channels_pad_value() {
        let shape = ExampleShape::new(2, 2, 3);
        let mut scratch = Vec::new();
        let mut x = vec![
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
        ];
        shift(&mut x, shape, 0, 1, &[-0.5, -2.0], &mut scratch);
        assert_eq!(
            x,
            vec![2.0, 3.0, -0.5, 5.0, 6.0, -0.5, 8.0, 9.0, -2.0, 11.0, 12.0, -2.0]
        );
    }

    #[test]
    fn crop_keeps_content_shifted_by_at_most_padding() {
        let shape = ExampleShape::new(1, 6, 6);
        let original: Vec<f32> = (1..=36).map(|v| v as f32).collect();
        let aug = Augmentation {
            crop_padding: 2,
            ..Default::default()
        };
        let mut rng = rng::seeded(3);
        for _ in 0..20 {
            let mut x = original.clone();
            aug.apply(&mut x, shape, &[], &mut rng);
            // Every non-zero value is an original value moved by at most 2 pixels.
            for (i, &v) in x.iter().enumerate() {
                if v != 0.0 {
                    let src = v as usize - 1;
                    let (sy, sx) = (src / 6, src % 6);
                    let (y, x) = (i / 6, i % 6);
                    assert!(sy.abs_diff(y) <= 2 && sx.abs_diff(x) <= 2);
                }
            }
            // The centre 2x2 always survives a shift of at most 2.
            assert!(x.iter().filter(|&&v| v != 0.0).count() >= 16);
        }
    }

    #[test]
    fn cutout_zeroes_exactly_side_squared_when_inside() {
        let shape = ExampleShape::new(2, 8, 8);
        let mut x = vec![1.0; shape.len()];
        cutout_at(&mut x, shape, 3, 4, 4);
        let zeros = x.iter().filter(|&&v| v == 0.0).count();
        assert_eq!(zeros, 2 * 9);
        // Rows 3..6, cols 3..6 in each channel.
        assert_eq!(x[3 * 8 + 3], 0.0);
        assert_eq!(x[5 * 8 + 5], 0.0);
        assert_eq!(x[2 * 8 + 3], 1.0);
        assert_eq!(x[64 + 4 * 8 + 4], 0.0);
    }

    #[test]
    fn cutout_is_clipped_at_the_border() {
        let shape = ExampleShape::new(1, 8, 8);
        let mut x = vec![1.0; 64];
        cutout_at(&mut x, shape, 4, 0, 0);
        // rows -2..2, cols -2..2 -> 2x2 inside.
        assert_eq!(x.iter().filter(|&&v| v == 0.0).count(), 4);
        let mut x = vec![1.0; 64];
        cutout_at(&mut x, shape, 20, 7, 7);
        assert!(x.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn identity_leaves_data_unchanged() {
        let aug = Augmentation::default();
        assert!(aug.is_identity());
        let mut x = image();
        aug.apply(&mut x, SHAPE, &[], &mut rng::seeded(0));
        assert_eq!(x, image());
    }

    #[test]
    fn same_seed_same_output_and_flip_happens_about_half_the_time() {
        let shape = ExampleShape::new(3, 8, 8);
        let aug = Augmentation {
            flip: true,
            crop_padding: 2,
            cutout: 3,
            dsa: None,
        };
        let batch: Vec<f32> = (0..shape.len() * 10).map(|v| v as f32).collect();
        let run = |seed| {
            let mut b = batch.clone();
            aug.apply(&mut b, shape, &[], &mut rng::seeded(seed));
            b
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));

        let flip = Augmentation {
            flip: true,
            ..Default::default()
        };
        let mut b: Vec<f32> = (0..6 * 1000).map(|v| (v % 6) as f32).collect();
        flip.apply(&mut b, SHAPE, &[], &mut rng::seeded(1));
        let flipped = b.chunks_exact(6).filter(|e| e[0] == 2.0).count();
        assert!((400..600).contains(&flipped), "{flipped}");
    }

    #[test]
    fn validate_rejects_flat_vectors() {
        let aug = Augmentation {
            flip: true,
            ..Default::default()
        };
        let err = aug.validate(ExampleShape::flat(16)).unwrap_err();
        assert!(err.to_string().contains("flat vector"), "{err}");
        assert!(aug.validate(ExampleShape::new(1, 8, 8)).is_ok());
        assert!(Augmentation::default()
            .validate(ExampleShape::flat(16))
            .is_ok());
    }
}
