//! Learning loss (Yoo & Kweon, "Learning Loss for Active Learning", CVPR 2019; reference
//! Mephisto405/Learning-Loss-for-Active-Learning `main.py`): the loss-prediction module
//! trained jointly with the task network ([`sieve_bench_core::learning_loss`]; the active
//! protocol trains it whenever this strategy is the arm) predicts each unlabeled
//! example's loss; the highest predicted losses are queried (the reference sorts its
//! random 10,000-example subset by prediction and takes the top; `candidate_pool = 10000`
//! does the same here). Ties go to the lower pool index.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{LearningLossConfig, ModelView, SelectionRequest, Strategy, StrategyError};

use crate::params::{at_least, in_range, ValidateParams};
use crate::ranking::top_scored;

/// Parameters of `learning_loss`: the joint training's settings (the reference's
/// defaults), read by the protocol's trainer.
pub type LearningLossParams = LearningLossConfig;

impl ValidateParams for LearningLossParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        in_range(strategy, "margin", self.margin, (0.0, false), 1e6)?;
        in_range(strategy, "weight", self.weight, (0.0, true), 1e6)?;
        at_least(strategy, "hidden", self.hidden, 1)?;
        in_range(
            strategy,
            "detach_after",
            self.detach_after,
            (0.0, false),
            1.0,
        )
    }
}

/// The highest losses the jointly trained module predicts.
#[derive(Debug, Default)]
pub struct LearningLoss {
    pub params: LearningLossParams,
}

impl Strategy for LearningLoss {
    fn name(&self) -> &'static str {
        "learning_loss"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        ValidateParams::validate(&self.params, self.name())?;
        let count = request.count.min(request.unlabeled.len());
        if count == 0 {
            return Ok(Vec::new());
        }
        let losses = model.predicted_losses(request.unlabeled)?;
        top_scored(
            self.name(),
            "predicted losses",
            request.unlabeled,
            losses,
            count,
            true,
        )
    }
}

/// The joint training an arm asks of the protocol's trainer: for `learning_loss`, its
/// parameters (less the `candidate_pool` every strategy takes), validated; `None` for
/// every other strategy.
pub fn joint_training(
    name: &str,
    params: &serde_json::Value,
) -> Result<Option<LearningLossConfig>, StrategyError> {
    if name != "learning_loss" {
        return Ok(None);
    }
    let config: LearningLossConfig = match crate::candidate_pool::own_params(params) {
        serde_json::Value::Null => LearningLossConfig::default(),
        value => serde_json::from_value(value).map_err(|e| StrategyError::InvalidParameter {
            strategy: name.into(),
            param: "params".into(),
            message: e.to_string(),
        })?,
    };
    ValidateParams::validate(&config, name)?;
    Ok(Some(config))
}
