//! The vocabulary every sieve crate shares: seeds, the labeled/unlabeled pool, budget
//! schedules, regularization settings, models (burn modules), training and evaluation,
//! what a trained model exposes to strategies, and the strategy trait.
//!
//! Models are backend-generic; training runs on any `B: AutodiffBackend`, and everything a
//! strategy sees is computed on the inner (non-autodiff) backend so no graph is kept.

pub mod attack;
pub mod bim;
pub mod budget;
pub mod coreset;
pub mod cpu_ops;
pub mod deepfool;
pub mod dsa;
pub mod error;
pub mod learning_loss;
pub mod matrix;
pub mod model;
pub mod names;
pub mod pool;
pub mod pretext;
pub mod regularization;
pub mod seed;
pub mod strategy;
pub mod train;
pub mod training_mode;
pub mod vaal;
pub mod view;

pub use budget::BudgetSchedule;
pub use coreset::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, EarlyScoreValues, EarlyScores,
    FixedContext, SelectionContext, TrainingDynamics,
};
pub use error::CoreError;
pub use learning_loss::{LearningLossConfig, LossPredictor};
pub use matrix::Matrix;
pub use model::{
    vgg_first_padding, vgg_parameter_count, ModelKind, ModelSpec, Network, ResnetStem,
    VGG11_LAYERS, VGG16_LAYERS,
};
pub use pool::Pool;
pub use pretext::{PretextSource, RotationPretext};
pub use regularization::{LrSchedule, OptimizerKind, Regularization, SwaConfig};
pub use seed::{derive_seed, strategy_rng, SeedStream};
pub use strategy::{SelectionRequest, Strategy, StrategyError};
pub use train::{evaluate, train_model, EvalMetrics, TrainOutcome};
pub use training_mode::TrainingMode;
pub use vaal::VaalConfig;
pub use view::{
    Attack, AttackableModel, FixedModelView, LinearHead, ModelView, PreviousModel, PreviousOutputs,
    TrainedModel, WithLinearHead,
};
