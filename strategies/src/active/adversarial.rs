//! Adversarial active learning: the examples whose prediction the smallest input
//! perturbation changes are the closest to a decision boundary, so the most uncertain
//! (DFAL: Ducoffe & Precioso, "Adversarial active learning for deep networks: a margin
//! based approach", 2018; reference decile-team/distil `adversarial_deepfool.py` and
//! `adversarial_bim.py`). The attack runs on the trained network through
//! [`ModelView::adversarial_norms`]; the batch is the `count` smallest `||r||²`.
//!
//! - `adversarial_deepfool`: DeepFool, at most `max_iter` (DISTIL: 50) linearisations,
//!   no overshoot, stopping once the prediction changes.
//! - `adversarial_bim`: steps of `epsilon · sign(∇ₓ CE)` (DISTIL: 0.05) until the
//!   prediction changes, at most `max_iter` (100; DISTIL has no bound).

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{Attack, ModelView, SelectionRequest, Strategy, StrategyError};

use crate::params::{at_least, in_range, ValidateParams};
use crate::ranking::top_scored;

/// Parameters of `adversarial_deepfool`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeepFoolParams {
    /// Most DeepFool iterations per example.
    pub max_iter: usize,
}

impl Default for DeepFoolParams {
    fn default() -> Self {
        Self { max_iter: 50 }
    }
}

impl ValidateParams for DeepFoolParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "max_iter", self.max_iter, 1)
    }
}

/// Parameters of `adversarial_bim`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BimParams {
    /// Step size per input value (in the normalised input space).
    pub epsilon: f64,
    /// Most steps per example.
    pub max_iter: usize,
}

impl Default for BimParams {
    fn default() -> Self {
        Self {
            epsilon: 0.05,
            max_iter: 100,
        }
    }
}

impl ValidateParams for BimParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        in_range(strategy, "epsilon", self.epsilon, (0.0, true), f64::MAX)?;
        at_least(strategy, "max_iter", self.max_iter, 1)
    }
}

/// The `count` unlabeled examples with the smallest perturbation norms.
fn smallest_perturbations(
    model: &dyn ModelView,
    request: &SelectionRequest<'_>,
    attack: Attack,
    strategy: &str,
) -> Result<Vec<usize>, StrategyError> {
    if request.count.min(request.unlabeled.len()) == 0 {
        return Ok(Vec::new());
    }
    let norms = model.adversarial_norms(request.unlabeled, attack)?;
    top_scored(
        strategy,
        "perturbation norms",
        request.unlabeled,
        norms,
        request.count,
        false,
    )
}

/// DFAL with DeepFool.
#[derive(Debug, Default)]
pub struct AdversarialDeepFool {
    pub params: DeepFoolParams,
}

impl Strategy for AdversarialDeepFool {
    fn name(&self) -> &'static str {
        "adversarial_deepfool"
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
        self.params.validate(self.name())?;
        let attack = Attack::DeepFool {
            max_iter: self.params.max_iter,
        };
        smallest_perturbations(model, request, attack, self.name())
    }
}

/// Adversarial selection with the basic iterative method.
#[derive(Debug, Default)]
pub struct AdversarialBim {
    pub params: BimParams,
}

impl Strategy for AdversarialBim {
    fn name(&self) -> &'static str {
        "adversarial_bim"
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
        self.params.validate(self.name())?;
        let attack = Attack::Bim {
            epsilon: self.params.epsilon,
            max_iter: self.params.max_iter,
        };
        smallest_perturbations(model, request, attack, self.name())
    }
}
