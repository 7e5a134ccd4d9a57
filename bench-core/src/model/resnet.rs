//! ResNet-18 (He et al. 2016) as the anchor toolkits train it: 4 stages of 2 basic blocks
//! (64, 128, 256, 512 channels; strides 1, 2, 2, 2), global average pooling to a
//! 512-wide embedding, and a linear head. Two stems:
//!
//! - `cifar`: conv 3x3 stride 1, batch norm, ReLU, no max-pool (the usual CIFAR ResNet);
//! - `imagenet`: conv 7x7 stride 2, batch norm, ReLU, max-pool 3x3 stride 2 (torchvision's
//!   `resnet18`); for 1-channel input a 1x1 convolution to 3 channels comes first, as in
//!   DeepAL+'s `MNIST_Net`, which it trains on MNIST and Fashion-MNIST.
//!
//! Batch norm uses the batch's statistics (and updates its running ones) only in a
//! training step — an autodiff backend with dropout active, which is how the trainer
//! calls it — and the running statistics everywhere else: evaluation, pool scoring, MC
//! dropout, and the input gradients of the adversarial strategies (PyTorch's `eval()`).

use super::Taps;
use crate::cpu_ops::{batch_norm_inference, batch_norm_training, conv2d, max_pool2d};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::module::adaptive_avg_pool2d;
use burn::tensor::{activation::relu, backend::Backend, Tensor};
use serde::{Deserialize, Serialize};
use sieve_datasets::ExampleShape;

/// The first layers of a ResNet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResnetStem {
    /// conv 3x3 stride 1, no max-pool (for 32x32 and smaller images).
    Cifar,
    /// conv 7x7 stride 2 and max-pool 3x3 stride 2 (torchvision; DeepAL+).
    Imagenet,
}

impl ResnetStem {
    pub fn as_str(self) -> &'static str {
        match self {
            ResnetStem::Cifar => "cifar",
            ResnetStem::Imagenet => "imagenet",
        }
    }
}

/// Batch norm in the mode the call asks for (see the module docs); sieve's kernels on
/// the CPU backend ([`crate::cpu_ops::batch_norm_training`]).
pub(super) fn batch_norm<B: Backend>(
    norm: &BatchNorm<B>,
    x: Tensor<B, 4>,
    training: bool,
) -> Tensor<B, 4> {
    if training && B::ad_enabled(&x.device()) {
        return batch_norm_training(norm, x);
    }
    batch_norm_inference(norm, x)
}

/// A 3x3 (or `kernel`) convolution without bias, He-normal initialised on fan-out
/// (torchvision's `kaiming_normal_(mode="fan_out", nonlinearity="relu")`).
fn conv<B: Backend>(
    input: usize,
    output: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    device: &B::Device,
) -> Conv2d<B> {
    Conv2dConfig::new([input, output], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding, padding, padding, padding,
        ))
        .with_bias(false)
        .with_initializer(Initializer::KaimingNormal {
            gain: std::f64::consts::SQRT_2,
            fan_out_only: true,
        })
        .init(device)
}

fn norm<B: Backend>(channels: usize, device: &B::Device) -> BatchNorm<B> {
    BatchNormConfig::new(channels).init(device)
}

/// Two 3x3 convolutions with a residual connection (1x1 projection when the shape
/// changes).
#[derive(Module, Debug)]
pub struct BasicBlock<B: Backend> {
    conv1: Conv2d<B>,
    norm1: BatchNorm<B>,
    conv2: Conv2d<B>,
    norm2: BatchNorm<B>,
    /// The 1x1 projection of the residual when the shape changes.
    shortcut_conv: Option<Conv2d<B>>,
    shortcut_norm: Option<BatchNorm<B>>,
}

impl<B: Backend> BasicBlock<B> {
    fn new(input: usize, output: usize, stride: usize, device: &B::Device) -> Self {
        let project = stride != 1 || input != output;
        Self {
            conv1: conv(input, output, 3, stride, 1, device),
            norm1: norm(output, device),
            conv2: conv(output, output, 3, 1, 1, device),
            norm2: norm(output, device),
            shortcut_conv: project.then(|| conv(input, output, 1, stride, 0, device)),
            shortcut_norm: project.then(|| norm(output, device)),
        }
    }

    fn forward(&self, x: Tensor<B, 4>, training: bool) -> Tensor<B, 4> {
        let out = relu(batch_norm(
            &self.norm1,
            conv2d(&self.conv1, x.clone()),
            training,
        ));
        let out = batch_norm(&self.norm2, conv2d(&self.conv2, out), training);
        let skip = match (&self.shortcut_conv, &self.shortcut_norm) {
            (Some(c), Some(n)) => batch_norm(n, conv2d(c, x), training),
            _ => x,
        };
        relu(out + skip)
    }
}

/// ResNet-18.
#[derive(Module, Debug)]
pub struct ResNet18<B: Backend> {
    /// 1-channel input to 3 channels (imagenet stem only), with bias, PyTorch's default
    /// initialisation.
    to_rgb: Option<Conv2d<B>>,
    stem_conv: Conv2d<B>,
    stem_norm: BatchNorm<B>,
    max_pool: bool,
    blocks: Vec<BasicBlock<B>>,
    head: Linear<B>,
}

/// Channels of the four stages.
const STAGES: [usize; 4] = [64, 128, 256, 512];

impl<B: Backend> ResNet18<B> {
    pub fn new(shape: ExampleShape, classes: usize, stem: ResnetStem, device: &B::Device) -> Self {
        let (to_rgb, stem_conv, max_pool) = match stem {
            ResnetStem::Cifar => (None, conv(shape.channels, 64, 3, 1, 1, device), false),
            ResnetStem::Imagenet => {
                let to_rgb =
                    (shape.channels == 1).then(|| Conv2dConfig::new([1, 3], [1, 1]).init(device));
                let channels = if shape.channels == 1 {
                    3
                } else {
                    shape.channels
                };
                (to_rgb, conv(channels, 64, 7, 2, 3, device), true)
            }
        };
        let mut blocks = Vec::new();
        let mut input = 64;
        for (stage, &output) in STAGES.iter().enumerate() {
            let stride = if stage == 0 { 1 } else { 2 };
            blocks.push(BasicBlock::new(input, output, stride, device));
            blocks.push(BasicBlock::new(output, output, 1, device));
            input = output;
        }
        Self {
            to_rgb,
            stem_conv,
            stem_norm: norm(64, device),
            max_pool,
            blocks,
            head: LinearConfig::new(512, classes).init(device),
        }
    }

    /// The 512-wide pooled features; `training` as in the module docs.
    pub fn embed(&self, x: Tensor<B, 4>, training: bool) -> Tensor<B, 2> {
        self.embed_tapped(x, training, &mut Taps::off())
    }

    /// [`Self::embed`], handing `taps` the output of each of the four stages (LL4AL's
    /// loss-prediction module reads exactly these).
    pub fn embed_tapped(
        &self,
        x: Tensor<B, 4>,
        training: bool,
        taps: &mut Taps<B>,
    ) -> Tensor<B, 2> {
        let x = match &self.to_rgb {
            Some(c) => conv2d(c, x),
            None => x,
        };
        let mut x = relu(batch_norm(
            &self.stem_norm,
            conv2d(&self.stem_conv, x),
            training,
        ));
        if self.max_pool {
            x = max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], false);
        }
        for (i, block) in self.blocks.iter().enumerate() {
            x = block.forward(x, training);
            // Two basic blocks a stage.
            if i % 2 == 1 {
                taps.map(&x);
            }
        }
        adaptive_avg_pool2d(x, [1, 1]).flatten(1, 3)
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
        512
    }
}
