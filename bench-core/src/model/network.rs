//! One type over the model families, so the trainer and the views need not be generic
//! over the architecture.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{backend::Backend, Tensor};
use sieve_datasets::ExampleShape;

use super::{dropout, ConvNet, LeNet, Mlp, ModelKind, ModelSpec};
use crate::CoreError;

/// Any sieve model. `dropout_p` is kept beside the weights (not a parameter).
// One network exists per training run, so the size gap between variants costs nothing;
// boxing would fight burn's Module derive.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Network<B: Backend> {
    Mlp(Mlp<B>),
    Lenet(LeNet<B>),
    Convnet(ConvNet<B>),
}

impl<B: Backend> Network<B> {
    /// Builds the model of `spec` for examples of `shape` and `classes` classes; weights come
    /// from the backend RNG (seed it first). burn initialises parameters lazily, on first
    /// use; they are forced here so the weights depend on the RNG state *now*, not on
    /// whatever ran before the first forward pass.
    pub fn init(
        spec: &ModelSpec,
        shape: ExampleShape,
        classes: usize,
        device: &B::Device,
    ) -> Result<Self, CoreError> {
        let network = match spec.validate("model", Some(shape))? {
            ModelKind::Mlp => Network::Mlp(Mlp::new(
                shape.len(),
                &spec.hidden_widths(),
                classes,
                device,
            )),
            ModelKind::Lenet => Network::Lenet(LeNet::new(shape, classes, device)),
            ModelKind::Convnet => Network::Convnet(ConvNet::new(
                shape,
                classes,
                spec.conv_width(),
                spec.conv_depth(shape),
                device,
            )),
        };
        network.visit(&mut ForceInit);
        Ok(network)
    }

    /// Penultimate embedding (before the dropout that precedes the head).
    pub fn embed(&self, x: Tensor<B, 4>, p: f64, drop_active: bool) -> Tensor<B, 2> {
        match self {
            Network::Mlp(m) => m.embed(x, p, drop_active),
            Network::Lenet(m) => m.embed(x, p, drop_active),
            Network::Convnet(m) => m.embed(x),
        }
    }

    /// Logits from an embedding, with dropout on the embedding when `drop_active`.
    pub fn head(&self, h: Tensor<B, 2>, p: f64, drop_active: bool) -> Tensor<B, 2> {
        let h = dropout(h, p, drop_active);
        match self {
            Network::Mlp(m) => m.head(h),
            Network::Lenet(m) => m.head(h),
            Network::Convnet(m) => m.head(h),
        }
    }

    /// Logits of a batch.
    pub fn forward(&self, x: Tensor<B, 4>, p: f64, drop_active: bool) -> Tensor<B, 2> {
        let h = self.embed(x, p, drop_active);
        self.head(h, p, drop_active)
    }
}

/// Touches every parameter so lazy initialisers run immediately.
struct ForceInit;

impl<B: Backend> ModuleVisitor<B> for ForceInit {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let _ = param.val();
    }
}
