//! Rotation prediction, the self-supervised pretext task of PT4AL (Yi et al., ECCV 2022,
//! after Gidaris et al. 2018): a network of the trial's architecture learns which of four
//! quarter turns (0°, 90°, 180°, 270°) was applied to each pool image, with no class
//! label; an image's pretext loss (the mean cross-entropy over its four rotations) ranks
//! how hard it is. PT4AL's reference (johnsk95/PT4AL `rotation.py`, `make_batches.py`)
//! trains 120 epochs with SGD (lr 0.1, momentum 0.9, weight decay 5e-4, batch 256, the
//! rate ×0.1 at epochs 30, 60 and 90), no augmentation, and scores every pool image with
//! the final network.

use std::sync::Arc;

use burn::tensor::backend::{AutodiffBackend, Backend};
use sieve_datasets::{ExampleShape, LabeledSet};

use crate::train::{predict_probabilities, train_model, TrainRequest};
use crate::{
    derive_seed, CoreError, LrSchedule, ModelSpec, Network, OptimizerKind, Regularization,
};

/// The four rotations are the pretext task's classes.
pub const ROTATIONS: usize = 4;

/// How the rotation network is trained.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RotationPretext {
    pub epochs: usize,
    pub lr: f64,
    pub batch_size: usize,
}

impl Default for RotationPretext {
    /// PT4AL's reference settings.
    fn default() -> Self {
        Self {
            epochs: 120,
            lr: 0.1,
            batch_size: 256,
        }
    }
}

impl RotationPretext {
    /// SGD with momentum 0.9 and weight decay 5e-4, the rate ×0.1 after each quarter of
    /// the epochs (the reference's milestones 30, 60, 90 of 120), no augmentation.
    pub fn regularization(&self) -> Regularization {
        Regularization {
            name: "rotation-pretext".into(),
            epochs: self.epochs,
            min_steps: 0,
            batch_size: self.batch_size,
            optimizer: OptimizerKind::Sgd,
            lr: self.lr,
            momentum: 0.9,
            schedule: LrSchedule::Step {
                step_epochs: self.epochs.div_ceil(4).max(1),
                gamma: 0.1,
            },
            weight_decay: 5e-4,
            dropout: 0.0,
            augment: Default::default(),
            label_smoothing: 0.0,
            swa: None,
            training: None,
        }
    }

    /// A file-name-safe identity of the settings (for caches).
    pub fn key(&self) -> String {
        format!(
            "rotation-e{}-lr{}-b{}",
            self.epochs, self.lr, self.batch_size
        )
    }

    /// Checks the settings; `what` names the owner in errors.
    pub fn validate(&self, what: &str) -> Result<(), CoreError> {
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(CoreError::invalid(
                what,
                "pretext epochs and batch size must be at least 1",
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(CoreError::invalid(
                what,
                format!("pretext lr must be a positive number, got {}", self.lr),
            ));
        }
        Ok(())
    }
}

/// Whether images of `shape` can be rotated by quarter turns (square, not flat).
pub fn rotatable(shape: ExampleShape) -> bool {
    shape.height == shape.width && shape.height > 1
}

/// `image` turned `turns` quarter turns counter-clockwise, channel by channel
/// (`numpy.rot90`): output pixel (i, j) is input pixel (j, side − 1 − i).
pub fn rotate_quarter(image: &[f32], shape: ExampleShape, turns: usize) -> Vec<f32> {
    let side = shape.height;
    let plane = side * side;
    let mut current = image.to_vec();
    for _ in 0..turns % ROTATIONS {
        let mut next = vec![0.0; current.len()];
        for c in 0..shape.channels {
            let base = c * plane;
            for i in 0..side {
                for j in 0..side {
                    next[base + i * side + j] = current[base + j * side + (side - 1 - i)];
                }
            }
        }
        current = next;
    }
    current
}

/// The pretext data set: for each of `rows` (in order) its four rotations, labeled 0..3.
pub fn rotation_set(data: &LabeledSet, rows: &[usize]) -> Result<LabeledSet, CoreError> {
    let shape = data.shape;
    if !rotatable(shape) {
        return Err(CoreError::invalid(
            "rotation pretext",
            format!("needs square images to rotate, the data set's examples are {shape}"),
        ));
    }
    let mut features = Vec::with_capacity(rows.len() * ROTATIONS * shape.len());
    let mut labels = Vec::with_capacity(rows.len() * ROTATIONS);
    for &row in rows {
        let image = data.example(row);
        for turns in 0..ROTATIONS {
            features.extend(rotate_quarter(image, shape, turns));
            labels.push(turns as u32);
        }
    }
    LabeledSet::new(shape, ROTATIONS, features, labels)
        .map_err(|e| CoreError::invalid("rotation pretext", e.to_string()))
}

/// Trains the rotation network on every example of `pool`, seeded by `seed` only.
pub fn train_rotation_network<B: AutodiffBackend>(
    spec: &ModelSpec,
    pool: &LabeledSet,
    pretext: &RotationPretext,
    seed: u64,
    device: &B::Device,
) -> Result<Network<B::InnerBackend>, CoreError> {
    pretext.validate("rotation pretext")?;
    let all: Vec<usize> = (0..pool.len()).collect();
    let rotated = rotation_set(pool, &all)?;
    let rows: Vec<usize> = (0..rotated.len()).collect();
    let trained = train_model::<B>(
        TrainRequest {
            spec,
            regularization: &pretext.regularization(),
            data: &rotated,
            indices: &rows,
            classes: ROTATIONS,
            init_seed: derive_seed(seed, &["rotation-pretext", "init"]),
            train_seed: derive_seed(seed, &["rotation-pretext", "training"]),
            warm_start: None,
            example_weights: None,
            unlabeled: &[],
            device,
            learning_loss: None,
        },
        &mut |_, _| {},
    )?;
    Ok(trained.model)
}

/// Each example's pretext loss under `network`: the mean over its four rotations of
/// `−ln p(rotation)`.
pub fn rotation_losses_of<B: Backend>(
    network: &Network<B>,
    pool: &LabeledSet,
    inference_batch: usize,
    device: &B::Device,
) -> Result<Vec<f32>, CoreError> {
    let all: Vec<usize> = (0..pool.len()).collect();
    let rotated = rotation_set(pool, &all)?;
    let rows: Vec<usize> = (0..rotated.len()).collect();
    let probabilities = predict_probabilities(network, &rotated, &rows, inference_batch, device)?;
    Ok((0..pool.len())
        .map(|i| {
            let total: f64 = (0..ROTATIONS)
                .map(|turns| {
                    let p = probabilities.row(i * ROTATIONS + turns)[turns];
                    -f64::from(p.max(f32::MIN_POSITIVE)).ln()
                })
                .sum();
            (total / ROTATIONS as f64) as f32
        })
        .collect())
}

/// Trains the rotation network on `pool` and returns every example's pretext loss.
pub fn rotation_losses<B: AutodiffBackend>(
    spec: &ModelSpec,
    pool: &LabeledSet,
    pretext: &RotationPretext,
    seed: u64,
    inference_batch: usize,
    device: &B::Device,
) -> Result<Arc<Vec<f32>>, CoreError> {
    let network = train_rotation_network::<B>(spec, pool, pretext, seed, device)?;
    Ok(Arc::new(rotation_losses_of(
        &network,
        pool,
        inference_batch,
        device,
    )?))
}

/// Where a view finds the pool's pretext losses: computed once per trial (and shared by
/// every method at a repeat) by the protocol that owns the pool.
pub trait PretextSource {
    /// Every pool example's rotation loss under `pretext`'s training.
    fn rotation_losses(&self, pretext: &RotationPretext) -> Result<Arc<Vec<f32>>, CoreError>;
}
