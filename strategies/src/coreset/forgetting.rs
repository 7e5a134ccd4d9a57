//! `forgetting` (Toneva et al. 2019; DeepCore's `Forgetting`): count, during the
//! selection model's training, how often each example goes from correctly to wrongly
//! classified between consecutive presentations; keep the most forgotten. Examples never
//! learned count as infinitely forgettable, as in the paper (DeepCore scores them 0, tied
//! with the unforgettable ones). Ties are broken in a seeded random order.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, SelectionContext, StrategyError,
};

use super::ranked::by_score_random_ties;

/// Forgetting-events selection.
#[derive(Debug, Default)]
pub struct Forgetting;

impl CoresetMethod for Forgetting {
    fn name(&self) -> &'static str {
        "forgetting"
    }

    fn needs(&self) -> CoresetNeeds {
        CoresetNeeds {
            dynamics: true,
            ..CoresetNeeds::default()
        }
    }

    fn select(
        &mut self,
        request: &CoresetRequest<'_>,
        context: &dyn SelectionContext,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<CoresetSelection>, StrategyError> {
        let dynamics = context.dynamics()?;
        let scores: Vec<f64> = request
            .candidates
            .iter()
            .map(|&row| {
                match (
                    dynamics.ever_learned.get(row),
                    dynamics.forgetting_events.get(row),
                ) {
                    (Some(false), _) => f64::INFINITY,
                    (_, Some(&events)) => f64::from(events),
                    _ => f64::NAN,
                }
            })
            .collect();
        Ok(by_score_random_ties(request, &scores, true, rng))
    }
}
