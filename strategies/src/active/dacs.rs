//! DACS, density-aware core-set (Kim et al., "Density-Aware Core-set Selection for
//! Active Learning", KDD 2022): core-set selection that avoids dense regions, where a
//! labeled example adds little, and prefers diverse examples from sparse regions.
//!
//! Density: locality-sensitive hashing with random hyperplanes from the strategy's
//! rng. Each of `tables` tables draws `hash_bits` hyperplanes w·x = t, with w Gaussian
//! and the offset t uniform over the pool's range of w·x (an offset keeps tight
//! clusters from being cut by planes through the origin). An example's key in a table
//! is its side of each plane; its density is the number of unlabeled examples sharing
//! its bucket, averaged over the tables. Time O(N·tables·hash_bits·D), memory O(N).
//!
//! Selection rule (documented choice): the candidates are the lowest-density
//! `candidate_share` of the unlabeled pool (at least the batch size; ties to the lower
//! pool index), and k-center greedy runs on them, starting from the labeled set.

use std::collections::HashMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{Matrix, ModelView, SelectionRequest, Strategy, StrategyError};

use super::kcenter::farthest_first;
use crate::linalg::{check_shape, dot, smallest_k, standard_normal};
use crate::params::{at_least, in_range, invalid, ValidateParams};

/// Parameters of DACS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DacsParams {
    /// Hyperplanes per hash table (bits of a key), 1..=64.
    pub hash_bits: usize,
    /// Independent hash tables averaged for the density.
    pub tables: usize,
    /// Share of the unlabeled pool, lowest density first, that k-center runs on.
    pub candidate_share: f64,
}

impl Default for DacsParams {
    fn default() -> Self {
        Self {
            hash_bits: 8,
            tables: 10,
            candidate_share: 0.5,
        }
    }
}

impl ValidateParams for DacsParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "hash_bits", self.hash_bits, 1)?;
        if self.hash_bits > 64 {
            return Err(invalid(
                strategy,
                "hash_bits",
                format!("must be at most 64, got {}", self.hash_bits),
            ));
        }
        at_least(strategy, "tables", self.tables, 1)?;
        in_range(
            strategy,
            "candidate_share",
            self.candidate_share,
            (0.0, true),
            1.0,
        )
    }
}

/// LSH density estimate then k-center greedy over the sparsest share.
#[derive(Debug, Default)]
pub struct Dacs {
    pub params: DacsParams,
}

/// Mean bucket occupancy of each row of `points` over `tables` random-hyperplane tables.
pub fn lsh_density(
    points: &Matrix,
    hash_bits: usize,
    tables: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<f64> {
    let (n, d) = (points.rows, points.cols);
    let mut density = vec![0f64; n];
    let mut keys = vec![0u64; n];
    let mut projection = vec![0f64; n];
    for _ in 0..tables {
        keys.fill(0);
        for bit in 0..hash_bits {
            let w: Vec<f32> = (0..d).map(|_| standard_normal(rng) as f32).collect();
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for (p, row) in projection.iter_mut().zip(points.iter_rows()) {
                *p = dot(row, &w);
                lo = lo.min(*p);
                hi = hi.max(*p);
            }
            let t = if hi > lo {
                lo + rng.random::<f64>() * (hi - lo)
            } else {
                lo
            };
            for (k, &p) in keys.iter_mut().zip(&projection) {
                if p > t {
                    *k |= 1u64 << bit;
                }
            }
        }
        let mut occupancy: HashMap<u64, usize> = HashMap::new();
        for &k in &keys {
            *occupancy.entry(k).or_insert(0) += 1;
        }
        for (dens, k) in density.iter_mut().zip(&keys) {
            *dens += occupancy.get(k).copied().unwrap_or(0) as f64;
        }
    }
    let t = tables.max(1) as f64;
    density.iter_mut().for_each(|v| *v /= t);
    density
}

impl Strategy for Dacs {
    fn name(&self) -> &'static str {
        "dacs"
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
        let points = model.embeddings(request.unlabeled)?;
        check_shape(self.name(), "embeddings", &points, n, None)?;
        let density = lsh_density(&points, self.params.hash_bits, self.params.tables, rng);
        let share = (self.params.candidate_share * n as f64).ceil() as usize;
        let rows = smallest_k(&density, share.max(count).min(n));
        let mut data = Vec::with_capacity(rows.len() * points.cols);
        for &r in &rows {
            data.extend_from_slice(points.row(r));
        }
        let candidates = Matrix::new(rows.len(), points.cols, data);
        drop(points);
        let centers = model.embeddings(request.labeled)?;
        check_shape(
            self.name(),
            "embeddings",
            &centers,
            request.labeled.len(),
            (!request.labeled.is_empty()).then_some(candidates.cols),
        )?;
        let picked = farthest_first(&candidates, &centers, count, rng);
        Ok(picked
            .into_iter()
            .map(|c| request.unlabeled[rows[c]])
            .collect())
    }
}
