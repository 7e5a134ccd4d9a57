//! `dc` — dataset condensation with gradient matching (Zhao, Mopuri & Bilen, ICLR 2021)
//! and `dsa`, the same with differentiable Siamese augmentation (Zhao & Bilen, ICML 2021).
//!
//! Each outer iteration draws a fresh network; then `outer_loop` times: per class, the
//! gradient of the cross-entropy on a real batch (first order, detached) and on the
//! class's synthetic images (written out as tensor operations, so it stays
//! differentiable in the images) are compared layer by layer with the reference's
//! distance — per output unit `1 − cos`, summed; biases and norm parameters count 0 —
//! the summed distance takes one SGD step on the images, and the network trains
//! `inner_loop` epochs on the synthetic set. Defaults are the reference's `main.py`.

use std::time::Instant;

use burn::module::{AutodiffModule, Module};
use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::dsa::apply_dsa;
use sieve_bench_core::model::{ConvNet, ConvNetGradients};
use sieve_bench_core::train::read_f32;
use sieve_bench_core::{derive_seed, Network, StrategyError};
use sieve_datasets::{DsaStrategy, ExampleShape};

use super::dm::{parse_dsa, sgd_step};
use super::model_augmentation::ModelAugmentation;
use super::{CondenseRequest, SyntheticInit, SyntheticSet};
use crate::params::{at_least, at_most, in_range, invalid, ValidateParams};

/// Gradient matching's parameters (the reference's defaults for `dc`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcParams {
    /// Outer iterations, each with a fresh network (1,000 in the paper).
    pub iterations: usize,
    /// SGD learning rate on the images.
    pub lr_img: f64,
    /// SGD momentum on the images.
    pub momentum: f64,
    /// SGD learning rate of the network's inner training.
    pub lr_net: f64,
    /// Real images per class per matching step.
    pub batch_real: usize,
    /// Batch of the network's inner training on the synthetic set.
    pub batch_train: usize,
    /// Matching steps per network; `0` takes the reference's value for the ipc (1 → 1,
    /// 10 → 10, 20 → 20, 30 → 30, 40 → 40, 50 → 50).
    pub outer_loop: usize,
    /// Inner training epochs between matching steps; `0` takes the reference's (1 → 1,
    /// 10 → 50, 20 → 25, 30 → 20, 40 → 15, 50 → 10).
    pub inner_loop: usize,
    /// `noise` (the reference's default) or `real`.
    pub init: SyntheticInit,
    /// Siamese augmentation families, or `none` (plain DC).
    pub dsa: String,
    /// `dcc`: contrastive (class-collective) matching after the warm-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contrast: Option<Contrast>,
    /// `dc_ma`: start each outer iteration from a perturbed early-stage model instead of
    /// a fresh initialisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_augmentation: Option<ModelAugmentation>,
}

/// DCC's schedule (Lee et al., ICML 2022; Saehyung-Lee/DCC `main.py`): a matching step
/// is contrastive once `outer_warmup <= iteration` or `inner_warmup <= step` (the
/// step's index within the iteration's `outer_loop`); before that it is DC's per-class
/// matching. Contrastive: the real gradient is the mean over classes of each class's
/// real-batch gradient, the synthetic gradient is taken once on the whole synthetic set
/// (every class, mean cross-entropy), and the two are matched once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Contrast {
    /// Outer iterations of per-class matching before every step is contrastive.
    pub outer_warmup: usize,
    /// Within an earlier iteration, the matching steps before contrastive ones.
    pub inner_warmup: usize,
}

impl Default for Contrast {
    fn default() -> Self {
        Self {
            outer_warmup: 250,
            inner_warmup: 10,
        }
    }
}

impl DcParams {
    /// `dc`: no augmentation, noise init.
    pub fn dc() -> Self {
        Self {
            iterations: 1000,
            lr_img: 0.1,
            momentum: 0.5,
            lr_net: 0.01,
            batch_real: 256,
            batch_train: 256,
            outer_loop: 0,
            inner_loop: 0,
            init: SyntheticInit::Noise,
            dsa: "none".into(),
            contrast: None,
            model_augmentation: None,
        }
    }

    /// `dcc`: DC with contrastive signals, real init (the DCC repository's).
    pub fn dcc() -> Self {
        Self {
            init: SyntheticInit::Real,
            contrast: Some(Contrast::default()),
            ..Self::dc()
        }
    }

    /// `dc_ma`: DC with model augmentation at the reference's defaults.
    pub fn dc_ma() -> Self {
        Self {
            model_augmentation: Some(ModelAugmentation::default()),
            ..Self::dc()
        }
    }

    /// `dsa`: DC with the full strategy, real init (the repository's DSA command line).
    pub fn dsa() -> Self {
        Self {
            init: SyntheticInit::Real,
            dsa: DsaStrategy::DEFAULT.into(),
            ..Self::dc()
        }
    }

    /// (outer, inner) loops for `ipc`: the DC repository's table, or the DCC
    /// repository's with contrast (which differs at ipc 1: 10 steps, 5 epochs).
    pub fn loops(&self, ipc: usize) -> Result<(usize, usize), String> {
        let table = match ipc {
            1 if self.contrast.is_some() => Some((10, 5)),
            1 => Some((1, 1)),
            10 => Some((10, 50)),
            20 => Some((20, 25)),
            30 => Some((30, 20)),
            40 => Some((40, 15)),
            50 => Some((50, 10)),
            _ => None,
        };
        match (self.outer_loop, self.inner_loop, table) {
            (0, _, None) | (_, 0, None) => Err(format!(
                "the reference defines outer/inner loops for ipc 1, 10, 20, 30, 40, 50 only; give outer_loop and inner_loop for ipc {ipc}"
            )),
            (o, i, t) => {
                let (to, ti) = t.unwrap_or((o, i));
                Ok((if o == 0 { to } else { o }, if i == 0 { ti } else { i }))
            }
        }
    }
}

impl ValidateParams for DcParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "iterations", self.iterations, 1)?;
        at_most(
            strategy,
            "iterations",
            self.iterations,
            super::MAX_ITERATIONS,
        )?;
        at_least(strategy, "batch_real", self.batch_real, 1)?;
        at_most(strategy, "batch_real", self.batch_real, 1 << 20)?;
        at_least(strategy, "batch_train", self.batch_train, 1)?;
        at_most(strategy, "outer_loop", self.outer_loop, 100_000)?;
        at_most(strategy, "inner_loop", self.inner_loop, 100_000)?;
        in_range(strategy, "lr_img", self.lr_img, (0.0, true), 1e6)?;
        in_range(strategy, "lr_net", self.lr_net, (0.0, false), 1e3)?;
        in_range(strategy, "momentum", self.momentum, (0.0, false), 0.999)?;
        parse_dsa(&self.dsa).map_err(|m| invalid(strategy, "dsa", m))?;
        if let Some(contrast) = &self.contrast {
            // The reference asserts this (`outer_warmup <= outer_loop`).
            if contrast.outer_warmup > self.iterations {
                return Err(invalid(
                    strategy,
                    "contrast.outer_warmup",
                    format!(
                        "must be at most iterations ({}), got {}",
                        self.iterations, contrast.outer_warmup
                    ),
                ));
            }
        }
        if let Some(ma) = &self.model_augmentation {
            ma.validate(strategy)?;
        }
        Ok(())
    }
}

impl DcParams {
    /// The checks that need the ipc: its loops exist, and DCC's inner warm-up fits in
    /// them (the reference asserts `inner_warmup <= inner_loop`).
    pub fn check_ipc(&self, ipc: usize) -> Result<(), String> {
        let (outer_loop, _) = self.loops(ipc)?;
        if let Some(contrast) = &self.contrast {
            if contrast.inner_warmup > outer_loop {
                return Err(format!(
                    "contrast.inner_warmup ({}) must be at most the {outer_loop} matching steps per iteration at ipc {ipc}",
                    contrast.inner_warmup
                ));
            }
        }
        Ok(())
    }
}

/// The reference's layer distance summed over layers: per output unit `1 − cos` of the
/// two gradients (conv weights as `[out, in·k·k]`, the head as `[out, in]`), biases and
/// norm parameters contributing 0 (`distance_wb` returns 0 for 1-d tensors).
pub fn match_distance<B: burn::tensor::backend::Backend>(
    syn: &ConvNetGradients<B>,
    real: &ConvNetGradients<B>,
) -> Tensor<B, 1> {
    fn rows<B: burn::tensor::backend::Backend>(a: Tensor<B, 2>, b: Tensor<B, 2>) -> Tensor<B, 1> {
        let dot = (a.clone() * b.clone()).sum_dim(1);
        // sqrt(max(s, 1e-24)): a zero row has norm ~0 and a zero (not NaN) derivative,
        // as torch.norm's backward gives.
        let norm = |t: Tensor<B, 2>| t.square().sum_dim(1).clamp_min(1e-24).sqrt();
        let norms = norm(a) * norm(b);
        let cos = dot / norms.add_scalar(1e-6);
        cos.neg().add_scalar(1.0).sum().reshape([1])
    }
    let mut total: Option<Tensor<B, 1>> = None;
    let mut add = |d: Tensor<B, 1>| {
        total = Some(match total.take() {
            Some(t) => t + d,
            None => d,
        });
    };
    for (s, r) in syn.conv_weight.iter().zip(&real.conv_weight) {
        let [o, i, kh, kw] = s.dims();
        add(rows(
            s.clone().reshape([o, i * kh * kw]),
            r.clone().reshape([o, i * kh * kw]),
        ));
    }
    add(rows(
        syn.head_weight.clone().transpose(),
        real.head_weight.clone().transpose(),
    ));
    total.unwrap_or_else(|| Tensor::zeros([1], &syn.head_weight.device()))
}

/// Runs DC (or DSA). `on_iteration(done, loss)` after every outer iteration.
pub fn condense_dc<B: AutodiffBackend>(
    name: &str,
    params: &DcParams,
    request: &CondenseRequest<'_, B>,
    rng: &mut ChaCha8Rng,
    on_iteration: &mut dyn FnMut(usize, f64),
) -> Result<SyntheticSet, StrategyError> {
    let failed = |message: String| StrategyError::Request {
        strategy: name.to_string(),
        message,
    };
    let started = Instant::now();
    let data = request.data;
    let shape = data.shape;
    let (classes, ipc) = (request.classes, request.ipc);
    let dsa = params.strategy().map_err(&failed)?;
    let (outer_loop, inner_loop) = params.loops(ipc).map_err(&failed)?;
    let by_class = super::class_rows(data, classes, ipc)?;
    let mut synthetic = super::initial_images(data, &by_class, ipc, params.init, rng);
    let labels = super::synthetic_labels(classes, ipc);
    let device = request.device;
    let dims = [classes * ipc, shape.channels, shape.height, shape.width];
    let mut velocity = vec![0.0f32; synthetic.len()];
    let mut real_batches = super::RealBatches::new(data, params.batch_real, dsa.as_ref());
    let net_seed = rng.next_u64();
    let one_hot = |class: usize, count: usize| -> Tensor<B, 2> {
        let mut v = vec![0.0f32; count * classes];
        for row in 0..count {
            v[row * classes + class] = 1.0;
        }
        Tensor::from_data(TensorData::new(v, [count, classes]), device)
    };
    let pool = match &params.model_augmentation {
        Some(ma) => ma.train_pool::<B>(request.spec, data, classes, dsa.as_ref(), rng, device)?,
        None => Vec::new(),
    };
    for iteration in 0..params.iterations {
        let network = match &params.model_augmentation {
            Some(ma) => Network::<B>::from_inner(
                ma.draw(&pool, rng)
                    .ok_or_else(|| failed("the early-stage pool is empty".into()))?,
            )
            .trainable(),
            None => {
                B::seed(
                    device,
                    derive_seed(net_seed, &["dc-net", &iteration.to_string()]),
                );
                Network::<B>::init(request.spec, shape, classes, device)?
            }
        };
        let mut net: ConvNet<B> = match network {
            Network::Convnet(net) => net,
            _ => {
                return Err(failed(format!(
                    "gradient matching needs the `convnet` model (its gradients are written out by hand), got `{}`",
                    request.spec.name
                )))
            }
        };
        let mut optimizer = SgdConfig::new().init::<B, ConvNet<B>>();
        let mut loss_sum = 0.0;
        for outer in 0..outer_loop {
            let frozen = net.clone().no_grad();
            let images =
                Tensor::<B, 4>::from_data(TensorData::new(synthetic.clone(), dims), device)
                    .require_grad();
            let contrastive = params
                .contrast
                .as_ref()
                .is_some_and(|c| c.outer_warmup <= iteration || c.inner_warmup <= outer);
            let mut loss: Option<Tensor<B, 1>> = None;
            let mut real_mean: Option<ConvNetGradients<B::InnerBackend>> = None;
            let mut syn_parts = Vec::new();
            for (c, rows) in by_class.iter().enumerate() {
                let (real, transform) = real_batches.draw::<B::InnerBackend>(rows, rng, device);
                let count = real.dims()[0];
                let real_grads = frozen
                    .valid()
                    .explicit_gradients(real, one_hot(c, count).inner());
                let mut syn = images.clone().narrow(0, c * ipc, ipc);
                if let Some(t) = &transform {
                    syn = apply_dsa(syn, t, shape);
                }
                if contrastive {
                    let scaled = real_grads.scale(1.0 / classes as f64);
                    real_mean = Some(match real_mean.take() {
                        Some(sum) => sum.plus(scaled),
                        None => scaled,
                    });
                    syn_parts.push(syn);
                    continue;
                }
                let syn_grads = frozen.explicit_gradients(syn, one_hot(c, ipc));
                let d = match_distance(&syn_grads, &lift::<B>(real_grads));
                loss = Some(match loss.take() {
                    Some(l) => l + d,
                    None => d,
                });
            }
            if let Some(real_mean) = real_mean {
                let targets = Tensor::cat((0..classes).map(|c| one_hot(c, ipc)).collect(), 0);
                let syn_grads = frozen.explicit_gradients(Tensor::cat(syn_parts, 0), targets);
                loss = Some(match_distance(&syn_grads, &lift::<B>(real_mean)));
            }
            let loss = loss.ok_or_else(|| failed("no class to match".into()))?;
            let value = read_f32(loss.clone().inner())?
                .first()
                .copied()
                .unwrap_or(f32::NAN) as f64;
            if !value.is_finite() {
                return Err(failed(format!(
                    "the matching loss is {value} at iteration {iteration}; lower lr_img"
                )));
            }
            loss_sum += value;
            let grads = loss.backward();
            let grad = images
                .grad(&grads)
                .ok_or_else(|| failed("no gradient reached the images".into()))?;
            sgd_step(
                &mut synthetic,
                &mut velocity,
                &read_f32(grad)?,
                params.lr_img,
                params.momentum,
            );
            if outer + 1 == outer_loop {
                break;
            }
            // Train the network on the synthetic set (DSA per image when augmenting).
            for _ in 0..inner_loop {
                let mut order: Vec<usize> = (0..labels.len()).collect();
                order.shuffle(rng);
                for chunk in order.chunks(params.batch_train) {
                    let mut batch = Vec::with_capacity(chunk.len() * shape.len());
                    let mut targets = vec![0.0f32; chunk.len() * classes];
                    for (row, &i) in chunk.iter().enumerate() {
                        batch.extend_from_slice(&synthetic[i * shape.len()..(i + 1) * shape.len()]);
                        targets[row * classes + labels[i] as usize] = 1.0;
                    }
                    if let Some(s) = &dsa {
                        s.apply_batch(&mut batch, shape, rng);
                    }
                    let x = batch_of::<B>(batch, chunk.len(), shape, device);
                    let t = Tensor::<B, 2>::from_data(
                        TensorData::new(targets, [chunk.len(), classes]),
                        device,
                    );
                    let logits = net.head(net.embed(x));
                    let ce = (log_softmax(logits, 1) * t).sum_dim(1).mean().neg();
                    let g = GradientsParams::from_grads(ce.backward(), &net);
                    net = optimizer.step(params.lr_net, net, g);
                }
            }
        }
        on_iteration(iteration + 1, loss_sum / (classes * outer_loop) as f64);
    }
    Ok(SyntheticSet {
        images: synthetic,
        labels,
        shape,
        iterations: params.iterations,
        seconds: started.elapsed().as_secs_f64(),
    })
}

impl DcParams {
    /// The augmentation, `None` for `none`.
    pub fn strategy(&self) -> Result<Option<DsaStrategy>, String> {
        parse_dsa(&self.dsa)
    }
}

fn batch_of<B: AutodiffBackend>(
    values: Vec<f32>,
    n: usize,
    shape: ExampleShape,
    device: &B::Device,
) -> Tensor<B, 4> {
    Tensor::from_data(
        TensorData::new(values, [n, shape.channels, shape.height, shape.width]),
        device,
    )
}

/// Real-batch gradients (computed without a graph) as constants of the autodiff backend.
fn lift<B: AutodiffBackend>(g: ConvNetGradients<B::InnerBackend>) -> ConvNetGradients<B> {
    ConvNetGradients {
        conv_weight: g.conv_weight.into_iter().map(Tensor::from_inner).collect(),
        conv_bias: g.conv_bias.into_iter().map(Tensor::from_inner).collect(),
        norm_gamma: g.norm_gamma.into_iter().map(Tensor::from_inner).collect(),
        norm_beta: g.norm_beta.into_iter().map(Tensor::from_inner).collect(),
        head_weight: Tensor::from_inner(g.head_weight),
        head_bias: Tensor::from_inner(g.head_bias),
    }
}
