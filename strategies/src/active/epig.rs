//! EPIG, expected predictive information gain (Bickford Smith, Kirsch, Farquhar, Gal,
//! Foster & Rainforth, "Prediction-oriented Bayesian active learning", AISTATS 2023;
//! reference code fbickfordsmith/epig, `src/uncertainty/epig_probs.py`).
//!
//! BALD scores the information a label carries about the model's parameters, including
//! parameters that do not matter for the predictions we care about. EPIG scores the
//! information it carries about the predictions on target inputs x* drawn from the input
//! distribution:
//!
//! EPIG(x) = E_{x*}[ I(y; y* | x, x*) ]
//!         = E_{x*}[ KL( p(y, y* | x, x*) ‖ p(y | x) p(y* | x*) ) ],
//!
//! with p(y, y* | x, x*) = 1/K Σ_k p_k(y | x) p_k(y* | x*) over K MC-dropout passes (the
//! same network k for x and x*: both come from one call, whose passes share their masks)
//! and the expectation over `target_samples` targets drawn uniformly from the unlabeled
//! pool at each selection (the paper's setting when no separate target set exists).
//! The batch is the `count` highest scores, as sieve's other MC-dropout scores.

use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{Matrix, ModelView, SelectionRequest, Strategy, StrategyError};

use super::mc_dropout::mc_probabilities;
use crate::params::{at_least, at_most, ValidateParams, MAX_MC_SAMPLES};
use crate::ranking::top_k;

/// Parameters of EPIG (the reference's defaults: 100 MC samples, 100 target inputs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EpigParams {
    /// MC-dropout passes (the reference's `n_samples_test`).
    pub samples: usize,
    /// Target inputs x* drawn from the unlabeled pool per selection (the reference's
    /// `n_target_samples`).
    pub target_samples: usize,
}

impl Default for EpigParams {
    fn default() -> Self {
        Self {
            samples: 100,
            target_samples: 100,
        }
    }
}

impl ValidateParams for EpigParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "samples", self.samples, 2)?;
        at_most(strategy, "samples", self.samples, MAX_MC_SAMPLES)?;
        at_least(strategy, "target_samples", self.target_samples, 1)
    }
}

/// Expected predictive information gain over MC-dropout samples.
#[derive(Debug, Default)]
pub struct Epig {
    pub params: EpigParams,
}

/// One example's MC probabilities, `classes x samples` (class-major, so the joint over a
/// pair of examples is a product of two contiguous blocks), and its mean over samples.
struct Block {
    by_class: Vec<f64>,
    mean: Vec<f64>,
}

fn block(draws: &[Matrix], row: usize, classes: usize) -> Block {
    let samples = draws.len();
    let mut by_class = vec![0.0; classes * samples];
    for (k, m) in draws.iter().enumerate() {
        for (c, &p) in m.row(row).iter().enumerate() {
            by_class[c * samples + k] = f64::from(p);
        }
    }
    let mean = by_class
        .chunks_exact(samples)
        .map(|ps| ps.iter().sum::<f64>() / samples as f64)
        .collect();
    Block { by_class, mean }
}

/// I(y; y* | x, x*) in nats from the two examples' blocks: Σ_{y,y*} p(y,y*) log(p(y,y*) /
/// (p(y) p(y*))), with 0·log 0 = 0.
fn pair_information(x: &Block, target: &Block, samples: usize) -> f64 {
    let mut total = 0.0;
    for (a, xa) in x.by_class.chunks_exact(samples).enumerate() {
        for (b, tb) in target.by_class.chunks_exact(samples).enumerate() {
            let joint = xa.iter().zip(tb).map(|(p, q)| p * q).sum::<f64>() / samples as f64;
            let independent = x.mean[a] * target.mean[b];
            if joint > 0.0 && independent > 0.0 {
                total += joint * (joint / independent).ln();
            }
        }
    }
    total.max(0.0)
}

/// EPIG of each of `draws`' rows against the target rows `targets`: the mean over the
/// targets of the pairwise mutual information. `draws[k]` is pass k's `rows x classes`
/// probability matrix.
pub fn epig_scores(draws: &[Matrix], targets: &[usize]) -> Vec<f64> {
    let Some(first) = draws.first() else {
        return Vec::new();
    };
    let (rows, classes, samples) = (first.rows, first.cols, draws.len());
    let target_blocks: Vec<Block> = targets.iter().map(|&t| block(draws, t, classes)).collect();
    (0..rows)
        .into_par_iter()
        .map(|i| {
            let x = block(draws, i, classes);
            let sum: f64 = target_blocks
                .iter()
                .map(|t| pair_information(&x, t, samples))
                .sum();
            sum / target_blocks.len().max(1) as f64
        })
        .collect()
}

impl Strategy for Epig {
    fn name(&self) -> &'static str {
        "epig"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        self.params.validate(self.name())?;
        let n = request.unlabeled.len();
        if request.count.min(n) == 0 {
            return Ok(Vec::new());
        }
        // The targets are rows of the same MC call as the candidates: one network per pass.
        let draws = mc_probabilities(self.name(), model, request.unlabeled, self.params.samples)?;
        let targets = sample(rng, n, self.params.target_samples.min(n)).into_vec();
        let scores = epig_scores(&draws, &targets);
        Ok(top_k(request.unlabeled, &scores, request.count))
    }
}
