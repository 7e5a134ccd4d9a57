//! `dm`: dataset condensation with distribution matching (Zhao & Bilen, WACV 2023).
//!
//! Each iteration draws a freshly initialised network (never trained) and, per class,
//! a random batch of real images; both the real batch and the class's synthetic images
//! go through one Siamese DSA transform, and the loss is the squared distance between
//! the mean embeddings, summed over classes:
//! `Σ_c ‖mean embed(real_c) − mean embed(syn_c)‖²`. The synthetic images take one SGD
//! step (lr 1.0, momentum 0.5) on that loss. Defaults are the reference's `main_DM.py`.

use std::time::Instant;

use burn::module::{AutodiffModule, Module};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::dsa::apply_dsa;
use sieve_bench_core::train::read_f32;
use sieve_bench_core::{derive_seed, Network, StrategyError};
use sieve_datasets::DsaStrategy;

use super::model_augmentation::ModelAugmentation;
use super::{CondenseRequest, SyntheticInit, SyntheticSet};
use crate::params::{at_least, at_most, in_range, ValidateParams};

/// Most iterations a config may ask for.
pub const MAX_ITERATIONS: usize = 10_000_000;

/// DM's parameters (the reference's defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DmParams {
    /// Image updates (20,000 in the paper).
    pub iterations: usize,
    /// SGD learning rate on the images.
    pub lr_img: f64,
    /// SGD momentum on the images.
    pub momentum: f64,
    /// Real images per class per iteration.
    pub batch_real: usize,
    /// Start from random real images (`real`) or Gaussian noise (`noise`).
    pub init: SyntheticInit,
    /// Siamese augmentation families, or `none`.
    pub dsa: String,
    /// `dm_ma`: draw each iteration's network from a pool of early-stage models,
    /// perturbed, instead of a fresh initialisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_augmentation: Option<ModelAugmentation>,
}

impl DmParams {
    /// `dm_ma`: DM with model augmentation at the reference's defaults.
    pub fn with_model_augmentation() -> Self {
        Self {
            model_augmentation: Some(ModelAugmentation::default()),
            ..Self::default()
        }
    }
}

impl Default for DmParams {
    fn default() -> Self {
        Self {
            iterations: 20_000,
            lr_img: 1.0,
            momentum: 0.5,
            batch_real: 256,
            init: SyntheticInit::Real,
            dsa: DsaStrategy::DEFAULT.to_string(),
            model_augmentation: None,
        }
    }
}

impl DmParams {
    /// The augmentation, `None` for `none`.
    pub fn strategy(&self) -> Result<Option<DsaStrategy>, String> {
        parse_dsa(&self.dsa)
    }
}

/// `none` or a DSA strategy string.
pub(crate) fn parse_dsa(text: &str) -> Result<Option<DsaStrategy>, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    DsaStrategy::parse(text)
        .map(Some)
        .map_err(|e| e.to_string())
}

impl ValidateParams for DmParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "iterations", self.iterations, 1)?;
        at_most(strategy, "iterations", self.iterations, MAX_ITERATIONS)?;
        at_least(strategy, "batch_real", self.batch_real, 1)?;
        at_most(strategy, "batch_real", self.batch_real, 1 << 20)?;
        in_range(strategy, "lr_img", self.lr_img, (0.0, true), 1e6)?;
        in_range(strategy, "momentum", self.momentum, (0.0, false), 0.999)?;
        parse_dsa(&self.dsa).map_err(|m| crate::params::invalid(strategy, "dsa", m))?;
        if let Some(ma) = &self.model_augmentation {
            ma.validate(strategy)?;
        }
        Ok(())
    }
}

/// Runs DM (`dm_ma` when `params` has model augmentation). `on_iteration(done, loss)`
/// is called after every image update.
pub fn condense_dm<B: AutodiffBackend>(
    name: &str,
    params: &DmParams,
    request: &CondenseRequest<'_, B>,
    rng: &mut ChaCha8Rng,
    on_iteration: &mut dyn FnMut(usize, f64),
) -> Result<SyntheticSet, StrategyError> {
    let started = Instant::now();
    let data = request.data;
    let shape = data.shape;
    let (classes, ipc) = (request.classes, request.ipc);
    let failed = |message: &str| StrategyError::Request {
        strategy: name.to_string(),
        message: message.into(),
    };
    let dsa = params.strategy().map_err(|m| failed(&m))?;
    let by_class = super::class_rows(data, classes, ipc)?;
    let mut synthetic = super::initial_images(data, &by_class, ipc, params.init, rng);
    let labels = super::synthetic_labels(classes, ipc);
    let device = request.device;
    let n_syn = classes * ipc;
    let dims = [n_syn, shape.channels, shape.height, shape.width];
    let mut velocity = vec![0.0f32; synthetic.len()];
    let mut real_batches = super::RealBatches::new(data, params.batch_real, dsa.as_ref());
    let net_seed = rng.next_u64();
    let pool = match &params.model_augmentation {
        Some(ma) => ma.train_pool::<B>(request.spec, data, classes, dsa.as_ref(), rng, device)?,
        None => Vec::new(),
    };
    for iteration in 0..params.iterations {
        // A fresh network each iteration (or a perturbed early-stage one); its weights
        // are constants here.
        let net: Network<B> = match &params.model_augmentation {
            Some(ma) => Network::from_inner(
                ma.draw(&pool, rng)
                    .ok_or_else(|| failed("the early-stage pool is empty"))?,
            ),
            None => {
                B::seed(
                    device,
                    derive_seed(net_seed, &["dm-net", &iteration.to_string()]),
                );
                Network::init(request.spec, shape, classes, device)?
            }
        }
        .no_grad();
        let inner = net.valid();
        let images = Tensor::<B, 4>::from_data(TensorData::new(synthetic.clone(), dims), device)
            .require_grad();
        let mut real_means = Vec::with_capacity(classes);
        let mut syn_parts = Vec::with_capacity(classes);
        for (c, rows) in by_class.iter().enumerate() {
            let (real, transform) = real_batches.draw::<B::InnerBackend>(rows, rng, device);
            real_means.push(inner.embed(real, 0.0, false).mean_dim(0));
            let mut syn = images.clone().narrow(0, c * ipc, ipc);
            if let Some(t) = &transform {
                syn = apply_dsa(syn, t, shape);
            }
            syn_parts.push(syn);
        }
        let real_means = Tensor::<B, 2>::from_inner(Tensor::cat(real_means, 0));
        let syn_embed = net.embed(Tensor::cat(syn_parts, 0), 0.0, false);
        let width = syn_embed.dims()[1];
        let syn_means = syn_embed
            .reshape([classes, ipc, width])
            .mean_dim(1)
            .reshape([classes, width]);
        let loss = (real_means - syn_means).powf_scalar(2.0).sum();
        let loss_value = read_f32(loss.clone().inner())?
            .first()
            .copied()
            .unwrap_or(f32::NAN) as f64;
        if !loss_value.is_finite() {
            return Err(failed(&format!(
                "the loss is {loss_value} at iteration {iteration}; lower lr_img"
            )));
        }
        let grads = loss.backward();
        let grad = images
            .grad(&grads)
            .ok_or_else(|| failed("no gradient reached the images"))?;
        let grad = read_f32(grad)?;
        sgd_step(
            &mut synthetic,
            &mut velocity,
            &grad,
            params.lr_img,
            params.momentum,
        );
        on_iteration(iteration + 1, loss_value);
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(SyntheticSet {
        images: synthetic,
        labels,
        shape,
        iterations: params.iterations,
        seconds,
    })
}

/// PyTorch's SGD with momentum (dampening 0): `v = m v + g`, `x -= lr v`.
pub(crate) fn sgd_step(x: &mut [f32], velocity: &mut [f32], grad: &[f32], lr: f64, momentum: f64) {
    let (lr, m) = (lr as f32, momentum as f32);
    for ((xi, vi), gi) in x.iter_mut().zip(velocity.iter_mut()).zip(grad) {
        *vi = m * *vi + gi;
        *xi -= lr * *vi;
    }
}
