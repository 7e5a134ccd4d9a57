//! Differentiable Siamese augmentation (DSA; Zhao & Bilen 2021), as the reference
//! implementation VICO-UoE/DatasetCondensation (`utils.py`, `ParamDiffAug`,
//! `DiffAugment`) defines it, with its defaults.
//!
//! A strategy is a list of families (`color_crop_cutout_flip_scale_rotate`). Each call
//! picks one family uniformly (the reference's `aug_mode = 'S'`) and draws its
//! parameters: once for the whole batch in the Siamese case (the same transform for the
//! real and the synthetic batch, and for every image in it), per image otherwise.
//!
//! Every family is linear in the pixels, which is what makes it differentiable: the
//! geometric ones (crop, flip, scale, rotate) and cutout are a [`PixelMap`] (each output
//! pixel a weighted sum of at most four input pixels, the same in every channel), color
//! is an affine map per image. The host side applies them to flat batches; the tensor
//! side (in `sieve-bench-core`) builds the map as a matrix so autodiff flows through it.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::DatasetError;
use crate::rng;
use crate::shape::ExampleShape;

/// The reference's `ParamDiffAug` defaults.
pub mod defaults {
    /// Probability of a horizontal flip.
    pub const PROB_FLIP: f64 = 0.5;
    /// Scale factors are drawn in `[1/ratio, ratio]` per axis.
    pub const RATIO_SCALE: f64 = 1.2;
    /// Rotation angles in `[-ratio, ratio]` degrees.
    pub const RATIO_ROTATE: f64 = 15.0;
    /// Translation up to this fraction of the side (rounded), zero filled.
    pub const RATIO_CROP_PAD: f64 = 0.125;
    /// Cutout square side as a fraction of the image side (rounded).
    pub const RATIO_CUTOUT: f64 = 0.5;
    /// Brightness shift `(u - 0.5) * ratio`.
    pub const BRIGHTNESS: f64 = 1.0;
    /// Saturation factor `u * ratio` around the per-pixel channel mean.
    pub const SATURATION: f64 = 2.0;
    /// Contrast factor `u + ratio` around the image mean.
    pub const CONTRAST: f64 = 0.5;
}

/// One family of the strategy string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsaFamily {
    /// Brightness, then saturation, then contrast.
    Color,
    /// Translation by up to 1/8 of the side, zero filled.
    Crop,
    /// A zeroed square of half the side.
    Cutout,
    /// Horizontal flip with probability 0.5.
    Flip,
    /// Independent x/y scaling in [1/1.2, 1.2] (bilinear, zero padded).
    Scale,
    /// Rotation in [-15, 15] degrees (bilinear, zero padded).
    Rotate,
}

impl DsaFamily {
    const ALL: [(&'static str, DsaFamily); 6] = [
        ("color", DsaFamily::Color),
        ("crop", DsaFamily::Crop),
        ("cutout", DsaFamily::Cutout),
        ("flip", DsaFamily::Flip),
        ("scale", DsaFamily::Scale),
        ("rotate", DsaFamily::Rotate),
    ];

    /// The strategy-string spelling.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(s, _)| *s)
            .unwrap_or("color")
    }
}

/// A DSA strategy: the families one is drawn from at each call. Written as the
/// reference writes it, `color_crop_cutout_flip_scale_rotate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsaStrategy {
    families: Vec<DsaFamily>,
}

impl DsaStrategy {
    /// The reference's default strategy (DSA, DM).
    pub const DEFAULT: &'static str = "color_crop_cutout_flip_scale_rotate";

    /// Parses `color_crop_...`; every name once, at least one.
    pub fn parse(text: &str) -> Result<Self, DatasetError> {
        let mut families = Vec::new();
        for part in text.split('_') {
            let Some((_, family)) = DsaFamily::ALL.iter().find(|(name, _)| *name == part) else {
                let names: Vec<&str> = DsaFamily::ALL.iter().map(|(n, _)| *n).collect();
                return Err(DatasetError::Invalid(format!(
                    "DSA strategy `{text}`: unknown family `{part}`; families are {} joined by `_` (e.g. `{}`)",
                    names.join(", "),
                    Self::DEFAULT
                )));
            };
            if families.contains(family) {
                return Err(DatasetError::Invalid(format!(
                    "DSA strategy `{text}`: `{part}` appears twice"
                )));
            }
            families.push(*family);
        }
        Ok(Self { families })
    }

    /// The families, in the order written.
    pub fn families(&self) -> &[DsaFamily] {
        &self.families
    }

    /// Whether the strategy flips (digits and text should not).
    pub fn flips(&self) -> bool {
        self.families.contains(&DsaFamily::Flip)
    }

    /// Picks the family of one call.
    pub fn pick_family<R: RngCore + ?Sized>(&self, rng: &mut R) -> DsaFamily {
        self.families[rng::below(rng, self.families.len())]
    }

    /// One transform for a whole batch (the Siamese case).
    pub fn sample<R: RngCore + ?Sized>(&self, shape: ExampleShape, rng: &mut R) -> DsaTransform {
        let family = self.pick_family(rng);
        DsaTransform::sample(family, shape, rng)
    }

    /// Augments every example of a flat batch the way the reference's evaluation does:
    /// one family for the batch, parameters drawn per image.
    pub fn apply_batch<R: RngCore + ?Sized>(
        &self,
        batch: &mut [f32],
        shape: ExampleShape,
        rng: &mut R,
    ) {
        let row = shape.len();
        if row == 0 {
            return;
        }
        let family = self.pick_family(rng);
        let mut scratch = Vec::new();
        for example in batch.chunks_exact_mut(row) {
            DsaTransform::sample(family, shape, rng).apply(example, shape, &mut scratch);
        }
    }
}

impl std::fmt::Display for DsaStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.families.iter().map(|f| f.as_str()).collect();
        f.write_str(&names.join("_"))
    }
}

impl Serialize for DsaStrategy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for DsaStrategy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DsaStrategy::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A linear map on one image plane: output pixel `out` receives `weight * input[src]`
/// for each of its entries (the same in every channel). Pixels with no entry are 0.
#[derive(Clone, Debug, PartialEq)]
pub struct PixelMap {
    /// `(out, src, weight)` in plane-index terms (`y * width + x`).
    pub entries: Vec<(u32, u32, f32)>,
}

impl PixelMap {
    /// Applies the map to every channel of one example.
    pub fn apply(&self, example: &mut [f32], shape: ExampleShape, scratch: &mut Vec<f32>) {
        let plane = shape.plane();
        if plane == 0 {
            return;
        }
        scratch.clear();
        scratch.extend_from_slice(example);
        for (out, src) in example
            .chunks_exact_mut(plane)
            .zip(scratch.chunks_exact(plane))
        {
            out.fill(0.0);
            for &(o, s, w) in &self.entries {
                out[o as usize] += w * src[s as usize];
            }
        }
    }

    /// The map as a dense `plane x plane` matrix `M` (row-major, `M[out][src]`), so a
    /// batch of planes `X` (rows) maps to `X Mᵀ`.
    pub fn dense(&self, plane: usize) -> Vec<f32> {
        let mut m = vec![0.0f32; plane * plane];
        for &(o, s, w) in &self.entries {
            m[o as usize * plane + s as usize] += w;
        }
        m
    }
}

/// One drawn augmentation.
#[derive(Clone, Debug, PartialEq)]
pub enum DsaTransform {
    /// `x + brightness`, then `(x - mean over channels) * saturation + that mean`, then
    /// `(x - image mean) * contrast + image mean`.
    Color {
        brightness: f32,
        saturation: f32,
        contrast: f32,
    },
    /// Crop, cutout, flip, scale or rotate.
    Pixels(PixelMap),
}

impl DsaTransform {
    /// Draws `family`'s parameters for images of `shape`.
    pub fn sample<R: RngCore + ?Sized>(
        family: DsaFamily,
        shape: ExampleShape,
        rng: &mut R,
    ) -> Self {
        use defaults::*;
        let (h, w) = (shape.height, shape.width);
        let u = |rng: &mut R| rng::unit_f64(rng);
        match family {
            DsaFamily::Color => {
                let brightness = ((u(rng) - 0.5) * BRIGHTNESS) as f32;
                let saturation = (u(rng) * SATURATION) as f32;
                let contrast = (u(rng) + CONTRAST) as f32;
                DsaTransform::Color {
                    brightness,
                    saturation,
                    contrast,
                }
            }
            DsaFamily::Crop => {
                let shift_y = (h as f64 * RATIO_CROP_PAD + 0.5) as isize;
                let shift_x = (w as f64 * RATIO_CROP_PAD + 0.5) as isize;
                let dy = rng::below(rng, (2 * shift_y + 1) as usize) as isize - shift_y;
                let dx = rng::below(rng, (2 * shift_x + 1) as usize) as isize - shift_x;
                DsaTransform::Pixels(translation(shape, dy, dx))
            }
            DsaFamily::Cutout => {
                let side_y = (h as f64 * RATIO_CUTOUT + 0.5) as usize;
                let side_x = (w as f64 * RATIO_CUTOUT + 0.5) as usize;
                // The reference draws the centre in 0..side + (1 - cut % 2).
                let cy = rng::below(rng, h + 1 - side_y % 2);
                let cx = rng::below(rng, w + 1 - side_x % 2);
                DsaTransform::Pixels(cutout(shape, side_y, side_x, cy, cx))
            }
            DsaFamily::Flip => {
                let flip = u(rng) < PROB_FLIP;
                DsaTransform::Pixels(if flip { mirror(shape) } else { identity(shape) })
            }
            DsaFamily::Scale => {
                let lo = 1.0 / RATIO_SCALE;
                let sx = u(rng) * (RATIO_SCALE - lo) + lo;
                let sy = u(rng) * (RATIO_SCALE - lo) + lo;
                DsaTransform::Pixels(affine(shape, [[sx, 0.0, 0.0], [0.0, sy, 0.0]]))
            }
            DsaFamily::Rotate => {
                let theta = (u(rng) - 0.5) * 2.0 * RATIO_ROTATE / 180.0 * std::f64::consts::PI;
                let (s, c) = theta.sin_cos();
                DsaTransform::Pixels(affine(shape, [[c, -s, 0.0], [s, c, 0.0]]))
            }
        }
    }

    /// Applies the transform to one example in place.
    pub fn apply(&self, example: &mut [f32], shape: ExampleShape, scratch: &mut Vec<f32>) {
        match self {
            DsaTransform::Pixels(map) => map.apply(example, shape, scratch),
            DsaTransform::Color {
                brightness,
                saturation,
                contrast,
            } => color(example, shape, *brightness, *saturation, *contrast),
        }
    }
}

fn color(
    example: &mut [f32],
    shape: ExampleShape,
    brightness: f32,
    saturation: f32,
    contrast: f32,
) {
    let plane = shape.plane();
    if plane == 0 {
        return;
    }
    for v in example.iter_mut() {
        *v += brightness;
    }
    let channels = shape.channels as f32;
    for p in 0..plane {
        let mean: f32 = (0..shape.channels)
            .map(|c| example[c * plane + p])
            .sum::<f32>()
            / channels;
        for c in 0..shape.channels {
            let v = &mut example[c * plane + p];
            *v = (*v - mean) * saturation + mean;
        }
    }
    let mean = example.iter().sum::<f32>() / example.len() as f32;
    for v in example.iter_mut() {
        *v = (*v - mean) * contrast + mean;
    }
}

fn identity(shape: ExampleShape) -> PixelMap {
    PixelMap {
        entries: (0..shape.plane() as u32).map(|p| (p, p, 1.0)).collect(),
    }
}

fn mirror(shape: ExampleShape) -> PixelMap {
    let (h, w) = (shape.height, shape.width);
    let mut entries = Vec::with_capacity(h * w);
    for y in 0..h {
        for x in 0..w {
            entries.push(((y * w + x) as u32, (y * w + (w - 1 - x)) as u32, 1.0));
        }
    }
    PixelMap { entries }
}

/// Output `(y, x)` reads input `(y + dy, x + dx)`, zero outside.
fn translation(shape: ExampleShape, dy: isize, dx: isize) -> PixelMap {
    let (h, w) = (shape.height as isize, shape.width as isize);
    let mut entries = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let (sy, sx) = (y + dy, x + dx);
            if (0..h).contains(&sy) && (0..w).contains(&sx) {
                entries.push(((y * w + x) as u32, (sy * w + sx) as u32, 1.0));
            }
        }
    }
    PixelMap { entries }
}

/// The reference's cutout: rows `cy - side/2 + k` for `k < side`, clamped into the
/// image (so a square hanging over an edge still zeroes the edge row), likewise columns.
fn cutout(shape: ExampleShape, side_y: usize, side_x: usize, cy: usize, cx: usize) -> PixelMap {
    let (h, w) = (shape.height, shape.width);
    let cut = |centre: usize, side: usize, len: usize| -> Vec<bool> {
        let mut hit = vec![false; len];
        for k in 0..side {
            let i = (centre as isize - (side / 2) as isize + k as isize).clamp(0, len as isize - 1);
            hit[i as usize] = true;
        }
        hit
    };
    let (rows, cols) = (cut(cy, side_y, h), cut(cx, side_x, w));
    let mut entries = Vec::with_capacity(h * w);
    for (y, &row_cut) in rows.iter().enumerate() {
        for (x, &col_cut) in cols.iter().enumerate() {
            if !(row_cut && col_cut) {
                let p = (y * w + x) as u32;
                entries.push((p, p, 1.0));
            }
        }
    }
    PixelMap { entries }
}

/// PyTorch's `affine_grid` + `grid_sample` (bilinear, zero padding, `align_corners =
/// False`) for one 2x3 `theta` acting on normalised (x, y) coordinates.
fn affine(shape: ExampleShape, theta: [[f64; 3]; 2]) -> PixelMap {
    let (h, w) = (shape.height, shape.width);
    let mut entries = Vec::with_capacity(4 * h * w);
    for y in 0..h {
        for x in 0..w {
            let xn = (2 * x + 1) as f64 / w as f64 - 1.0;
            let yn = (2 * y + 1) as f64 / h as f64 - 1.0;
            let xs = theta[0][0] * xn + theta[0][1] * yn + theta[0][2];
            let ys = theta[1][0] * xn + theta[1][1] * yn + theta[1][2];
            let ix = ((xs + 1.0) * w as f64 - 1.0) / 2.0;
            let iy = ((ys + 1.0) * h as f64 - 1.0) / 2.0;
            let (x0, y0) = (ix.floor(), iy.floor());
            let (fx, fy) = (ix - x0, iy - y0);
            let out = (y * w + x) as u32;
            for (yy, wy) in [(y0, 1.0 - fy), (y0 + 1.0, fy)] {
                for (xx, wx) in [(x0, 1.0 - fx), (x0 + 1.0, fx)] {
                    let weight = (wy * wx) as f32;
                    if weight != 0.0
                        && (0.0..h as f64).contains(&yy)
                        && (0.0..w as f64).contains(&xx)
                    {
                        entries.push((out, (yy as usize * w + xx as usize) as u32, weight));
                    }
                }
            }
        }
    }
    PixelMap { entries }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ramp(shape: ExampleShape) -> Vec<f32> {
        (0..shape.len()).map(|v| v as f32 + 1.0).collect()
    }

    #[test]
    fn strategy_parses_and_prints_the_reference_spelling() {
        let s = DsaStrategy::parse(DsaStrategy::DEFAULT).unwrap();
        assert_eq!(s.families().len(), 6);
        assert_eq!(s.to_string(), DsaStrategy::DEFAULT);
        assert!(s.flips());
        assert!(!DsaStrategy::parse("color_crop").unwrap().flips());
        let e = DsaStrategy::parse("color_blur").unwrap_err().to_string();
        assert!(e.contains("unknown family `blur`"), "{e}");
        assert!(DsaStrategy::parse("crop_crop").is_err());
        assert!(DsaStrategy::parse("").is_err());
    }

    #[test]
    fn identity_affine_is_the_identity() {
        // theta = I: every output pixel reads exactly its own input pixel.
        let shape = ExampleShape::new(2, 5, 7);
        let map = affine(shape, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
        let mut x = ramp(shape);
        map.apply(&mut x, shape, &mut Vec::new());
        assert_eq!(x, ramp(shape));
    }

    #[test]
    fn rotation_by_90_degrees_turns_the_image() {
        // theta = [[0, -1], [1, 0]]: output (x, y) reads input (-y, x) in normalised
        // coordinates, on a square image exactly a quarter turn.
        let shape = ExampleShape::new(1, 3, 3);
        let map = affine(shape, [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]);
        let mut x = ramp(shape);
        map.apply(&mut x, shape, &mut Vec::new());
        // out(y, x) = in(x, w-1-y)
        let input = ramp(shape);
        for y in 0..3 {
            for xx in 0..3 {
                assert!((x[y * 3 + xx] - input[xx * 3 + (2 - y)]).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn upscaling_by_half_interpolates_bilinearly() {
        // sx = sy = 0.5 on a 1x4 row: output x reads input at ix = (x - 1.5) / 2 + 1.5,
        // so pixel 0 reads 0.75 (0.25 * in[0] + 0.75 * in[1]).
        let shape = ExampleShape::new(1, 1, 4);
        let map = affine(shape, [[0.5, 0.0, 0.0], [0.0, 1.0, 0.0]]);
        let mut x = vec![10.0, 20.0, 30.0, 40.0];
        map.apply(&mut x, shape, &mut Vec::new());
        assert!((x[0] - 17.5).abs() < 1e-4, "{x:?}");
        assert!((x[3] - 32.5).abs() < 1e-4, "{x:?}");
    }

    #[test]
    fn shrinking_pads_with_zero() {
        // sx = 2 reads outside the image at the borders: those pixels fade to 0.
        let shape = ExampleShape::new(1, 1, 4);
        let map = affine(shape, [[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
        let mut x = vec![1.0; 4];
        map.apply(&mut x, shape, &mut Vec::new());
        assert!(
            x[0] < 1.0 && x[3] < 1.0 && (x[1] - 1.0).abs() < 1e-6,
            "{x:?}"
        );
    }

    #[test]
    fn translation_and_mirror_move_pixels() {
        let shape = ExampleShape::new(1, 2, 3);
        let mut x = ramp(shape);
        translation(shape, 0, 1).apply(&mut x, shape, &mut Vec::new());
        assert_eq!(x, vec![2.0, 3.0, 0.0, 5.0, 6.0, 0.0]);
        let mut x = ramp(shape);
        mirror(shape).apply(&mut x, shape, &mut Vec::new());
        assert_eq!(x, vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
    }

    #[test]
    fn cutout_clamps_like_the_reference() {
        // 6x6, side 3 centred at row 0: rows -1, 0, 1 clamp to {0, 1}; columns 2..5.
        let shape = ExampleShape::new(1, 6, 6);
        let mut x = vec![1.0; 36];
        cutout(shape, 3, 3, 0, 3).apply(&mut x, shape, &mut Vec::new());
        let zeros: Vec<usize> = (0..36).filter(|&i| x[i] == 0.0).collect();
        assert_eq!(zeros, vec![2, 3, 4, 8, 9, 10]);
    }

    #[test]
    fn color_matches_the_formulas() {
        // One channel: saturation is a no-op (the channel mean is the pixel itself).
        let shape = ExampleShape::new(1, 1, 2);
        let mut x = vec![1.0, 3.0];
        color(&mut x, shape, 0.5, 1.7, 2.0);
        // +0.5 -> [1.5, 3.5], mean 2.5, contrast 2 -> [0.5, 4.5]
        assert_eq!(x, vec![0.5, 4.5]);
        // Two channels: saturation scales the deviation from the channel mean.
        let shape = ExampleShape::new(2, 1, 1);
        let mut x = vec![1.0, 3.0];
        color(&mut x, shape, 0.0, 0.5, 1.0);
        assert_eq!(x, vec![1.5, 2.5]);
    }

    #[test]
    fn dense_matches_the_sparse_map() {
        let shape = ExampleShape::new(1, 4, 4);
        let map = affine(shape, [[0.9, -0.2, 0.1], [0.3, 1.1, 0.0]]);
        let m = map.dense(16);
        let input = ramp(shape);
        let mut x = input.clone();
        map.apply(&mut x, shape, &mut Vec::new());
        for o in 0..16 {
            let v: f32 = (0..16).map(|s| m[o * 16 + s] * input[s]).sum();
            assert!((v - x[o]).abs() < 1e-4);
        }
    }

    #[test]
    fn sampled_parameters_stay_in_the_reference_ranges() {
        let shape = ExampleShape::new(1, 28, 28);
        let mut rng = rng::seeded(5);
        for _ in 0..200 {
            match DsaTransform::sample(DsaFamily::Color, shape, &mut rng) {
                DsaTransform::Color {
                    brightness,
                    saturation,
                    contrast,
                } => {
                    assert!((-0.5..0.5).contains(&brightness));
                    assert!((0.0..2.0).contains(&saturation));
                    assert!((0.5..1.5).contains(&contrast));
                }
                DsaTransform::Pixels(_) => panic!("color is not a pixel map"),
            }
            // A crop keeps at least (28 - 4)^2 pixels: shifts are at most 4.
            let DsaTransform::Pixels(map) = DsaTransform::sample(DsaFamily::Crop, shape, &mut rng)
            else {
                panic!()
            };
            assert!(map.entries.len() >= 24 * 24);
            // A cutout removes at most 14 x 14 pixels.
            let DsaTransform::Pixels(map) =
                DsaTransform::sample(DsaFamily::Cutout, shape, &mut rng)
            else {
                panic!()
            };
            assert!(map.entries.len() >= 784 - 196 && map.entries.len() < 784);
        }
    }

    #[test]
    fn a_batch_shares_its_family() {
        // With only flip in the strategy, every image is flipped or kept, never moved.
        let shape = ExampleShape::new(1, 2, 2);
        let s = DsaStrategy::parse("flip").unwrap();
        let mut batch: Vec<f32> = (0..40).map(|v| v as f32).collect();
        let before = batch.clone();
        s.apply_batch(&mut batch, shape, &mut rng::seeded(1));
        let mut flipped = 0;
        for (a, b) in batch.chunks(4).zip(before.chunks(4)) {
            if a != b {
                assert_eq!(a, [b[1], b[0], b[3], b[2]]);
                flipped += 1;
            }
        }
        assert!(flipped > 0 && flipped < 10);
    }
}
