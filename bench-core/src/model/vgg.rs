//! VGG-11 and VGG-16 with batch norm as TorchAL trains them (`pycls/models/vgg_style/
//! vgg.py`, itself VAAL's `vgg.py`): configuration A or D of 3x3 convolutions (padding 1,
//! with bias) each followed by batch norm and ReLU, max-pool 2 between the stages; then
//! adaptive average pooling to 7x7, linear 25,088 → 4,096, ReLU, dropout 0.5, linear
//! 4,096 → 512, ReLU (the 512-wide embedding), and the linear head. Convolutions are
//! He-normal on fan-out with zero bias, batch norms weight 1 and bias 0, linear layers
//! N(0, 0.01) with zero bias — the reference's `_initialize_weights`.
//!
//! Five max-pools need a 32x32 input: 28x28 images (MNIST-like) are padded by the first
//! convolution (padding 3 instead of 1: 28 → 32), as the DC ConvNet does; TorchAL
//! resizes them instead. Batch norm follows `resnet`'s rule: batch statistics only in a
//! training step, running statistics everywhere else.

use crate::cpu_ops::{conv2d, max_pool2d};
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::module::adaptive_avg_pool2d;
use burn::tensor::{activation::relu, backend::Backend, Tensor};
use sieve_datasets::ExampleShape;

use super::dropout;
use super::resnet::batch_norm;
use super::Taps;

/// The reference's dropout between the two hidden linear layers.
pub const VGG_DROPOUT: f64 = 0.5;

/// Channels of each convolution, `0` marking a max-pool (the reference's `cfgs`).
pub const VGG11_LAYERS: &[usize] = &[64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0];
pub const VGG16_LAYERS: &[usize] = &[
    64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0,
];

/// Width of the hidden linear layer and of the embedding.
const HIDDEN: usize = 4096;
const EMBEDDING: usize = 512;

/// The first convolution's padding on one side: 1, or enough to bring a side below 32
/// up to 32 (28 → 3).
pub fn vgg_first_padding(side: usize) -> usize {
    1 + 32usize.saturating_sub(side).div_ceil(2)
}

/// Weights of a VGG for examples of `shape` and `classes` classes (running statistics
/// of the batch norms included, as burn counts them), computed without building it.
pub fn vgg_parameter_count(layers: &[usize], channels: usize, classes: usize) -> u128 {
    let mut total = 0u128;
    let mut input = channels as u128;
    for &c in layers.iter().filter(|&&c| c > 0) {
        let c = c as u128;
        total += 9 * input * c + c + 4 * c;
        input = c;
    }
    total
        + 512 * 49 * HIDDEN as u128
        + HIDDEN as u128
        + HIDDEN as u128 * EMBEDDING as u128
        + EMBEDDING as u128
        + EMBEDDING as u128 * classes as u128
        + classes as u128
}

/// A convolution with its batch norm, and whether a max-pool follows.
#[derive(Module, Debug)]
pub struct VggConv<B: Backend> {
    conv: Conv2d<B>,
    norm: BatchNorm<B>,
    pool_after: bool,
}

/// VGG with batch norm.
#[derive(Module, Debug)]
pub struct Vgg<B: Backend> {
    convs: Vec<VggConv<B>>,
    hidden: Linear<B>,
    embedding: Linear<B>,
    head: Linear<B>,
}

/// Linear with N(0, 0.01) weights and a zero bias.
fn linear<B: Backend>(input: usize, output: usize, device: &B::Device) -> Linear<B> {
    let mut layer = LinearConfig::new(input, output)
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: 0.01,
        })
        .init(device);
    layer.bias = Some(Param::from_tensor(Tensor::zeros([output], device)));
    layer
}

impl<B: Backend> Vgg<B> {
    /// `layers`: [`VGG11_LAYERS`] or [`VGG16_LAYERS`].
    pub fn new(shape: ExampleShape, classes: usize, layers: &[usize], device: &B::Device) -> Self {
        let mut convs: Vec<VggConv<B>> = Vec::new();
        let mut input = shape.channels;
        for &c in layers {
            if c == 0 {
                if let Some(last) = convs.last_mut() {
                    last.pool_after = true;
                }
                continue;
            }
            let (ph, pw) = if convs.is_empty() {
                (
                    vgg_first_padding(shape.height),
                    vgg_first_padding(shape.width),
                )
            } else {
                (1, 1)
            };
            let mut conv = Conv2dConfig::new([input, c], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(ph, pw, ph, pw))
                .with_initializer(Initializer::KaimingNormal {
                    gain: std::f64::consts::SQRT_2,
                    fan_out_only: true,
                })
                .init(device);
            conv.bias = Some(Param::from_tensor(Tensor::zeros([c], device)));
            convs.push(VggConv {
                conv,
                norm: BatchNormConfig::new(c).init(device),
                pool_after: false,
            });
            input = c;
        }
        Self {
            convs,
            hidden: linear(512 * 49, HIDDEN, device),
            embedding: linear(HIDDEN, EMBEDDING, device),
            head: linear(EMBEDDING, classes, device),
        }
    }

    /// The 512-wide embedding, with `drop` on the 4,096 hidden units; batch norm as in
    /// the module docs.
    pub fn embed_with(
        &self,
        x: Tensor<B, 4>,
        training: bool,
        drop: impl FnOnce(Tensor<B, 2>) -> Tensor<B, 2>,
        taps: &mut Taps<B>,
    ) -> Tensor<B, 2> {
        let mut x = x;
        for layer in &self.convs {
            x = relu(batch_norm(&layer.norm, conv2d(&layer.conv, x), training));
            if layer.pool_after {
                x = max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], false);
                taps.map(&x);
            }
        }
        let x = adaptive_avg_pool2d(x, [7, 7]).flatten(1, 3);
        let h = drop(relu(self.hidden.forward(x)));
        let h = relu(self.embedding.forward(h));
        taps.vector(&h);
        h
    }

    /// The embedding with the model's dropout when `drop_active` (a training step or MC
    /// dropout); batch statistics only in a training step.
    pub fn embed(&self, x: Tensor<B, 4>, drop_active: bool) -> Tensor<B, 2> {
        self.embed_with(
            x,
            drop_active,
            |h| dropout(h, VGG_DROPOUT, drop_active),
            &mut Taps::off(),
        )
    }

    pub fn head(&self, h: Tensor<B, 2>) -> Tensor<B, 2> {
        self.head.forward(h)
    }

    pub fn head_layer(&self) -> &Linear<B> {
        &self.head
    }

    /// Swaps in another head of the same input width (self-supervised init).
    pub fn replace_head(&mut self, head: Linear<B>) {
        self.head = head;
    }

    pub fn head_input_width(&self) -> usize {
        EMBEDDING
    }

    /// Width of the dropout site inside the embedding.
    pub fn hidden_width(&self) -> usize {
        HIDDEN
    }
}
