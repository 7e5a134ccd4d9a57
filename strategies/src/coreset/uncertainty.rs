//! Uncertainty scores of the selection model (DeepCore's `Uncertainty`): keep the most
//! uncertain examples. DeepCore keeps the most uncertain per class but the most
//! *confident* without class balance (its two code paths sort in opposite directions,
//! DeepCore issue #11); sieve keeps the most uncertain in both. Least confidence is
//! `1 - max_c p_c` on probabilities (DeepCore uses the raw maximum logit).

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, SelectionContext, StrategyError,
};

use super::ranked::by_score;
use crate::linalg::check_shape;

/// Which uncertainty score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UncertaintyScore {
    /// `1 - max_c p_c`.
    LeastConfidence,
    /// `-sum_c p_c ln p_c`.
    Entropy,
    /// `-(p_top1 - p_top2)`: a small margin is uncertain.
    Margin,
}

/// Uncertainty-based coreset selection.
#[derive(Debug)]
pub struct UncertaintyCoreset {
    pub score: UncertaintyScore,
}

/// The uncertainty of one probability row (higher = more uncertain).
pub fn uncertainty(score: UncertaintyScore, p: &[f32]) -> f64 {
    match score {
        UncertaintyScore::LeastConfidence => {
            1.0 - f64::from(p.iter().copied().fold(f32::NEG_INFINITY, f32::max))
        }
        UncertaintyScore::Entropy => -p
            .iter()
            .filter(|&&v| v > 0.0)
            .map(|&v| f64::from(v) * f64::from(v).ln())
            .sum::<f64>(),
        UncertaintyScore::Margin => {
            let (mut first, mut second) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
            for &v in p {
                if v > first {
                    second = first;
                    first = v;
                } else if v > second {
                    second = v;
                }
            }
            -(f64::from(first) - f64::from(second))
        }
    }
}

impl CoresetMethod for UncertaintyCoreset {
    fn name(&self) -> &'static str {
        match self.score {
            UncertaintyScore::LeastConfidence => "least_confidence",
            UncertaintyScore::Entropy => "entropy",
            UncertaintyScore::Margin => "margin",
        }
    }

    fn needs(&self) -> CoresetNeeds {
        CoresetNeeds {
            selection_model: true,
            ..CoresetNeeds::default()
        }
    }

    fn select(
        &mut self,
        request: &CoresetRequest<'_>,
        context: &dyn SelectionContext,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<CoresetSelection>, StrategyError> {
        let model = context.model()?;
        let probs = model.probabilities(request.candidates)?;
        check_shape(
            self.name(),
            "probabilities",
            &probs,
            request.candidates.len(),
            Some(model.num_classes()),
        )?;
        let scores: Vec<f64> = probs
            .iter_rows()
            .map(|p| uncertainty(self.score, p))
            .collect();
        Ok(by_score(request, &scores, true))
    }
}
