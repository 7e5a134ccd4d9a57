//! POAL, Pareto optimisation for active learning under out-of-distribution data (Zhan,
//! Zhang, Tsang, Xie & Chan, TMLR 2023; reference: the authors' `POAL_PSES` strategy).
//! An AL score prefers examples the classifier finds hard, and out-of-distribution
//! examples look hard; POAL trades the two off instead of mixing them with a weight:
//!
//! 1. two scores per unlabeled example, both maximised: the entropy of the prediction,
//!    and an in-distribution score, the Mahalanobis confidence `max_c −½ (h − μ_c)ᵀ Σ⁻¹
//!    (h − μ_c)` of the penultimate embedding h under class-conditional Gaussians with a
//!    shared covariance, fitted on the labeled in-distribution examples;
//! 2. pre-selection: successive Pareto fronts of the two scores until at least
//!    `preselect_factor` x batch candidates;
//! 3. Monte-Carlo Pareto optimisation of batch-size subsets of those candidates
//!    ([`pareto`]), with MMD-based early stopping; the archived subset sharing the most
//!    members with the others is the batch.

pub mod pareto;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{Matrix, ModelView, SelectionRequest, Strategy, StrategyError};

use super::entropy::entropy_score;
use crate::linalg::{check_shape, cholesky, forward_solve};
use crate::params::{at_least, ValidateParams};
use pareto::{monte_carlo_subset, preselect};

/// Ridge added to the covariance's diagonal, relative to its mean variance (a handful
/// of labeled examples in 84 dimensions gives a singular covariance).
const COVARIANCE_RIDGE: f64 = 1e-3;

/// Parameters of POAL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoalParams {
    /// Candidates kept by the Pareto pre-selection, as a multiple of the batch (the
    /// reference's 6).
    pub preselect_factor: usize,
    /// Most Monte-Carlo iterations; 0 = batch x candidates (the reference's T; the
    /// early stopping usually ends the search long before).
    pub max_iterations: usize,
}

impl Default for PoalParams {
    fn default() -> Self {
        Self {
            preselect_factor: 6,
            max_iterations: 0,
        }
    }
}

impl ValidateParams for PoalParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "preselect_factor", self.preselect_factor, 1)
    }
}

/// Pareto optimisation of uncertainty and in-distribution-ness.
#[derive(Debug, Default)]
pub struct Poal {
    pub params: PoalParams,
}

/// The Mahalanobis confidence of each row of `points` under class-conditional
/// Gaussians with a shared covariance fitted on `(embedding, class)` pairs: `max_c −½
/// d_c²` (higher = more in-distribution). `None` without labeled examples.
pub fn mahalanobis_confidence(points: &Matrix, labeled: &[(&[f32], u32)]) -> Option<Vec<f64>> {
    let d = points.cols;
    if labeled.is_empty() {
        return None;
    }
    let mut classes: Vec<u32> = labeled.iter().map(|&(_, c)| c).collect();
    classes.sort_unstable();
    classes.dedup();
    let means: Vec<Vec<f64>> = classes
        .iter()
        .map(|&c| {
            let rows: Vec<&[f32]> = labeled
                .iter()
                .filter(|&&(_, k)| k == c)
                .map(|&(h, _)| h)
                .collect();
            (0..d)
                .map(|j| rows.iter().map(|h| f64::from(h[j])).sum::<f64>() / rows.len() as f64)
                .collect()
        })
        .collect();
    // Shared covariance of the class-centred features.
    let mut cov = vec![0.0; d * d];
    for &(h, c) in labeled {
        let mu = &means[classes.binary_search(&c).ok()?];
        let z: Vec<f64> = (0..d).map(|j| f64::from(h[j]) - mu[j]).collect();
        for a in 0..d {
            for b in 0..d {
                cov[a * d + b] += z[a] * z[b];
            }
        }
    }
    let n = labeled.len() as f64;
    cov.iter_mut().for_each(|v| *v /= n);
    let mean_variance = (0..d).map(|a| cov[a * d + a]).sum::<f64>() / d.max(1) as f64;
    let ridge = COVARIANCE_RIDGE * mean_variance.max(1e-12);
    for a in 0..d {
        cov[a * d + a] += ridge;
    }
    let l = cholesky(&cov, d, f64::MIN_POSITIVE);
    // Whitened class means once; then each point costs one triangular solve (O(D²)) and
    // O(C·D) distances instead of C solves.
    let white_means: Vec<Vec<f64>> = means.iter().map(|mu| forward_solve(&l, mu, d)).collect();
    Some(
        points
            .iter_rows()
            .map(|h| {
                let z: Vec<f64> = h.iter().map(|&v| f64::from(v)).collect();
                let w = forward_solve(&l, &z, d);
                white_means
                    .iter()
                    .map(|m| -0.5 * w.iter().zip(m).map(|(a, b)| (a - b).powi(2)).sum::<f64>())
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .collect(),
    )
}

impl Strategy for Poal {
    fn name(&self) -> &'static str {
        "poal"
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
        let count = request.count.min(n);
        if count == 0 {
            return Ok(Vec::new());
        }
        if request.labeled_classes.len() != request.labeled.len() {
            return Err(StrategyError::Request {
                strategy: self.name().into(),
                message: "needs the annotation of every labeled example (the in-distribution \
                          Gaussians are fitted on the labeled in-distribution examples)"
                    .into(),
            });
        }
        let (probs, points) = model.probabilities_and_embeddings(request.unlabeled)?;
        check_shape(self.name(), "probabilities", &probs, n, None)?;
        check_shape(self.name(), "embeddings", &points, n, None)?;
        let known: Vec<(usize, u32)> = request
            .labeled
            .iter()
            .zip(request.labeled_classes)
            .filter_map(|(&i, c)| c.map(|c| (i, c)))
            .collect();
        let rows: Vec<usize> = known.iter().map(|&(i, _)| i).collect();
        let labeled_points = model.embeddings(&rows)?;
        check_shape(
            self.name(),
            "embeddings",
            &labeled_points,
            rows.len(),
            (!rows.is_empty()).then_some(points.cols),
        )?;
        let labeled: Vec<(&[f32], u32)> = known
            .iter()
            .enumerate()
            .map(|(k, &(_, c))| (labeled_points.row(k), c))
            .collect();
        let confidence =
            mahalanobis_confidence(&points, &labeled).ok_or_else(|| StrategyError::Request {
                strategy: self.name().into(),
                message: "no labeled in-distribution example to fit the class Gaussians on".into(),
            })?;
        let values: Vec<(f64, f64)> = probs
            .iter_rows()
            .zip(&confidence)
            .map(|(p, &c)| (entropy_score(p), c))
            .collect();
        // Fewer candidates than the batch only when the whole pool was taken (then the
        // optimiser returns all of it).
        let candidates = preselect(&values, self.params.preselect_factor.saturating_mul(count));
        let candidate_values: Vec<(f64, f64)> = candidates.iter().map(|&i| values[i]).collect();
        let iterations = match self.params.max_iterations {
            0 => count.saturating_mul(candidates.len()),
            m => m,
        };
        let (subset, _) = monte_carlo_subset(&candidate_values, count, iterations, rng);
        Ok(subset
            .into_iter()
            .map(|k| request.unlabeled[candidates[k]])
            .collect())
    }
}
