//! Multi-layer perceptron on the flattened input.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{activation::relu, backend::Backend, Tensor};

use super::dropout;
use super::Taps;

/// Hidden layers with ReLU (and dropout), then a linear head.
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    hidden: Vec<Linear<B>>,
    head: Linear<B>,
}

impl<B: Backend> Mlp<B> {
    /// An MLP from `input` features through `hidden` widths to `classes` logits.
    pub fn new(input: usize, hidden: &[usize], classes: usize, device: &B::Device) -> Self {
        let mut layers = Vec::with_capacity(hidden.len());
        let mut width = input;
        for &h in hidden {
            layers.push(LinearConfig::new(width, h).init(device));
            width = h;
        }
        Self {
            hidden: layers,
            head: LinearConfig::new(width, classes).init(device),
        }
    }

    /// Penultimate activations; dropout between hidden layers when `drop_active` (the
    /// last hidden layer's dropout is the one [`crate::Network::head`] applies).
    pub fn embed(&self, x: Tensor<B, 4>, p: f64, drop_active: bool) -> Tensor<B, 2> {
        self.embed_with(x, |_, h| dropout(h, p, drop_active), &mut Taps::off())
    }

    /// Penultimate activations with `drop(site, h)` between hidden layers; site `i` is
    /// after hidden layer `i` (the last hidden layer's site belongs to the head). Each
    /// hidden layer's activations (before its dropout) are a stage for `taps`.
    pub fn embed_with(
        &self,
        x: Tensor<B, 4>,
        mut drop: impl FnMut(usize, Tensor<B, 2>) -> Tensor<B, 2>,
        taps: &mut Taps<B>,
    ) -> Tensor<B, 2> {
        let mut h: Tensor<B, 2> = x.flatten(1, 3);
        let last = self.hidden.len().saturating_sub(1);
        for (i, layer) in self.hidden.iter().enumerate() {
            h = relu(layer.forward(h));
            taps.vector(&h);
            if i < last {
                h = drop(i, h);
            }
        }
        h
    }

    /// Widths of the dropout sites inside [`Self::embed`], in order.
    pub fn inner_dropout_widths(&self) -> Vec<usize> {
        let last = self.hidden.len().saturating_sub(1);
        self.hidden
            .iter()
            .take(last)
            .map(|layer| layer.weight.dims()[1])
            .collect()
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
