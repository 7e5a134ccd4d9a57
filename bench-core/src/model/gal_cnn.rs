//! The CNN of Gal, Islam & Ghahramani (2017, "Deep Bayesian Active Learning with Image
//! Data"; the Keras MNIST example they build on): conv 4x4 (32) – ReLU – conv 4x4 (32) –
//! ReLU – max-pool 2 – dropout – dense 128 – ReLU – dropout – dense. 'Valid' convolutions,
//! so 28x28 images give 32·11·11 = 3,872 features before the dense layer. The two
//! dropout rates (0.25 and 0.5 in the paper) belong to the model, not to the
//! regularization setting: they act in training and in MC dropout alike.

use crate::cpu_ops::{conv2d, max_pool2d};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{activation::relu, backend::Backend, Tensor};
use sieve_datasets::ExampleShape;

use super::dropout;
use super::Taps;

/// The paper's rates: after the pooled convolutions, and after the dense layer.
pub const GAL_DROPOUT: [f64; 2] = [0.25, 0.5];

/// Side of the feature map after two valid 4x4 convolutions and a 2x2 pool.
pub fn gal_feature_side(side: usize) -> usize {
    side.saturating_sub(6) / 2
}

/// Gal et al.'s MNIST CNN.
#[derive(Module, Debug)]
pub struct GalCnn<B: Backend> {
    conv1: Conv2d<B>,
    conv2: Conv2d<B>,
    dense: Linear<B>,
    head: Linear<B>,
    /// Dropout rates (conv block, dense), kept beside the weights.
    rates: [f64; 2],
}

impl<B: Backend> GalCnn<B> {
    /// Sized from the example shape.
    pub fn new(shape: ExampleShape, classes: usize, rates: [f64; 2], device: &B::Device) -> Self {
        let flat = 32 * gal_feature_side(shape.height) * gal_feature_side(shape.width);
        Self {
            conv1: Conv2dConfig::new([shape.channels, 32], [4, 4]).init(device),
            conv2: Conv2dConfig::new([32, 32], [4, 4]).init(device),
            dense: LinearConfig::new(flat, 128).init(device),
            head: LinearConfig::new(128, classes).init(device),
            rates,
        }
    }

    /// The dropout rates (conv block, dense).
    pub fn rates(&self) -> [f64; 2] {
        self.rates
    }

    /// The 128-unit embedding, with `drop(0, h)` on the flattened pooled features;
    /// `taps` gets the first convolution, the pooled second and the dense layer.
    pub fn embed_with(
        &self,
        x: Tensor<B, 4>,
        drop: impl FnOnce(usize, Tensor<B, 2>) -> Tensor<B, 2>,
        taps: &mut Taps<B>,
    ) -> Tensor<B, 2> {
        let x = relu(conv2d(&self.conv1, x));
        taps.map(&x);
        let x = relu(conv2d(&self.conv2, x));
        let x = max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], false);
        taps.map(&x);
        let h = drop(0, x.flatten(1, 3));
        let h = relu(self.dense.forward(h));
        taps.vector(&h);
        h
    }

    /// The embedding with the conv block's dropout when `drop_active`.
    pub fn embed(&self, x: Tensor<B, 4>, drop_active: bool) -> Tensor<B, 2> {
        self.embed_with(
            x,
            |_, h| dropout(h, self.rates[0], drop_active),
            &mut Taps::off(),
        )
    }

    /// Width of the conv block's dropout site.
    pub fn conv_features(&self) -> usize {
        self.dense.weight.dims()[0]
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
