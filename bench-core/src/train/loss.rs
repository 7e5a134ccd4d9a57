//! Cross-entropy against soft targets (covers label smoothing).

use burn::tensor::{activation::log_softmax, backend::Backend, Tensor};

/// Mean over the batch of `-sum_c target_c * log softmax(logits)_c`.
pub fn soft_cross_entropy<B: Backend>(logits: Tensor<B, 2>, targets: Tensor<B, 2>) -> Tensor<B, 1> {
    let log_probs = log_softmax(logits, 1);
    (log_probs * targets).sum_dim(1).mean().neg()
}
