//! LeNet-style CNN: 2 x [conv 5x5 ('same' padding), ReLU, max-pool 2], then 120 and 84
//! fully connected units and a linear head. 'Same' padding lets it run on 8x8 digits too.

use super::Taps;
use crate::cpu_ops::{conv2d, max_pool2d};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{activation::relu, backend::Backend, Tensor};
use sieve_datasets::ExampleShape;

/// The LeNet-style network.
#[derive(Module, Debug)]
pub struct LeNet<B: Backend> {
    conv1: Conv2d<B>,
    conv2: Conv2d<B>,
    fc1: Linear<B>,
    fc2: Linear<B>,
    head: Linear<B>,
}

impl<B: Backend> LeNet<B> {
    /// Sized from the example shape: the flattened width after two 2x2 pools.
    pub fn new(shape: ExampleShape, classes: usize, device: &B::Device) -> Self {
        let conv = |i, o| {
            Conv2dConfig::new([i, o], [5, 5])
                .with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2))
                .init(device)
        };
        let flat = 16 * (shape.height / 4) * (shape.width / 4);
        Self {
            conv1: conv(shape.channels, 6),
            conv2: conv(6, 16),
            fc1: LinearConfig::new(flat, 120).init(device),
            fc2: LinearConfig::new(120, 84).init(device),
            head: LinearConfig::new(84, classes).init(device),
        }
    }

    /// Penultimate (84-unit) activations. LeNet-5 has no dropout; sieve's dropout acts
    /// once, on this embedding before the head ([`crate::Network::head`]).
    pub fn embed(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.embed_tapped(x, &mut Taps::off())
    }

    /// [`Self::embed`], handing `taps` the two pooled convolution stages and the two
    /// dense layers.
    pub fn embed_tapped(&self, x: Tensor<B, 4>, taps: &mut Taps<B>) -> Tensor<B, 2> {
        let x = max_pool2d(
            relu(conv2d(&self.conv1, x)),
            [2, 2],
            [2, 2],
            [0, 0],
            [1, 1],
            false,
        );
        taps.map(&x);
        let x = max_pool2d(
            relu(conv2d(&self.conv2, x)),
            [2, 2],
            [2, 2],
            [0, 0],
            [1, 1],
            false,
        );
        taps.map(&x);
        let h = relu(self.fc1.forward(x.flatten(1, 3)));
        taps.vector(&h);
        let h = relu(self.fc2.forward(h));
        taps.vector(&h);
        h
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
