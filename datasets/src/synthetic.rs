//! A seeded generator of separable Gaussian classes, for tests and smoke runs.

use serde::{Deserialize, Serialize};

use crate::error::DatasetError;
use crate::rng;
use crate::set::LabeledSet;
use crate::shape::ExampleShape;

/// Largest number of values a synthetic set may hold (4 GiB of `f32`), so a
/// typo in a config is an error rather than an out-of-memory abort.
const MAX_VALUES: usize = 1 << 30;

/// Parameters of [`generate_synthetic`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyntheticConfig {
    /// Number of classes (at least 2).
    pub classes: usize,
    /// Examples per class (at least 1).
    pub per_class: usize,
    /// Shape of each example; a flat vector or a small image.
    pub shape: ExampleShape,
    /// Distance of each class centre from the origin.
    pub separation: f32,
    /// Standard deviation of the per-value Gaussian noise around a centre.
    pub noise: f32,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            classes: 4,
            per_class: 50,
            shape: ExampleShape::flat(16),
            separation: 3.0,
            noise: 1.0,
        }
    }
}

impl SyntheticConfig {
    /// Checks the parameters: `classes >= 2`, `per_class >= 1`, a non-empty
    /// shape, finite `separation >= 0` and `noise >= 0`, and a sane total size.
    pub fn validate(&self) -> Result<(), DatasetError> {
        let bad = |msg: String| Err(DatasetError::Invalid(format!("synthetic data: {msg}")));
        if self.classes < 2 {
            return bad(format!(
                "`classes` must be at least 2, found {}",
                self.classes
            ));
        }
        if self.per_class < 1 {
            return bad("`per_class` must be at least 1, found 0".into());
        }
        let shape = self.shape;
        let row = shape
            .channels
            .checked_mul(shape.height)
            .and_then(|v| v.checked_mul(shape.width));
        if row == Some(0) {
            return bad(format!("`shape` {shape} has no values"));
        }
        let total = row
            .and_then(|r| r.checked_mul(self.classes))
            .and_then(|v| v.checked_mul(self.per_class));
        if total.is_none_or(|t| t > MAX_VALUES) {
            return bad(format!(
                "{} classes x {} examples of shape {shape} exceed {MAX_VALUES} values",
                self.classes, self.per_class
            ));
        }
        if !(self.separation.is_finite() && self.separation >= 0.0) {
            return bad(format!(
                "`separation` must be finite and >= 0, found {}",
                self.separation
            ));
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return bad(format!(
                "`noise` must be finite and >= 0, found {}",
                self.noise
            ));
        }
        Ok(())
    }
}

/// Generates `classes * per_class` examples: each class has a random unit
/// direction scaled by `separation` as its centre (orthogonalised against the
/// earlier centres while the dimension allows, so classes are pairwise
/// `separation * sqrt(2)` apart), and each example is its centre plus
/// independent `N(0, noise^2)` values. Examples are interleaved by class
/// (example `i` has label `i % classes`). Deterministic in `seed`.
pub fn generate_synthetic(config: &SyntheticConfig, seed: u64) -> Result<LabeledSet, DatasetError> {
    config.validate()?;
    let dim = config.shape.len();
    let mut rng = rng::seeded(seed);
    let mut centres: Vec<Vec<f64>> = Vec::with_capacity(config.classes);
    for _ in 0..config.classes {
        let mut v = unit_direction(&mut rng, dim);
        if centres.len() < dim {
            // Gram–Schmidt against the earlier centres (all unit vectors at this point).
            for c in &centres {
                let dot: f64 = v.iter().zip(c).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(c).for_each(|(a, b)| *a -= dot * b);
            }
            let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
            if norm > 1e-9 {
                v.iter_mut().for_each(|a| *a /= norm);
            }
        }
        centres.push(v);
    }
    let n = config.classes * config.per_class;
    let mut features = Vec::with_capacity(n * dim);
    let mut labels = Vec::with_capacity(n);
    let separation = f64::from(config.separation);
    let noise = f64::from(config.noise);
    for i in 0..n {
        let class = i % config.classes;
        labels.push(class as u32);
        features.extend(
            centres[class]
                .iter()
                .map(|&c| (c * separation + noise * rng::normal(&mut rng)) as f32),
        );
    }
    LabeledSet::new(config.shape, config.classes, features, labels)
}

/// A uniformly random unit vector (a normalised Gaussian draw).
fn unit_direction(rng: &mut impl rand::RngCore, dim: usize) -> Vec<f64> {
    loop {
        let v: Vec<f64> = (0..dim).map(|_| rng::normal(rng)).collect();
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-9 {
            return v.into_iter().map(|a| a / norm).collect();
        }
    }
}
