//! The strategy trait: given the pool and a trained model, pick which unlabeled examples
//! to label next. Strategies see plain matrices, never tensors or files.

use rand_chacha::ChaCha8Rng;
use thiserror::Error;

use crate::{CoreError, ModelView};

/// One selection: the pool state and how many to pick.
pub struct SelectionRequest<'a> {
    /// Labeled pool indices (acquisition order).
    pub labeled: &'a [usize],
    /// Unlabeled pool indices (ascending); the selection must come from here.
    pub unlabeled: &'a [usize],
    /// How many to select (never more than `unlabeled.len()`).
    pub count: usize,
    /// What annotation revealed about each labeled example, in `labeled` order: its
    /// class, or `None` where the annotator marked it out of distribution. Empty when
    /// the caller does not know; methods that need it (SIMILAR's query and private
    /// sets) then fail with an error saying so.
    pub labeled_classes: &'a [Option<u32>],
    /// A seed shared by every method at this repeat and round (the trial's `selection/r`
    /// stream): for draws that must not differ between the methods compared, such as a
    /// random candidate pool. A method's own randomness comes from its rng instead.
    pub round_seed: u64,
    /// Which selection of the trial this is (0 for the first, after the initial set).
    pub round: usize,
    /// How many selections the trial makes in all (PT4AL splits the pool into one batch
    /// per cycle). 0 when the caller does not know.
    pub rounds: usize,
}

/// Why a selection failed.
#[derive(Debug, Error)]
pub enum StrategyError {
    /// The model could not answer (tensor read-back, missing dropout for MC methods...).
    #[error(transparent)]
    Model(#[from] CoreError),
    /// A parameter was out of range; names the parameter.
    #[error("strategy `{strategy}`, parameter `{param}`: {message}")]
    InvalidParameter {
        strategy: String,
        param: String,
        message: String,
    },
    /// The request cannot be met (asking for more than the pool holds, say).
    #[error("strategy `{strategy}`: {message}")]
    Request { strategy: String, message: String },
}

/// A data-selection method.
pub trait Strategy: Send {
    /// Registry name, as written in configs and records.
    fn name(&self) -> &'static str;
    /// The parameters as compact JSON (recorded in `strategy_params`).
    fn params_json(&self) -> String {
        "{}".to_string()
    }
    /// Picks exactly `request.count` distinct indices out of `request.unlabeled`.
    /// `rng` is the strategy's own stream (see `seed::strategy_rng`).
    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError>;
    /// Unlabeled examples the strategy labels itself, with the class it gives them, for
    /// the next training only (CEAL's high-confidence pseudo-labels), as set by the last
    /// [`Strategy::select`]. They never join the labeled set or count against the budget.
    fn pseudo_labels(&self) -> &[(usize, u32)] {
        &[]
    }
}
