//! Dropout with an explicit switch. burn's `nn::Dropout` is a no-op off the autodiff
//! backend, so MC dropout (dropout forced on at inference) needs its own mask.

use burn::tensor::{backend::Backend, Distribution, Tensor};

/// One pass of consistent MC dropout: one mask per dropout site `(width, rate)`, shape `[1, width]`,
/// already scaled by `1/(1-p)`, broadcast over every example of every batch of the pass.
/// Every example then sees the same sampled network ω_s, which BatchBALD's joint
/// `P(y_1..y_n) = 1/K Σ_s Π_i p_s(y_i)` assumes (Kirsch et al. 2019, "consistent MC
/// dropout" in BlackHC/batchbald_redux). Per-element masks give twin examples different
/// predictions in the same pass.
pub fn consistent_masks<B: Backend>(
    sites: &[(usize, f64)],
    device: &B::Device,
) -> Vec<Tensor<B, 2>> {
    sites
        .iter()
        .map(|&(width, p)| {
            let keep = 1.0 - p;
            Tensor::random([1, width], Distribution::Bernoulli(keep), device) / keep
        })
        .collect()
}

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
