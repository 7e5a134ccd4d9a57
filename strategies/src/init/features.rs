//! The unsupervised view of the pool a cold-start strategy works on.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::Matrix;

use super::pca::pca_project;

/// Borrowed row-major pool features (`rows x cols`), e.g. the pool's pixel array, and,
/// for the protocols that start from a class-balanced set, the pool's labels.
#[derive(Clone, Copy, Debug)]
pub struct Features<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    /// The pool's labels and the task's class count (labels at or above it are out of
    /// distribution): only the `balanced` cold start reads them.
    pub labels: Option<(&'a [u32], usize)>,
}

impl<'a> Features<'a> {
    /// Wraps `data`; `data.len()` must be `rows * cols`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Option<Self> {
        (data.len() == rows * cols).then_some(Self {
            data,
            rows,
            cols,
            labels: None,
        })
    }

    /// The same features with the pool's labels (`rows` of them) over `classes` classes.
    pub fn with_labels(self, labels: &'a [u32], classes: usize) -> Option<Self> {
        (labels.len() == self.rows).then_some(Self {
            labels: Some((labels, classes)),
            ..self
        })
    }

    /// One row.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// Which representation the clustering runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Representation {
    /// The raw (normalised) features.
    Raw,
    /// A PCA of them (`pca_dims` components), fitted on up to 10,000 rows.
    #[default]
    Pca,
}

/// Representation settings shared by the clustering init strategies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RepresentationParams {
    pub representation: Representation,
    pub pca_dims: usize,
}

impl Default for RepresentationParams {
    fn default() -> Self {
        Self {
            representation: Representation::Pca,
            pca_dims: 32,
        }
    }
}

impl RepresentationParams {
    /// The pool in this representation.
    pub fn embed(&self, features: &Features<'_>, rng: &mut ChaCha8Rng) -> Matrix {
        match self.representation {
            Representation::Raw => {
                Matrix::new(features.rows, features.cols, features.data.to_vec())
            }
            Representation::Pca => pca_project(features, self.pca_dims, 10_000, rng),
        }
    }

    /// Checks `pca_dims`.
    pub fn validate(&self) -> Result<(), String> {
        if self.representation == Representation::Pca && self.pca_dims == 0 {
            return Err("parameter `pca_dims` must be at least 1".into());
        }
        Ok(())
    }
}
