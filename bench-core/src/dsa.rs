//! Differentiable Siamese augmentation on tensors: one drawn [`DsaTransform`] applied to
//! a whole `[n, c, h, w]` batch with ordinary tensor operations, so autodiff carries the
//! gradient back to the images (what DM and DSA need). The geometric families and cutout
//! are one matrix product with the transform's pixel map; color is an affine map.

use burn::tensor::{backend::Backend, Tensor, TensorData};
use sieve_datasets::{DsaTransform, ExampleShape};

/// Applies `transform` to every image of `x` (the Siamese case: one transform for all).
pub fn apply_dsa<B: Backend>(
    x: Tensor<B, 4>,
    transform: &DsaTransform,
    shape: ExampleShape,
) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    match transform {
        DsaTransform::Color {
            brightness,
            saturation,
            contrast,
        } => {
            let x = x.add_scalar(*brightness);
            let channel_mean = x.clone().mean_dim(1);
            let x = (x - channel_mean.clone()).mul_scalar(*saturation) + channel_mean;
            let image_mean = x
                .clone()
                .reshape([n, c * h * w])
                .mean_dim(1)
                .reshape([n, 1, 1, 1]);
            (x - image_mean.clone()).mul_scalar(*contrast) + image_mean
        }
        DsaTransform::Pixels(map) => {
            let plane = shape.plane();
            // X (rows of planes) -> X Mᵀ: build Mᵀ[src][out] directly.
            let mut mt = vec![0.0f32; plane * plane];
            for &(o, s, weight) in &map.entries {
                mt[s as usize * plane + o as usize] += weight;
            }
            let mt = Tensor::<B, 2>::from_data(TensorData::new(mt, [plane, plane]), &x.device());
            x.reshape([n * c, plane]).matmul(mt).reshape([n, c, h, w])
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use rand::SeedableRng;
    use sieve_datasets::dsa::{DsaFamily, DsaTransform};

    #[test]
    fn tensor_and_host_transforms_agree() {
        let shape = ExampleShape::new(3, 6, 5);
        let n = 2;
        let values: Vec<f32> = (0..n * shape.len())
            .map(|i| ((i * 37) % 23) as f32 / 7.0 - 1.0)
            .collect();
        let device = Default::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for family in [
            DsaFamily::Color,
            DsaFamily::Crop,
            DsaFamily::Cutout,
            DsaFamily::Flip,
            DsaFamily::Scale,
            DsaFamily::Rotate,
        ] {
            let t = DsaTransform::sample(family, shape, &mut rng);
            let x = Tensor::<Flex, 4>::from_data(
                TensorData::new(
                    values.clone(),
                    [n, shape.channels, shape.height, shape.width],
                ),
                &device,
            );
            let got: Vec<f32> = apply_dsa(x, &t, shape).into_data().to_vec().unwrap();
            let mut want = values.clone();
            let mut scratch = Vec::new();
            for example in want.chunks_exact_mut(shape.len()) {
                t.apply(example, shape, &mut scratch);
            }
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-4, "{family:?}: {g} vs {w}");
            }
        }
    }
}
