//! Online batch selection (`kind = "online"`; Mindermann et al., ICML 2022, RHO-LOSS):
//! training draws big batches of `n_B` examples and a method keeps `n_b` of them for the
//! gradient step, scoring them under the current weights (evaluation mode). Methods and
//! their scores, as OATML/RHO-Loss's `selection_methods.py`:
//!
//! - `uniform` — a random `n_b` (the reference);
//! - `rho_loss` — the highest reducible loss: training loss − irreducible loss, the
//!   latter from a model trained on a holdout split (computed once per trial);
//! - `loss` — the highest training loss;
//! - `gradnorm` — the highest `‖softmax − one-hot‖₂`, the upper bound of the last
//!   layer's gradient norm the reference uses (`gradnorm_ub_selection`);
//! - `irreducible` — the lowest irreducible loss alone.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::train::BatchOutputs;
use sieve_bench_core::StrategyError;

use crate::registry::{build_parameterless, RegistryError};

/// An online selection method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnlineMethod {
    Uniform,
    RhoLoss,
    Loss,
    GradNorm,
    Irreducible,
}

/// One registered method.
#[derive(Clone, Copy, Debug)]
pub struct OnlineInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub method: OnlineMethod,
}

static REGISTRY: &[OnlineInfo] = &[
    OnlineInfo {
        name: "uniform",
        summary: "a random n_b of each big batch (the reference)",
        method: OnlineMethod::Uniform,
    },
    OnlineInfo {
        name: "rho_loss",
        summary: "highest reducible loss: training loss minus the holdout model's irreducible loss (Mindermann et al. 2022)",
        method: OnlineMethod::RhoLoss,
    },
    OnlineInfo {
        name: "loss",
        summary: "highest training loss",
        method: OnlineMethod::Loss,
    },
    OnlineInfo {
        name: "gradnorm",
        summary: "highest ||softmax - one-hot||, the last-layer gradient-norm bound",
        method: OnlineMethod::GradNorm,
    },
    OnlineInfo {
        name: "irreducible",
        summary: "lowest irreducible loss (the holdout model's) alone",
        method: OnlineMethod::Irreducible,
    },
];

/// Every registered online method.
pub fn online_registry() -> &'static [OnlineInfo] {
    REGISTRY
}

/// Names of the online methods.
pub fn online_method_names() -> Vec<&'static str> {
    REGISTRY.iter().map(|m| m.name).collect()
}

/// Builds a method from its config name (none takes parameters).
pub fn build_online_method(
    name: &str,
    params: &serde_json::Value,
) -> Result<OnlineMethod, RegistryError> {
    let entries: Vec<(&'static str, OnlineMethod)> =
        REGISTRY.iter().map(|m| (m.name, m.method)).collect();
    build_parameterless("online selection method", name, params, &entries)
}

impl OnlineMethod {
    /// Registry name.
    pub fn name(&self) -> &'static str {
        REGISTRY
            .iter()
            .find(|m| m.method == *self)
            .map_or("?", |m| m.name)
    }

    /// Whether the method reads the batch's losses and probabilities (`uniform` does not:
    /// the trainer then skips the forward pass over the big batch).
    pub fn reads_outputs(&self) -> bool {
        !matches!(self, OnlineMethod::Uniform)
    }

    /// Whether the method reads the irreducible losses (so the trial trains the
    /// holdout model).
    pub fn needs_irreducible(&self) -> bool {
        matches!(self, OnlineMethod::RhoLoss | OnlineMethod::Irreducible)
    }

    /// The positions of `outputs` (one big batch) to train on: `keep` of them, the
    /// highest scores first (ties: the earlier position). `irreducible` is indexed by
    /// the training data's rows (`outputs.rows`).
    pub fn select(
        &self,
        outputs: &BatchOutputs<'_>,
        keep: usize,
        irreducible: Option<&[f32]>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        let n = outputs.rows.len();
        let keep = keep.min(n);
        let irreducible_of = |i: usize| -> Result<f32, StrategyError> {
            irreducible
                .and_then(|all| all.get(outputs.rows[i]).copied())
                .ok_or_else(|| StrategyError::Request {
                    strategy: self.name().into(),
                    message: format!("no irreducible loss for training row {}", outputs.rows[i]),
                })
        };
        let scores: Vec<f32> = match self {
            OnlineMethod::Uniform => {
                let mut positions: Vec<usize> = (0..n).collect();
                positions.shuffle(rng);
                positions.truncate(keep);
                return Ok(positions);
            }
            OnlineMethod::Loss => outputs.losses.to_vec(),
            OnlineMethod::RhoLoss => (0..n)
                .map(|i| Ok(outputs.losses[i] - irreducible_of(i)?))
                .collect::<Result<_, StrategyError>>()?,
            OnlineMethod::Irreducible => (0..n)
                .map(|i| Ok(-irreducible_of(i)?))
                .collect::<Result<_, StrategyError>>()?,
            OnlineMethod::GradNorm => (0..n)
                .map(|i| {
                    let row =
                        &outputs.probabilities[i * outputs.classes..(i + 1) * outputs.classes];
                    row.iter()
                        .enumerate()
                        .map(|(c, &p)| {
                            let y = if c == outputs.labels[i] as usize {
                                1.0
                            } else {
                                0.0
                            };
                            (p - y).powi(2)
                        })
                        .sum::<f32>()
                        .sqrt()
                })
                .collect(),
        };
        Ok(top(&scores, keep))
    }
}

/// The positions of the `k` highest scores (NaN lowest), ties to the earlier position.
pub fn top(scores: &[f32], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    let key = |i: usize| {
        if scores[i].is_nan() {
            f32::NEG_INFINITY
        } else {
            scores[i]
        }
    };
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
    order.truncate(k);
    order
}
