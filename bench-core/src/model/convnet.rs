//! The ConvNet of the dataset-condensation papers (DC, DSA, DM): depth x [conv 3x3 with
//! `width` channels, instance norm (affine), ReLU, avg-pool 2], then one linear layer.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{InstanceNorm, InstanceNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{activation::relu, backend::Backend, module::avg_pool2d, Tensor};
use sieve_datasets::ExampleShape;

/// One conv block.
#[derive(Module, Debug)]
pub struct ConvBlock<B: Backend> {
    conv: Conv2d<B>,
    norm: InstanceNorm<B>,
}

/// The condensation ConvNet.
#[derive(Module, Debug)]
pub struct ConvNet<B: Backend> {
    blocks: Vec<ConvBlock<B>>,
    head: Linear<B>,
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
        for _ in 0..depth {
            blocks.push(ConvBlock {
                conv: Conv2dConfig::new([channels, width], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
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
        let mut x = x;
        for block in &self.blocks {
            x = relu(block.norm.forward(block.conv.forward(x)));
            x = avg_pool2d(x, [2, 2], [2, 2], [0, 0], true, false);
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

    /// Width of the embedding the head reads.
    pub fn head_input_width(&self) -> usize {
        self.head.weight.dims()[0]
    }
}
