//! Early-training scores (Paul, Ganguli & Dziugaite 2021, "Deep Learning on a Data
//! Diet"): `el2n`, the error L2 norm `||softmax - onehot||₂`, and `grand`, the norm of the
//! loss gradient, each averaged over `inits` models trained `epochs` epochs from
//! independent initialisations; keep the highest (the hardest examples).
//!
//! Like DeepCore's `GraNd`, sieve's `grand` takes the gradient of the last layer only
//! (bias and weights, exact per example); the paper uses all parameters. Defaults follow
//! the paper: EL2N at epoch 20, GraNd at initialisation, 10 initialisations each.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, EarlyScores, SelectionContext,
    StrategyError,
};

use super::ranked::by_score;
use crate::params::{at_least, ValidateParams};

/// Which early-training score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EarlyScore {
    El2n,
    Grand,
}

/// Parameters of `el2n` and `grand`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyParams {
    /// Independent initialisations averaged.
    pub inits: usize,
    /// Epochs each model trains before scoring (0: at initialisation).
    pub epochs: usize,
}

impl EarlyParams {
    /// The paper's defaults for `score`.
    pub fn defaults(score: EarlyScore) -> Self {
        match score {
            EarlyScore::El2n => Self {
                inits: 10,
                epochs: 20,
            },
            EarlyScore::Grand => Self {
                inits: 10,
                epochs: 0,
            },
        }
    }
}

impl ValidateParams for EarlyParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "inits", self.inits, 1)
    }
}

/// EL2N or GraNd selection.
#[derive(Debug)]
pub struct EarlyScoreCoreset {
    pub score: EarlyScore,
    pub params: EarlyParams,
}

impl CoresetMethod for EarlyScoreCoreset {
    fn name(&self) -> &'static str {
        match self.score {
            EarlyScore::El2n => "el2n",
            EarlyScore::Grand => "grand",
        }
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn needs(&self) -> CoresetNeeds {
        CoresetNeeds {
            early_scores: Some(EarlyScores {
                inits: self.params.inits,
                epochs: self.params.epochs,
            }),
            ..CoresetNeeds::default()
        }
    }

    fn select(
        &mut self,
        request: &CoresetRequest<'_>,
        context: &dyn SelectionContext,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<CoresetSelection>, StrategyError> {
        let values = context.early_scores()?;
        let source = match self.score {
            EarlyScore::El2n => &values.el2n,
            EarlyScore::Grand => &values.grand,
        };
        let scores: Vec<f64> = request
            .candidates
            .iter()
            .map(|&row| source.get(row).map_or(f64::NAN, |&v| f64::from(v)))
            .collect();
        Ok(by_score(request, &scores, true))
    }
}
