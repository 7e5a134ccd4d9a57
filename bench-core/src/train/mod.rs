//! Training and evaluation: a seeded mini-batch trainer (SGD with momentum, Adam, AdamW;
//! constant, cosine or step schedules; weight decay, dropout, augmentation, label
//! smoothing, SWA) and the test-set metrics.

mod batch;
mod evaluate;
mod loss;
mod observer;
mod swa;
mod trainer;

pub use batch::{batch_tensor, map_batches, read_f32, smoothed_targets};
pub(crate) use evaluate::argmax;
pub use evaluate::{evaluate, metrics_from_probabilities, predict_probabilities, EvalMetrics};
pub use loss::{per_example_cross_entropy, soft_cross_entropy, weighted_cross_entropy};
pub use observer::{BatchOutputs, NoObserver, TrainObserver};
pub use trainer::{
    train_model, train_model_observed, train_model_with, OnModel, TrainOutcome, TrainRequest,
};
