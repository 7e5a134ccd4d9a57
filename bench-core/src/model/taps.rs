//! Intermediate features of a forward pass, for modules that read more than the
//! embedding: LL4AL's loss-prediction module reads every stage of the network (Yoo &
//! Kweon 2019: the four ResNet stages, each globally average-pooled).

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// Collects one feature vector per stage when on; a plain forward pass passes
/// [`Taps::off`] and pays nothing.
pub struct Taps<B: Backend> {
    levels: Option<Vec<Tensor<B, 2>>>,
}

impl<B: Backend> Taps<B> {
    /// Collects nothing.
    pub fn off() -> Self {
        Self { levels: None }
    }

    /// Collects every stage's features.
    pub fn on() -> Self {
        Self {
            levels: Some(Vec::new()),
        }
    }

    /// A stage's feature map, `[batch, channels, height, width]`, globally average-pooled
    /// to `[batch, channels]`.
    pub fn map(&mut self, x: &Tensor<B, 4>) {
        if let Some(levels) = self.levels.as_mut() {
            levels.push(x.clone().mean_dim(3).mean_dim(2).flatten(1, 3));
        }
    }

    /// A stage that is already a vector per example (a dense layer).
    pub fn vector(&mut self, h: &Tensor<B, 2>) {
        if let Some(levels) = self.levels.as_mut() {
            levels.push(h.clone());
        }
    }

    /// The collected stages, first to last (empty when off).
    pub fn into_levels(self) -> Vec<Tensor<B, 2>> {
        self.levels.unwrap_or_default()
    }
}
