//! The shared shape of the MC-dropout family (Gal, Islam & Ghahramani, 2017): draw
//! `samples` stochastic forward passes with dropout on, score each unlabeled example
//! from its `samples x classes` block of probabilities, take the highest scores.
//!
//! The model must have been trained with `regularization.dropout > 0`; otherwise
//! `ModelView::mc_dropout_probabilities` fails and that error is returned as
//! `StrategyError::Model`, never swallowed.

use serde::{Deserialize, Serialize};
use sieve_bench_core::{Matrix, ModelView, SelectionRequest, StrategyError};

use crate::linalg::check_shape;
use crate::params::{at_least, at_most, ValidateParams, MAX_MC_SAMPLES};
use crate::ranking::top_k;

/// Parameters shared by the MC-dropout scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McParams {
    /// Stochastic forward passes. At least 2: one pass says nothing about disagreement.
    pub samples: usize,
}

impl Default for McParams {
    fn default() -> Self {
        Self { samples: 20 }
    }
}

impl ValidateParams for McParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "samples", self.samples, 2)?;
        at_most(strategy, "samples", self.samples, MAX_MC_SAMPLES)
    }
}

/// MC-dropout probabilities for `indices`: `samples` matrices, each `indices.len() x
/// classes`, checked for shape. Model errors (no dropout) propagate unchanged.
pub(crate) fn mc_probabilities(
    strategy: &str,
    model: &dyn ModelView,
    indices: &[usize],
    samples: usize,
) -> Result<Vec<Matrix>, StrategyError> {
    let draws = model.mc_dropout_probabilities(indices, samples)?;
    if draws.is_empty() {
        return Err(StrategyError::Request {
            strategy: strategy.to_string(),
            message: "the model returned no MC-dropout samples".into(),
        });
    }
    let classes = draws[0].cols;
    for m in &draws {
        check_shape(
            strategy,
            "MC-dropout probabilities",
            m,
            indices.len(),
            Some(classes),
        )?;
    }
    Ok(draws)
}

/// Scores each unlabeled example with `score(rows)`, where `rows` holds its probability
/// vector under each MC sample (higher = more informative), and returns the top `count`.
pub(crate) fn select_by_mc_score(
    strategy: &str,
    params: &McParams,
    request: &SelectionRequest<'_>,
    model: &dyn ModelView,
    score: impl Fn(&[&[f32]]) -> f64,
) -> Result<Vec<usize>, StrategyError> {
    params.validate(strategy)?;
    let draws = mc_probabilities(strategy, model, request.unlabeled, params.samples)?;
    let mut rows: Vec<&[f32]> = Vec::with_capacity(draws.len());
    let scores: Vec<f64> = (0..request.unlabeled.len())
        .map(|i| {
            rows.clear();
            rows.extend(draws.iter().map(|m| m.row(i)));
            score(&rows)
        })
        .collect();
    Ok(top_k(request.unlabeled, &scores, request.count))
}

/// Mean of the rows (one probability vector per MC sample).
pub(crate) fn mean_of(rows: &[&[f32]]) -> Vec<f32> {
    let classes = rows.first().map_or(0, |r| r.len());
    let mut mean = vec![0f64; classes];
    for r in rows {
        for (acc, &p) in mean.iter_mut().zip(r.iter()) {
            *acc += f64::from(p);
        }
    }
    let k = rows.len().max(1) as f64;
    mean.into_iter().map(|v| (v / k) as f32).collect()
}
