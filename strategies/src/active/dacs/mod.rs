//! DACS, density-aware core-set (Kim & Shin, "In Defense of Core-set: A Density-aware
//! Core-set Selection for Active Learning", KDD 2022): locally sparse regions of the
//! feature space hold more informative examples than dense ones, so the core-set
//! selection is made density-aware.
//!
//! 1. Density of each unlabeled example: mean cosine similarity to its `knn` nearest
//!    unlabeled neighbours, searched among approximate candidates from random-projection
//!    trees, a data-dependent locality-sensitive hashing ([`density`]).
//! 2. The pool is split into `groups` density groups (natural breaks, [`groups`]).
//! 3. Each group gets a share of the batch, softmax(-mean density / `temperature`):
//!    sparse groups get more.
//! 4. k-center greedy runs inside each group for its share, with the labeled set as
//!    the initial centres (the paper's decomposed k-center greedy).

pub mod density;
pub mod groups;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{Matrix, ModelView, SelectionRequest, Strategy, StrategyError};

use super::kcenter::farthest_first;
use crate::linalg::check_shape;
use crate::params::{at_least, at_most, in_range, ValidateParams};
use density::{automatic_leaf_size, knn_density, minimum_leaf_size, normalized};
use groups::{density_groups, group_quotas};

/// Lloyd iterations of the one-dimensional natural-breaks k-means (it converges in a
/// handful on sorted values).
const GROUP_ITERATIONS: usize = 100;

/// Parameters of DACS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DacsParams {
    /// Neighbours in the density estimate.
    pub knn: usize,
    /// Most examples in a leaf of a random-projection tree; 0 = 4·(knn + 1).
    pub leaf_size: usize,
    /// Random-projection trees; an example's candidates are its leaves in all of them.
    pub trees: usize,
    /// Density groups.
    pub groups: usize,
    /// Softmax temperature of the groups' shares (lower = more to the sparsest).
    pub temperature: f64,
}

impl Default for DacsParams {
    fn default() -> Self {
        Self {
            knn: 10,
            leaf_size: 0,
            trees: 4,
            groups: 3,
            temperature: 0.1,
        }
    }
}

impl ValidateParams for DacsParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "knn", self.knn, 1)?;
        if self.leaf_size != 0 {
            at_least(
                strategy,
                "leaf_size",
                self.leaf_size,
                minimum_leaf_size(self.knn),
            )?;
        }
        at_least(strategy, "trees", self.trees, 1)?;
        at_most(strategy, "trees", self.trees, 64)?;
        at_least(strategy, "groups", self.groups, 1)?;
        in_range(
            strategy,
            "temperature",
            self.temperature,
            (0.0, true),
            f64::INFINITY,
        )
    }
}

/// Density-aware core-set selection.
#[derive(Debug, Default)]
pub struct Dacs {
    pub params: DacsParams,
}

fn rows_of(points: &Matrix, rows: &[usize]) -> Matrix {
    let mut data = Vec::with_capacity(rows.len() * points.cols);
    for &r in rows {
        data.extend_from_slice(points.row(r));
    }
    Matrix::new(rows.len(), points.cols, data)
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
        let leaf_size = match self.params.leaf_size {
            0 => automatic_leaf_size(self.params.knn),
            size => size,
        };
        let density = knn_density(
            &normalized(&points),
            self.params.knn,
            leaf_size,
            self.params.trees,
            rng,
        );
        let (group_of, means) = density_groups(&density, self.params.groups, GROUP_ITERATIONS);
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); means.len()];
        for (row, &g) in group_of.iter().enumerate() {
            members[g].push(row);
        }
        let sizes: Vec<usize> = members.iter().map(Vec::len).collect();
        let quotas = group_quotas(&means, &sizes, count, self.params.temperature);
        let centers = model.embeddings(request.labeled)?;
        check_shape(
            self.name(),
            "embeddings",
            &centers,
            request.labeled.len(),
            (!request.labeled.is_empty()).then_some(points.cols),
        )?;
        let mut picks = Vec::with_capacity(count);
        for (rows, &quota) in members.iter().zip(&quotas) {
            if quota == 0 {
                continue;
            }
            let candidates = rows_of(&points, rows);
            for local in farthest_first(&candidates, &centers, quota, rng) {
                picks.push(request.unlabeled[rows[local]]);
            }
        }
        Ok(picks)
    }
}
