//! `deepfool` (Ducoffe & Precioso 2018, DFAL; DeepCore's `DeepFool`): the size of the
//! smallest adversarial perturbation DeepFool (Moosavi-Dezfooli et al. 2016) finds for
//! each example against the selection model; keep the smallest — the examples closest to
//! a decision boundary. As in DeepCore: at most 50 iterations, no overshoot, the attack
//! leaves the *predicted* class, and the score is `||r||²`. The perturbations themselves
//! are computed by the protocol (input gradients need the training backend).

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, SelectionContext, StrategyError,
};

use super::ranked::by_score;

/// DeepFool selection.
#[derive(Debug, Default)]
pub struct DeepFoolCoreset;

impl CoresetMethod for DeepFoolCoreset {
    fn name(&self) -> &'static str {
        "deepfool"
    }

    fn needs(&self) -> CoresetNeeds {
        CoresetNeeds {
            deepfool: true,
            ..CoresetNeeds::default()
        }
    }

    fn select(
        &mut self,
        request: &CoresetRequest<'_>,
        context: &dyn SelectionContext,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<CoresetSelection>, StrategyError> {
        let norms = context.deepfool()?;
        let scores: Vec<f64> = request
            .candidates
            .iter()
            .map(|&row| norms.get(row).map_or(f64::NAN, |&v| f64::from(v)))
            .collect();
        Ok(by_score(request, &scores, false))
    }
}
