//! Variational adversarial active learning (Sinha, Ebrahimi & Darrell, ICCV 2019;
//! reference sinhasam/vaal `model.py`, `solver.py`, `sampler.py`): a VAE learns a latent
//! space from labeled and unlabeled images alike while a discriminator learns to tell
//! labeled latents from unlabeled ones, and the VAE is trained to fool it. The examples
//! the discriminator finds least likely to be labeled are queried. The task model plays
//! no part in the selection.
//!
//! As the reference: a fresh VAE and discriminator every round; encoder 4 × [conv 4×4
//! stride 2 (no bias), batch norm, ReLU] with 128, 256, 512, 1024 channels, `fc_mu` and
//! `fc_logvar` to a 32-dimensional latent; decoder `Linear` to 1024 × (side/8)², 3 ×
//! [transposed conv 4×4 stride 2 (no bias), batch norm, ReLU], a 1×1 transposed conv to
//! the image channels; discriminator 512-512-1 with ReLU and a sigmoid; kaiming-normal
//! convolutions and linear layers, zero biases. Adam (lr 5e-4) for both; `epochs ×
//! |pool| / batch_size` iterations of 2 VAE steps (loss: MSE + β·KL summed over the
//! batch, on a labeled and an unlabeled batch, plus the adversarial BCE pushing both
//! toward "labeled") then 1 discriminator step (labeled → 1, unlabeled → 0); a new
//! labeled and unlabeled batch for each VAE step after the first, the discriminator
//! reusing the last. Deviations (docs/strategies.md): images whose sides are not
//! multiples of 16 are zero-padded up to one (the reference VAE is written for 32×32);
//! `width` scales the channel counts (128 in the reference); scores use the batch-norm
//! running statistics (the reference scores with the VAE still in training mode, so a
//! score depended on the other images of its inference batch).

use burn::module::{AutodiffModule, Module};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::activation::{relu, sigmoid, softplus};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_datasets::{ExampleShape, LabeledSet};

use crate::train::{batch_tensor, read_f32};
use crate::{derive_seed, CoreError};

/// VAAL's settings (the reference's defaults); also the `vaal` strategy's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VaalConfig {
    /// Latent dimension (`latent_dim`, 32).
    pub latent_dim: usize,
    /// Channels of the first encoder layer; the others are 2×, 4×, 8× (128).
    pub width: usize,
    /// Passes over the pool's size (`train_epochs`, 100).
    pub epochs: usize,
    /// Images per labeled and per unlabeled batch (128).
    pub batch_size: usize,
    /// VAE steps per iteration (`num_vae_steps`, 2).
    pub vae_steps: usize,
    /// Discriminator steps per iteration (`num_adv_steps`, 1).
    pub adversary_steps: usize,
    /// Weight of the KL term (`beta`, 1).
    pub beta: f64,
    /// Weight of the adversarial term in the VAE loss (`adversary_param`, 1).
    pub adversary_weight: f64,
    /// Adam learning rate of both networks (5e-4).
    pub lr: f64,
}

impl Default for VaalConfig {
    fn default() -> Self {
        Self {
            latent_dim: 32,
            width: 128,
            epochs: 100,
            batch_size: 128,
            vae_steps: 2,
            adversary_steps: 1,
            beta: 1.0,
            adversary_weight: 1.0,
            lr: 5e-4,
        }
    }
}

/// Sizes of the networks for one image shape.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    channels: usize,
    /// The image zero-padded to multiples of 16.
    padded: [usize; 2],
    /// Pixels of padding at the top and left.
    offset: [usize; 2],
}

impl Geometry {
    fn of(shape: ExampleShape) -> Self {
        let pad = |side: usize| side.div_ceil(16).max(1) * 16;
        let padded = [pad(shape.height), pad(shape.width)];
        Self {
            channels: shape.channels,
            padded,
            offset: [
                (padded[0] - shape.height) / 2,
                (padded[1] - shape.width) / 2,
            ],
        }
    }
}

fn kaiming() -> Initializer {
    // PyTorch's `kaiming_normal` (fan in, gain √2) as the reference's `kaiming_init`.
    Initializer::KaimingNormal {
        gain: std::f64::consts::SQRT_2,
        fan_out_only: false,
    }
}

/// The VAE.
#[derive(Module, Debug)]
pub struct Vae<B: Backend> {
    down: Vec<Conv2d<B>>,
    down_norms: Vec<BatchNorm<B>>,
    mu: Linear<B>,
    logvar: Linear<B>,
    expand: Linear<B>,
    up: Vec<ConvTranspose2d<B>>,
    up_norms: Vec<BatchNorm<B>>,
    out: ConvTranspose2d<B>,
}

/// The discriminator on latent codes (returns logits; the sigmoid is in the losses).
#[derive(Module, Debug)]
pub struct Discriminator<B: Backend> {
    layers: Vec<Linear<B>>,
}

impl<B: Backend> Vae<B> {
    fn new(config: &VaalConfig, g: Geometry, device: &B::Device) -> Self {
        let w = config.width;
        let widths = [g.channels, w, 2 * w, 4 * w, 8 * w];
        let down = (0..4)
            .map(|i| {
                Conv2dConfig::new([widths[i], widths[i + 1]], [4, 4])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .with_bias(false)
                    .with_initializer(kaiming())
                    .init(device)
            })
            .collect();
        let down_norms = (1..5)
            .map(|i| BatchNormConfig::new(widths[i]).init(device))
            .collect();
        let flat = 8 * w * (g.padded[0] / 16) * (g.padded[1] / 16);
        let linear = |i, o| {
            LinearConfig::new(i, o)
                .with_initializer(kaiming())
                .init(device)
        };
        let up = (0..3)
            .map(|i| {
                ConvTranspose2dConfig::new([widths[4 - i], widths[3 - i]], [4, 4])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .with_bias(false)
                    .init(device)
            })
            .collect();
        let up_norms = (0..3)
            .map(|i| BatchNormConfig::new(widths[3 - i]).init(device))
            .collect();
        Self {
            down,
            down_norms,
            mu: linear(flat, config.latent_dim),
            logvar: linear(flat, config.latent_dim),
            expand: linear(
                config.latent_dim,
                8 * w * (g.padded[0] / 8) * (g.padded[1] / 8),
            ),
            up,
            up_norms,
            out: ConvTranspose2dConfig::new([w, g.channels], [1, 1]).init(device),
        }
    }

    /// `(mu, logvar)` of a padded batch.
    fn encode(&self, x: Tensor<B, 4>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let mut h = x;
        for (conv, norm) in self.down.iter().zip(&self.down_norms) {
            h = relu(norm.forward(crate::cpu_ops::conv2d(conv, h)));
        }
        let h = h.flatten::<2>(1, 3);
        (self.mu.forward(h.clone()), self.logvar.forward(h))
    }

    fn decode(&self, z: Tensor<B, 2>, g: Geometry, width: usize) -> Tensor<B, 4> {
        let n = z.dims()[0];
        let mut h =
            self.expand
                .forward(z)
                .reshape([n, 8 * width, g.padded[0] / 8, g.padded[1] / 8]);
        for (conv, norm) in self.up.iter().zip(&self.up_norms) {
            h = relu(norm.forward(conv.forward(h)));
        }
        self.out.forward(h)
    }
}

impl<B: Backend> Discriminator<B> {
    fn new(latent: usize, device: &B::Device) -> Self {
        let linear = |i, o| {
            LinearConfig::new(i, o)
                .with_initializer(kaiming())
                .init(device)
        };
        Self {
            layers: vec![linear(latent, 512), linear(512, 512), linear(512, 1)],
        }
    }

    fn logits(&self, z: Tensor<B, 2>) -> Tensor<B, 1> {
        let last = self.layers.len() - 1;
        let mut h = z;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = relu(h);
            }
        }
        h.flatten::<1>(0, 1)
    }
}

/// Mean binary cross-entropy of `sigmoid(logits)` against a constant target (0 or 1),
/// in the stable form `softplus(−l)` for 1 and `softplus(l)` for 0.
fn bce_to<B: Backend>(logits: Tensor<B, 1>, target_is_labeled: bool) -> Tensor<B, 1> {
    let sign = if target_is_labeled { -1.0 } else { 1.0 };
    softplus(logits.mul_scalar(sign), 1.0).mean()
}

/// The reference's `vae_loss`: MSE (mean over every value) + β · KL summed over the batch.
fn vae_loss<B: Backend>(
    x: Tensor<B, 4>,
    recon: Tensor<B, 4>,
    mu: Tensor<B, 2>,
    logvar: Tensor<B, 2>,
    beta: f64,
) -> Tensor<B, 1> {
    let mse = (recon - x).powi_scalar(2).mean();
    let kl = (logvar.clone().add_scalar(1.0) - mu.powi_scalar(2) - logvar.exp())
        .sum()
        .mul_scalar(-0.5 * beta);
    mse + kl
}

/// Endless shuffled batches over a set of indices (a new order each pass, the last batch
/// of a pass shorter), like the reference's `read_data` over a shuffling loader.
struct Batches {
    members: Vec<usize>,
    next: usize,
    size: usize,
}

impl Batches {
    fn next(&mut self, rng: &mut ChaCha8Rng) -> Vec<usize> {
        if self.next >= self.members.len() {
            self.members.shuffle(rng);
            self.next = 0;
        }
        let end = (self.next + self.size).min(self.members.len());
        let batch = self.members[self.next..end].to_vec();
        self.next = end;
        batch
    }
}

/// Images `indices` of `pool`, zero-padded to the VAE's size.
fn padded_batch<B: Backend>(
    pool: &LabeledSet,
    indices: &[usize],
    g: Geometry,
    device: &B::Device,
) -> Tensor<B, 4> {
    let (mut buffer, mut labels) = (Vec::new(), Vec::new());
    pool.gather(indices, &mut buffer, &mut labels);
    let shape = pool.shape;
    let x = batch_tensor::<B>(buffer, indices.len(), shape, device);
    if g.padded == [shape.height, shape.width] {
        return x;
    }
    let [top, left] = g.offset;
    let bottom = g.padded[0] - shape.height - top;
    let right = g.padded[1] - shape.width - left;
    x.pad((left, right, top, bottom), 0.0)
}

/// Gaussian noise for the reparameterisation, from sieve's own stream (Box–Muller), so
/// the draw does not touch the backend's process-wide generator.
fn normal<B: Backend>(dims: [usize; 2], rng: &mut ChaCha8Rng, device: &B::Device) -> Tensor<B, 2> {
    let values = (0..dims[0] * dims[1])
        .map(|_| {
            let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
            let v: f64 = rng.random::<f64>();
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect::<Vec<_>>();
    Tensor::from_data(TensorData::new(values, dims), device)
}

impl VaalConfig {
    /// Checks every setting before any training.
    pub fn validate(&self) -> Result<(), CoreError> {
        let positive = [
            ("latent_dim", self.latent_dim),
            ("width", self.width),
            ("epochs", self.epochs),
            ("batch_size", self.batch_size),
            ("vae_steps", self.vae_steps),
            ("adversary_steps", self.adversary_steps),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(CoreError::invalid(
                    "vaal",
                    format!("`{name}` must be at least 1"),
                ));
            }
        }
        let finite = [
            ("beta", self.beta),
            ("adversary_weight", self.adversary_weight),
        ];
        for (name, value) in finite {
            if !(value.is_finite() && value >= 0.0) {
                return Err(CoreError::invalid(
                    "vaal",
                    format!("`{name}` must be a finite number >= 0, got {value}"),
                ));
            }
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(CoreError::invalid(
                "vaal",
                format!("`lr` must be a finite number > 0, got {}", self.lr),
            ));
        }
        Ok(())
    }
}

/// Trains a VAE and a discriminator on `labeled` and `unlabeled` images of `pool` and
/// returns, for each of `unlabeled` in order, the discriminator's probability that it is
/// labeled (VAAL queries the lowest).
pub fn vaal_scores<B: AutodiffBackend>(
    pool: &LabeledSet,
    labeled: &[usize],
    unlabeled: &[usize],
    config: &VaalConfig,
    seed: u64,
    inference_batch: usize,
    device: &B::Device,
) -> Result<Vec<f32>, CoreError> {
    config.validate()?;
    if labeled.is_empty() || unlabeled.is_empty() {
        return Err(CoreError::invalid(
            "vaal",
            "needs at least one labeled and one unlabeled example",
        ));
    }
    let g = Geometry::of(pool.shape);
    B::seed(device, derive_seed(seed, &["vaal", "init"]));
    let mut vae = Vae::<B>::new(config, g, device);
    let mut discriminator = Discriminator::<B>::new(config.latent_dim, device);
    let adam = || AdamConfig::new().with_epsilon(1e-8);
    let mut vae_optim = adam().init::<B, Vae<B>>();
    let mut discriminator_optim = adam().init::<B, Discriminator<B>>();
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, &["vaal", "training"]));
    let mut labeled_batches = Batches {
        members: labeled.to_vec(),
        next: usize::MAX,
        size: config.batch_size,
    };
    let mut unlabeled_batches = Batches {
        members: unlabeled.to_vec(),
        next: usize::MAX,
        size: config.batch_size,
    };
    let iterations = (pool.len() * config.epochs / config.batch_size).max(1);
    let mut draw = |rng: &mut ChaCha8Rng| {
        let l = labeled_batches.next(rng);
        let u = unlabeled_batches.next(rng);
        (
            padded_batch::<B>(pool, &l, g, device),
            padded_batch::<B>(pool, &u, g, device),
        )
    };
    for _ in 0..iterations {
        let (mut x_l, mut x_u) = draw(&mut rng);
        for step in 0..config.vae_steps {
            if step > 0 {
                (x_l, x_u) = draw(&mut rng);
            }
            let side = |x: &Tensor<B, 4>, rng: &mut ChaCha8Rng| {
                let (mu, logvar) = vae.encode(x.clone());
                let eps = normal::<B>(mu.dims(), rng, device);
                let z = mu.clone() + logvar.clone().mul_scalar(0.5).exp() * eps;
                let recon = vae.decode(z, g, config.width);
                let loss = vae_loss(x.clone(), recon, mu.clone(), logvar, config.beta);
                (loss, mu)
            };
            let (loss_l, mu_l) = side(&x_l, &mut rng);
            let (loss_u, mu_u) = side(&x_u, &mut rng);
            let fool =
                bce_to(discriminator.logits(mu_l), true) + bce_to(discriminator.logits(mu_u), true);
            let total = loss_l + loss_u + fool.mul_scalar(config.adversary_weight);
            let grads = GradientsParams::from_grads(total.backward(), &vae);
            vae = vae_optim.step(config.lr, vae, grads);
        }
        for step in 0..config.adversary_steps {
            if step > 0 {
                (x_l, x_u) = draw(&mut rng);
            }
            let mu_l = vae.encode(x_l.clone()).0.detach();
            let mu_u = vae.encode(x_u.clone()).0.detach();
            let loss = bce_to(discriminator.logits(mu_l), true)
                + bce_to(discriminator.logits(mu_u), false);
            let grads = GradientsParams::from_grads(loss.backward(), &discriminator);
            discriminator = discriminator_optim.step(config.lr, discriminator, grads);
        }
    }
    let (vae, discriminator) = (vae.valid(), discriminator.valid());
    let mut scores = Vec::with_capacity(unlabeled.len());
    for chunk in unlabeled.chunks(inference_batch.max(1)) {
        let x = padded_batch::<B::InnerBackend>(pool, chunk, g, device);
        let (mu, _) = vae.encode(x);
        scores.extend(read_f32(sigmoid(discriminator.logits(mu)))?);
    }
    Ok(scores)
}
