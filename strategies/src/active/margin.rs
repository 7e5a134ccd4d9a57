//! Margin sampling: prefer examples whose two most likely classes are closest.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::uncertainty::select_by_score;

/// Score = -(p_top1 - p_top2): the smaller the margin, the higher the score.
#[derive(Debug, Default)]
pub struct MarginSampling;

/// Negative gap between the two largest probabilities.
pub fn margin_score(p: &[f32]) -> f64 {
    let (mut first, mut second) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
    for &v in p {
        if v > first {
            second = first;
            first = v;
        } else if v > second {
            second = v;
        }
    }
    if second == f32::NEG_INFINITY {
        second = 0.0;
    }
    -((first - second) as f64)
}

impl Strategy for MarginSampling {
    fn name(&self) -> &'static str {
        "margin"
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        select_by_score(request, model, margin_score)
    }
}
