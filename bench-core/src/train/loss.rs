//! Cross-entropy against soft targets (covers label smoothing).

use burn::tensor::{activation::log_softmax, backend::Backend, Tensor};

/// Mean over the batch of `-sum_c target_c * log softmax(logits)_c`.
pub fn soft_cross_entropy<B: Backend>(logits: Tensor<B, 2>, targets: Tensor<B, 2>) -> Tensor<B, 1> {
    let log_probs = log_softmax(logits, 1);
    (log_probs * targets).sum_dim(1).mean().neg()
}

/// Each example's `-sum_c target_c * log softmax(logits)_c`, shape `[n]`.
pub fn per_example_cross_entropy<B: Backend>(
    logits: Tensor<B, 2>,
    targets: Tensor<B, 2>,
) -> Tensor<B, 1> {
    let log_probs = log_softmax(logits, 1);
    let n = targets.dims()[0];
    (log_probs * targets).sum_dim(1).reshape([n]).neg()
}

/// The weighted mean `sum(w_i * CE_i) / sum(w_i)` of a batch: how weighted coresets
/// (CRAIG, GradMatch) train. `weights` has one entry per example.
pub fn weighted_cross_entropy<B: Backend>(
    logits: Tensor<B, 2>,
    targets: Tensor<B, 2>,
    weights: Tensor<B, 1>,
) -> Tensor<B, 1> {
    let total = weights.clone().sum();
    (per_example_cross_entropy(logits, targets) * weights).sum() / total
}
