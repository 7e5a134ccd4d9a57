//! The ConvNet of the dataset-condensation papers (DC, DSA, DM): depth x [conv 3x3 with
//! `width` channels, instance norm (affine), ReLU, avg-pool 2], then one linear layer.
//! As in the reference (VICO-UoE/DatasetCondensation, `networks.py`), the first conv
//! pads 3 instead of 1 on 1-channel 28x28 images (MNIST, Fashion-MNIST), so the maps are
//! 32x32 and the feature size 128·4·4 = 2048, as for 32x32 images. Instance norm with an
//! affine transform is `GroupNorm(width, width)` (eps 1e-5) in the reference.

use super::Taps;
use crate::cpu_ops::{conv2d, instance_norm_relu_pool};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{InstanceNorm, InstanceNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{backend::Backend, Tensor};
use sieve_datasets::ExampleShape;

/// One conv block.
#[derive(Module, Debug)]
pub struct ConvBlock<B: Backend> {
    pub(crate) conv: Conv2d<B>,
    pub(crate) norm: InstanceNorm<B>,
}

/// The condensation ConvNet.
#[derive(Module, Debug)]
pub struct ConvNet<B: Backend> {
    pub(crate) blocks: Vec<ConvBlock<B>>,
    head: Linear<B>,
}

/// The padding of block `d`'s conv: 3 for the first on 1-channel 28x28 images, else 1.
pub fn block_padding(shape: ExampleShape, d: usize) -> usize {
    if d == 0 && shape.channels == 1 && shape.height == 28 && shape.width == 28 {
        3
    } else {
        1
    }
}

impl<B: Backend> ConvNet<B> {
    /// `depth` blocks of `width` channels; the head is sized from the pooled feature map.
    pub fn new(
        shape: ExampleShape,
        classes: usize,
        width: usize,
        depth: usize,
        device: &B::Device,
    ) -> Self {
        let mut blocks = Vec::with_capacity(depth);
        let (mut channels, mut h, mut w) = (shape.channels, shape.height, shape.width);
        for d in 0..depth {
            let pad = block_padding(shape, d);
            h += 2 * pad - 2;
            w += 2 * pad - 2;
            blocks.push(ConvBlock {
                conv: Conv2dConfig::new([channels, width], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                    .init(device),
                norm: InstanceNormConfig::new(width)
                    .with_affine(true)
                    .init(device),
            });
            channels = width;
            h /= 2;
            w /= 2;
        }
        Self {
            blocks,
            head: LinearConfig::new(channels * h * w, classes).init(device),
        }
    }

    /// Flattened features after the last block (the DC papers' embedding).
    pub fn embed(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.embed_tapped(x, &mut Taps::off())
    }

    /// [`Self::embed`], handing `taps` each block's pooled output.
    pub fn embed_tapped(&self, x: Tensor<B, 4>, taps: &mut Taps<B>) -> Tensor<B, 2> {
        let mut x = x;
        for block in &self.blocks {
            x = instance_norm_relu_pool(conv2d(&block.conv, x), &block.norm);
            taps.map(&x);
        }
        x.flatten(1, 3)
    }

    /// Logits from the embedding.
    pub fn head(&self, h: Tensor<B, 2>) -> Tensor<B, 2> {
        self.head.forward(h)
    }

    /// The linear head.
    pub fn head_layer(&self) -> &Linear<B> {
        &self.head
    }

    /// Swaps in another head of the same input width (self-supervised init).
    pub fn replace_head(&mut self, head: Linear<B>) {
        self.head = head;
    }

    /// Width of the embedding the head reads.
    pub fn head_input_width(&self) -> usize {
        self.head.weight.dims()[0]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::module::Param;
    use burn::tensor::activation::relu;
    use burn::tensor::module::avg_pool2d;
    use burn::tensor::{Distribution, TensorData};

    /// The embedding equals burn's own layers block by block (conv, `InstanceNorm`,
    /// ReLU, 2x2 average pool), with a negative γ so the ReLU cuts differently per channel.
    #[test]
    fn embedding_equals_burns_layers() {
        let device = Default::default();
        let mut net = ConvNet::<Flex>::new(ExampleShape::new(1, 28, 28), 10, 3, 2, &device);
        net.blocks[0].norm.gamma = Some(Param::from_data(
            TensorData::from([0.5f32, -1.5, 2.0]),
            &device,
        ));
        net.blocks[0].norm.beta = Some(Param::from_data(
            TensorData::from([0.1f32, 0.0, -0.7]),
            &device,
        ));
        let x = Tensor::<Flex, 4>::random([2, 1, 28, 28], Distribution::Normal(0.5, 1.0), &device);
        let mut want = x.clone();
        for block in &net.blocks {
            want = relu(block.norm.forward(block.conv.forward(want)));
            want = avg_pool2d(want, [2, 2], [2, 2], [0, 0], true, false);
        }
        let want: Vec<f32> = want.flatten::<2>(1, 3).into_data().to_vec().unwrap();
        let got: Vec<f32> = net.embed(x).into_data().to_vec().unwrap();
        assert_eq!(got.len(), 2 * 3 * 8 * 8);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-4 * (1.0 + w.abs()), "{g} vs {w}");
        }
    }

    #[test]
    fn one_channel_28x28_pads_to_32() {
        let device = Default::default();
        let net = ConvNet::<Flex>::new(ExampleShape::new(1, 28, 28), 10, 8, 3, &device);
        // 28 -> 32 (padding 3) -> 16 -> 8 -> 4: 8 channels x 4 x 4.
        assert_eq!(net.head_input_width(), 8 * 4 * 4);
        let net = ConvNet::<Flex>::new(ExampleShape::new(3, 28, 28), 10, 8, 3, &device);
        assert_eq!(net.head_input_width(), 8 * 3 * 3);
        let net = ConvNet::<Flex>::new(ExampleShape::new(1, 32, 32), 10, 8, 3, &device);
        assert_eq!(net.head_input_width(), 8 * 4 * 4);
    }
}
