//! `nn_pseudo_label`: semi-supervised continual learning with pseudo-labels from a soft
//! nearest-neighbour classifier on the model's embeddings — the classifier NNCSL (Kang et
//! al. 2023) builds on (PAWS's `snn`): with L2-normalised embeddings, an unlabeled
//! example's class distribution is `softmax_j(cos(u, s_j) / τ)` summed over the labeled
//! support examples `s_j` of each class. NNCSL trains its representation with PAWS's
//! multi-crop loss and distils between tasks; this method only uses the classifier to
//! label the task's unlabeled rows and trains on them — a simplified variant, so it has
//! its own name.

use serde::{Deserialize, Serialize};
use sieve_bench_core::{Matrix, StrategyError};

use crate::linalg::normalized;
use crate::params::{in_range, ValidateParams};

/// The method's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PseudoLabelParams {
    /// Softmax temperature over cosine similarities (PAWS's and NNCSL's 0.1).
    pub temperature: f64,
    /// Only pseudo-labels whose class probability reaches this are trained on (0: all).
    pub threshold: f64,
}

impl Default for PseudoLabelParams {
    fn default() -> Self {
        Self {
            temperature: 0.1,
            threshold: 0.0,
        }
    }
}

impl ValidateParams for PseudoLabelParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        in_range(strategy, "temperature", self.temperature, (0.0, true), 1e3)?;
        in_range(strategy, "threshold", self.threshold, (0.0, false), 1.0)?;
        Ok(())
    }
}

/// One pseudo-label: the class and its probability under the soft nearest neighbours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PseudoLabel {
    pub class: u32,
    pub confidence: f32,
}

/// The soft nearest-neighbour class of each row of `queries` given the labeled `support`
/// (rows with `support_labels`). Embeddings are L2-normalised here; a zero row has
/// similarity 0 to everything.
pub fn soft_nearest_neighbour_labels(
    support: &Matrix,
    support_labels: &[u32],
    queries: &Matrix,
    temperature: f64,
) -> Vec<PseudoLabel> {
    let support_n = normalized(support);
    let queries_n = normalized(queries);
    let classes = support_labels
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let t = temperature as f32;
    let mut similarities = vec![0.0f32; support.rows];
    (0..queries.rows)
        .map(|q| {
            let query = queries_n.row(q);
            let mut top = f32::NEG_INFINITY;
            for (s, sim) in similarities.iter_mut().enumerate() {
                let dot: f32 = query.iter().zip(support_n.row(s)).map(|(a, b)| a * b).sum();
                *sim = dot / t;
                top = top.max(*sim);
            }
            let mut mass = vec![0.0f32; classes];
            let mut total = 0.0f32;
            for (s, &sim) in similarities.iter().enumerate() {
                let w = (sim - top).exp();
                mass[support_labels[s] as usize] += w;
                total += w;
            }
            let (class, &best) =
                mass.iter()
                    .enumerate()
                    .fold((0, &f32::NEG_INFINITY), |acc, (c, m)| {
                        if *m > *acc.1 {
                            (c, m)
                        } else {
                            acc
                        }
                    });
            PseudoLabel {
                class: class as u32,
                confidence: if total > 0.0 { best / total } else { 0.0 },
            }
        })
        .collect()
}
