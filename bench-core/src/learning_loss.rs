//! Learning loss for active learning (Yoo & Kweon, CVPR 2019; reference
//! Mephisto405/Learning-Loss-for-Active-Learning `models/lossnet.py`, `main.py`,
//! `config.py`): a small loss-prediction module reads every stage of the task network
//! and is trained *jointly* with it to rank the examples of each batch by their loss;
//! the unlabeled examples with the highest predicted loss are queried.
//!
//! As the reference: per stage, global average pooling, a fully connected layer of
//! `hidden` (128) units and ReLU; the stages concatenated into one linear output. The
//! ranking loss pairs example `i` with example `n−1−i` of the batch (`i < n/2`):
//! `Σ max(0, ξ − sign·(l̂ᵢ − l̂ⱼ)) / ⌊n/2⌋` with `sign = +1` when the true loss of `i`
//! exceeds that of `j`, else −1; the joint loss is the batch's mean cross-entropy plus
//! `λ` times this. From `detach_after` of the epochs on, the stage features reach the
//! module detached, so only the module keeps learning (EPOCHL 120 of 200). The module
//! has the task network's optimizer settings and learning-rate schedule (the reference
//! gives both the same SGD and milestones). Deviations (docs/strategies.md): dense stages
//! (the MLP's hidden layers, LeNet's and VGG's dense layers) enter the module without
//! pooling; an odd batch leaves its middle example unpaired (the reference asserts an
//! even batch).

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};
use sieve_datasets::LabeledSet;

use crate::train::{map_batches, read_f32};
use crate::{CoreError, Network};

/// LL4AL's settings (the reference's defaults); also the `learning_loss` strategy's
/// parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LearningLossConfig {
    /// Margin ξ of the ranking loss (`MARGIN`, 1.0).
    pub margin: f64,
    /// Weight λ of the loss-prediction loss in the joint loss (`WEIGHT`, 1.0).
    pub weight: f64,
    /// Units of each stage's fully connected layer (`interm_dim`, 128).
    pub hidden: usize,
    /// Share of the epochs after which the stage features reach the module detached
    /// (`EPOCHL` 120 of `EPOCH` 200: 0.6); 1 never detaches.
    pub detach_after: f64,
}

impl Default for LearningLossConfig {
    fn default() -> Self {
        Self {
            margin: 1.0,
            weight: 1.0,
            hidden: 128,
            detach_after: 0.6,
        }
    }
}

impl LearningLossConfig {
    /// Checks every field; `field` names the block in errors.
    pub fn validate(&self, field: &str) -> Result<(), CoreError> {
        if !(self.margin.is_finite() && self.margin >= 0.0) {
            return Err(CoreError::invalid(
                format!("{field}.margin"),
                format!("must be a finite number >= 0, got {}", self.margin),
            ));
        }
        if !(self.weight.is_finite() && self.weight > 0.0) {
            return Err(CoreError::invalid(
                format!("{field}.weight"),
                format!("must be a finite number > 0, got {}", self.weight),
            ));
        }
        if self.hidden == 0 {
            return Err(CoreError::invalid(
                format!("{field}.hidden"),
                "must be at least 1",
            ));
        }
        if !(0.0..=1.0).contains(&self.detach_after) {
            return Err(CoreError::invalid(
                format!("{field}.detach_after"),
                format!(
                    "must be a share of the epochs in [0, 1], got {}",
                    self.detach_after
                ),
            ));
        }
        Ok(())
    }

    /// A module for stages of these widths; weights from the backend RNG (PyTorch's
    /// default `Linear` initialisation).
    pub fn init<B: Backend>(&self, stage_widths: &[usize], device: &B::Device) -> LossPredictor<B> {
        LossPredictor {
            stages: stage_widths
                .iter()
                .map(|&w| LinearConfig::new(w, self.hidden).init(device))
                .collect(),
            out: LinearConfig::new(self.hidden * stage_widths.len().max(1), 1).init(device),
        }
    }

    /// The first (0-based) epoch whose features reach the module detached.
    pub fn detach_epoch(&self, epochs: usize) -> usize {
        (self.detach_after * epochs as f64).ceil() as usize
    }
}

/// The loss-prediction module.
#[derive(Module, Debug)]
pub struct LossPredictor<B: Backend> {
    stages: Vec<Linear<B>>,
    out: Linear<B>,
}

impl<B: Backend> LossPredictor<B> {
    /// One predicted loss per example from the network's stage features
    /// ([`Network::forward_with_stages`]).
    pub fn forward(&self, stages: Vec<Tensor<B, 2>>) -> Tensor<B, 1> {
        let hidden: Vec<Tensor<B, 2>> = stages
            .into_iter()
            .zip(&self.stages)
            .map(|(h, layer)| relu(layer.forward(h)))
            .collect();
        let joined = Tensor::cat(hidden, 1);
        self.out.forward(joined).flatten(0, 1)
    }

    /// How many stages the module reads.
    pub fn stage_count(&self) -> usize {
        self.stages.len()
    }
}

/// LL4AL's ranking loss: example `i` against example `n−1−i`, `i < ⌊n/2⌋`,
/// `Σ max(0, margin − s·(p̂ᵢ − p̂ⱼ)) / ⌊n/2⌋` with `s = +1` where `targetᵢ > targetⱼ`,
/// else −1 (ties too, as the reference's `2·sign(clamp(·, 0)) − 1`). The targets carry
/// no gradient. A batch of one has no pair: the loss is 0.
pub fn ranking_loss<B: Backend>(
    predicted: Tensor<B, 1>,
    target: Tensor<B, 1>,
    margin: f64,
) -> Tensor<B, 1> {
    let n = predicted.dims()[0];
    let half = n / 2;
    if half == 0 {
        return predicted.sum() * 0.0;
    }
    let pairs = |t: Tensor<B, 1>| t.clone().slice(0..half) - t.flip([0]).slice(0..half);
    let predicted = pairs(predicted);
    let target = pairs(target.detach());
    let sign = target.greater_elem(0.0).float() * 2.0 - 1.0;
    (sign * predicted)
        .neg()
        .add_scalar(margin)
        .clamp_min(0.0)
        .sum()
        .div_scalar(half as f64)
}

/// Predicted losses of the pool rows `indices` (evaluation mode: no dropout, running
/// batch-norm statistics), in `batch_size` chunks.
pub fn predicted_losses<B: Backend>(
    model: &Network<B>,
    predictor: &LossPredictor<B>,
    pool: &LabeledSet,
    indices: &[usize],
    batch_size: usize,
    device: &B::Device,
) -> Result<Vec<f32>, CoreError> {
    map_batches(pool, indices, batch_size, device, |x| {
        let (_, stages) = model.forward_with_stages(x, 0.0, false);
        if stages.len() != predictor.stage_count() {
            return Err(CoreError::invalid(
                "learning_loss",
                format!(
                    "the network has {} stages, the loss-prediction module reads {}",
                    stages.len(),
                    predictor.stage_count()
                ),
            ));
        }
        read_f32(predictor.forward(stages))
    })
}
