//! Model augmentation (Zhang et al., CVPR 2023, "Accelerating Dataset Distillation via
//! Model Augmentation"; reference: ncsu-dk-lab/Acc-DD, `pretrain.py`, `condense.py`,
//! `weight_perturbation.py`). Instead of a freshly initialised network per outer
//! iteration, the method draws one of a pool of *early-stage* models — networks trained
//! for a few epochs on the real data before condensation starts — and perturbs its
//! weights along two random filter-normalised directions (Li et al.'s loss-landscape
//! directions): `θ + a·d₁ + b·d₂`, each `d` Gaussian rescaled so every filter (output
//! unit) has the norm of the model's own filter, 1-d parameters (biases, norm scales)
//! left alone. `dm_ma` and `dc_ma` are DM and DC with their networks drawn this way.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::train::{train_model, TrainRequest};
use sieve_bench_core::{
    LrSchedule, ModelSpec, Network, OptimizerKind, Regularization, StrategyError,
};
use sieve_datasets::{Augmentation, DsaStrategy, LabeledSet};

use crate::params::{at_least, at_most, in_range};

/// The pool and the perturbation. Defaults are the reference's for CIFAR-10 ConvNets
/// (`--model_num 5`, `--pt_from 2`, pretraining batch 64, SGD lr 0.01, momentum 0.9,
/// weight decay 5e-4) except `perturbation`, which the reference leaves undefined (its
/// `v_min`/`v_max` have no command-line definition): sieve's choice is 0.1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelAugmentation {
    /// Early-stage models trained before condensation.
    pub pool_size: usize,
    /// Epochs each early-stage model trains on the real data.
    pub pool_epochs: usize,
    /// Real images each early-stage model trains on, drawn at random per model; `0`
    /// (the reference) is the whole training set.
    pub pool_examples: usize,
    /// Batch of the early-stage training.
    pub pool_batch: usize,
    /// SGD learning rate of the early-stage training (momentum 0.9, weight decay 5e-4).
    pub pool_lr: f64,
    /// Largest magnitude of each direction's coefficient: `|a|, |b| ~ U(0, ρ)`, with a
    /// random sign.
    pub perturbation: f64,
}

impl Default for ModelAugmentation {
    fn default() -> Self {
        Self {
            pool_size: 5,
            pool_epochs: 2,
            pool_examples: 0,
            pool_batch: 64,
            pool_lr: 0.01,
            perturbation: 0.1,
        }
    }
}

impl ModelAugmentation {
    /// Ranges, checked with the method's other parameters.
    pub(crate) fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        let field = |name: &str| format!("model_augmentation.{name}");
        at_least(strategy, &field("pool_size"), self.pool_size, 1)?;
        at_most(strategy, &field("pool_size"), self.pool_size, 1_000)?;
        at_least(strategy, &field("pool_epochs"), self.pool_epochs, 1)?;
        at_most(strategy, &field("pool_epochs"), self.pool_epochs, 100_000)?;
        at_least(strategy, &field("pool_batch"), self.pool_batch, 1)?;
        in_range(strategy, &field("pool_lr"), self.pool_lr, (0.0, false), 1e3)?;
        in_range(
            strategy,
            &field("perturbation"),
            self.perturbation,
            (0.0, true),
            100.0,
        )?;
        Ok(())
    }

    /// Trains the early-stage pool on the real data (`augment`: per-image DSA, as the
    /// reference pretrains with its random augmentation).
    pub fn train_pool<B: AutodiffBackend>(
        &self,
        spec: &ModelSpec,
        data: &LabeledSet,
        classes: usize,
        augment: Option<&DsaStrategy>,
        rng: &mut ChaCha8Rng,
        device: &B::Device,
    ) -> Result<Vec<Network<B::InnerBackend>>, StrategyError> {
        let regularization = Regularization {
            name: "early-stage".into(),
            epochs: self.pool_epochs,
            min_steps: 0,
            batch_size: self.pool_batch,
            optimizer: OptimizerKind::Sgd,
            lr: self.pool_lr,
            momentum: 0.9,
            schedule: LrSchedule::Constant {},
            weight_decay: 5e-4,
            dropout: 0.0,
            augment: Augmentation {
                dsa: augment.cloned(),
                ..Augmentation::default()
            },
            label_smoothing: 0.0,
            swa: None,
            training: None,
        };
        let all: Vec<usize> = (0..data.len()).collect();
        let mut pool = Vec::with_capacity(self.pool_size);
        for _ in 0..self.pool_size {
            let rows = if self.pool_examples == 0 || self.pool_examples >= all.len() {
                all.clone()
            } else {
                let mut rows = all.clone();
                rows.shuffle(rng);
                rows.truncate(self.pool_examples);
                rows
            };
            let trained = train_model::<B>(
                TrainRequest {
                    spec,
                    regularization: &regularization,
                    data,
                    indices: &rows,
                    classes,
                    init_seed: rng.next_u64(),
                    train_seed: rng.next_u64(),
                    warm_start: None,
                    example_weights: None,
                    device,
                    unlabeled: &[],
                    learning_loss: None,
                },
                &mut |_, _| {},
            )?;
            pool.push(trained.model);
        }
        Ok(pool)
    }

    /// One network for an outer iteration: a pool member at random, perturbed.
    pub(crate) fn draw<B: Backend>(
        &self,
        pool: &[Network<B>],
        rng: &mut ChaCha8Rng,
    ) -> Option<Network<B>> {
        let picked = pool.get(rng.random_range(0..pool.len().max(1)))?.clone();
        Some(perturb(picked, self.perturbation, rng))
    }
}

/// `θ + a·d₁ + b·d₂` with `|a|, |b| ~ U(0, rho)` and random signs, `d` filter-normalised
/// Gaussian directions (zero on 1-d parameters).
pub fn perturb<B: Backend>(net: Network<B>, rho: f64, rng: &mut ChaCha8Rng) -> Network<B> {
    let mut coefficient = || {
        let magnitude = rng.random::<f64>() * rho;
        if rng.random::<bool>() {
            magnitude
        } else {
            -magnitude
        }
    };
    let coefficients = [coefficient(), coefficient()];
    net.map(&mut Perturb { rng, coefficients })
}

struct Perturb<'a> {
    rng: &'a mut ChaCha8Rng,
    coefficients: [f64; 2],
}

impl<B: Backend> ModuleMapper<B> for Perturb<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        param.map(|t| {
            if D < 2 {
                return t;
            }
            let dims = t.dims();
            let device = t.device();
            let Ok(original) = t.clone().into_data().convert::<f32>().to_vec::<f32>() else {
                return t;
            };
            let mut weights = original.clone();
            let filters = filter_rows(&dims);
            for &coefficient in &self.coefficients {
                let direction: Vec<f32> = (0..weights.len())
                    .map(|_| super::standard_normal(self.rng))
                    .collect();
                let mut delta = vec![0.0f32; weights.len()];
                for filter in &filters {
                    let norm = |v: &[f32]| {
                        filter
                            .iter()
                            .map(|&i| (v[i] as f64).powi(2))
                            .sum::<f64>()
                            .sqrt()
                    };
                    let scale = coefficient * norm(&original) / (norm(&direction) + 1e-10);
                    for &i in filter {
                        delta[i] = (direction[i] as f64 * scale) as f32;
                    }
                }
                for (w, d) in weights.iter_mut().zip(&delta) {
                    *w += d;
                }
            }
            Tensor::from_data(TensorData::new(weights, dims.to_vec()), &device)
        })
    }
}

/// The flat indices of each filter: conv weights `[out, in, k, k]` (any rank ≥ 3) group
/// by the first axis; burn's linear weights are `[in, out]`, so an output unit is a
/// column.
fn filter_rows(dims: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = dims.iter().product();
    if dims.len() == 2 {
        let (rows, cols) = (dims[0], dims[1]);
        (0..cols)
            .map(|c| (0..rows).map(|r| r * cols + c).collect())
            .collect()
    } else {
        let per = total / dims[0].max(1);
        (0..dims[0])
            .map(|f| (f * per..(f + 1) * per).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_filters_are_columns_and_conv_filters_are_leading_slices() {
        assert_eq!(
            filter_rows(&[2, 3]),
            vec![vec![0, 3], vec![1, 4], vec![2, 5]]
        );
        assert_eq!(filter_rows(&[2, 1, 1, 2]), vec![vec![0, 1], vec![2, 3]]);
    }
}
