//! Dropout with an explicit switch. burn's `nn::Dropout` is a no-op off the autodiff
//! backend, so MC dropout (dropout forced on at inference) needs its own mask.

use burn::tensor::{backend::Backend, Distribution, Tensor};

/// Inverted dropout: zero each element with probability `p` and scale the rest by
/// `1/(1-p)`, when `active`; identity otherwise. The mask comes from the backend RNG.
pub fn dropout<B: Backend, const D: usize>(x: Tensor<B, D>, p: f64, active: bool) -> Tensor<B, D> {
    if !active || p <= 0.0 {
        return x;
    }
    let keep = 1.0 - p;
    let mask = x.random_like(Distribution::Bernoulli(keep));
    x * mask / keep
}
