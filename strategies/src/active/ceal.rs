//! CEAL, cost-effective active learning (Wang, Zhang, Li, Zhang & Lin, "Cost-Effective
//! Active Learning for Deep Image Classification", IEEE TCSVT 2017): each round queries
//! the most uncertain examples for annotation *and* pseudo-labels the most confident
//! ones with the model's prediction for the next training, so the unlabeled pool helps
//! training too.
//!
//! - Query: the `count` highest entropy (the paper's EN criterion; it also reports least
//!   confidence and margin, sieve's `criterion`).
//! - Pseudo-labels: every other unlabeled example whose entropy is below `δ_t = δ_0 −
//!   dr · t`, t the number of selections so far, labeled with its argmax class, used in
//!   the next training only (re-chosen each round, never added to the labeled set);
//!   `delta` δ_0 = 0.005 and `decay` dr = 0.00033 are the paper's values for CACD.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::entropy::entropy_score;
use super::least_confidence::least_confidence_score;
use super::margin::margin_score;
use crate::linalg::{argmax, check_shape};
use crate::params::{in_range, ValidateParams};
use crate::ranking::top_k;

/// How CEAL ranks the examples it queries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CealCriterion {
    /// Entropy of the prediction (EN).
    #[default]
    Entropy,
    /// 1 − the top probability (LC).
    LeastConfidence,
    /// The gap between the two top probabilities, smallest first (MS).
    Margin,
}

/// Parameters of CEAL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CealParams {
    pub criterion: CealCriterion,
    /// δ_0: the entropy below which an example is pseudo-labeled at the first selection.
    pub delta: f64,
    /// dr: how much δ shrinks per selection.
    pub decay: f64,
}

impl Default for CealParams {
    fn default() -> Self {
        Self {
            criterion: CealCriterion::Entropy,
            delta: 0.005,
            decay: 0.00033,
        }
    }
}

impl ValidateParams for CealParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        in_range(strategy, "delta", self.delta, (0.0, false), f64::MAX)?;
        in_range(strategy, "decay", self.decay, (0.0, false), f64::MAX)
    }
}

/// Cost-effective active learning.
#[derive(Debug, Default)]
pub struct Ceal {
    pub params: CealParams,
    /// Selections made so far (t).
    selections: usize,
    pseudo: Vec<(usize, u32)>,
}

impl Ceal {
    pub fn new(params: CealParams) -> Self {
        Self {
            params,
            selections: 0,
            pseudo: Vec::new(),
        }
    }

    /// δ_t for the next selection.
    pub fn threshold(&self) -> f64 {
        self.params.delta - self.params.decay * self.selections as f64
    }
}

impl Strategy for Ceal {
    fn name(&self) -> &'static str {
        "ceal"
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
        self.pseudo.clear();
        let n = request.unlabeled.len();
        let probs = model.probabilities(request.unlabeled)?;
        check_shape(self.name(), "probabilities", &probs, n, None)?;
        let entropy: Vec<f64> = probs.iter_rows().map(entropy_score).collect();
        let scores: Vec<f64> = match self.params.criterion {
            CealCriterion::Entropy => entropy.clone(),
            CealCriterion::LeastConfidence => {
                probs.iter_rows().map(least_confidence_score).collect()
            }
            CealCriterion::Margin => probs.iter_rows().map(margin_score).collect(),
        };
        let picks = top_k(request.unlabeled, &scores, request.count);
        let threshold = self.threshold();
        let mut queried = picks.clone();
        queried.sort_unstable();
        for (k, &i) in request.unlabeled.iter().enumerate() {
            if entropy[k] < threshold && queried.binary_search(&i).is_err() {
                self.pseudo.push((i, argmax(probs.row(k)) as u32));
            }
        }
        self.selections += 1;
        Ok(picks)
    }

    fn pseudo_labels(&self) -> &[(usize, u32)] {
        &self.pseudo
    }
}
