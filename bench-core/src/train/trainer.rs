//! The mini-batch trainer. Seeded: the backend RNG (weights, dropout masks) is seeded from
//! the trial's streams, and data order and augmentation draw from a ChaCha stream, so the
//! same request gives the same model on the CPU backend.

use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, GradientsParams, Optimizer, SgdConfig};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_datasets::LabeledSet;

use burn::tensor::activation::softmax;
use burn::tensor::TensorData;

use super::evaluate::argmax;
use super::observer::{BatchOutputs, NoObserver, TrainObserver};
use super::swa::SwaAverage;
use super::{
    batch_tensor, per_example_cross_entropy, read_f32, smoothed_targets, soft_cross_entropy,
    weighted_cross_entropy,
};
use crate::learning_loss::ranking_loss;
use crate::training_mode::{fixmatch_views, TrainingMode};
use crate::{
    derive_seed, CoreError, LearningLossConfig, LossPredictor, ModelSpec, Network, OptimizerKind,
    Regularization,
};

/// Everything one training run needs.
pub struct TrainRequest<'a, B: AutodiffBackend> {
    pub spec: &'a ModelSpec,
    pub regularization: &'a Regularization,
    pub data: &'a LabeledSet,
    /// Rows of `data` to train on (their labels must be below `classes`).
    pub indices: &'a [usize],
    /// Classes the model predicts (`data.num_classes` unless a scenario holds some out).
    pub classes: usize,
    /// Seed for the backend RNG before the weights are drawn.
    pub init_seed: u64,
    /// Seed for data order, augmentation and dropout masks.
    pub train_seed: u64,
    /// Continue from these weights instead of a fresh initialisation (warm start).
    pub warm_start: Option<Network<B::InnerBackend>>,
    /// Per-row weights of `data` (weighted coresets): each batch's loss is
    /// `sum(w·CE)/sum(w)`. `None`: the plain mean.
    pub example_weights: Option<&'a [f32]>,
    /// Rows of `data` without labels, for a regularization whose `training` reads the
    /// unlabeled pool (`pseudo_label`); empty otherwise.
    pub unlabeled: &'a [usize],
    /// Train LL4AL's loss-prediction module jointly with the network (the
    /// `learning_loss` strategy); `None` for plain training.
    pub learning_loss: Option<&'a LearningLossConfig>,
    pub device: &'a B::Device,
}

/// A trained model (on the inner backend, ready for inference) and how training went.
pub struct TrainOutcome<B: Backend> {
    pub model: Network<B>,
    pub final_loss: f64,
    pub seconds: f64,
    /// Optimizer steps taken (what `epochs` and `min_steps` resolved to).
    pub steps: usize,
    /// Epochs run.
    pub epochs: usize,
    /// The loss-prediction module trained with the network, when the request asked for
    /// one ([`TrainRequest::learning_loss`]).
    pub loss_predictor: Option<LossPredictor<B>>,
}

/// Online selection within one batch: the observer sees the batch's losses and
/// probabilities under the current weights (evaluation mode) and returns the positions
/// to train on, checked here.
#[allow(clippy::too_many_arguments)]
fn select_in_batch<B: AutodiffBackend>(
    model: &Network<B>,
    observer: &mut dyn TrainObserver,
    request: &TrainRequest<'_, B>,
    (epoch, step): (usize, usize),
    rows: &[usize],
    buffer: &[f32],
    labels: &[u32],
    keep: usize,
) -> Result<Vec<usize>, CoreError> {
    let device = request.device;
    let (losses, probabilities) = if observer.select_reads_outputs() {
        let x = batch_tensor::<B::InnerBackend>(
            buffer.to_vec(),
            rows.len(),
            request.data.shape,
            device,
        );
        let logits = model.valid().forward(x, 0.0, false);
        let targets = smoothed_targets::<B::InnerBackend>(labels, request.classes, 0.0, device);
        (
            read_f32(per_example_cross_entropy(logits.clone(), targets))?,
            read_f32(softmax(logits, 1))?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let picks = observer.select(&BatchOutputs {
        epoch,
        step,
        rows,
        labels,
        losses: &losses,
        probabilities: &probabilities,
        classes: request.classes,
    });
    let mut seen = vec![false; rows.len()];
    let want = keep.min(rows.len());
    if picks.is_empty() || picks.len() > want {
        return Err(CoreError::invalid(
            "selection",
            format!(
                "picked {} of a batch of {}, expected 1..={want}",
                picks.len(),
                rows.len()
            ),
        ));
    }
    for &p in &picks {
        if p >= rows.len() || std::mem::replace(&mut seen[p], true) {
            return Err(CoreError::invalid(
                "selection",
                format!(
                    "position {p} is out of the batch of {} or picked twice",
                    rows.len()
                ),
            ));
        }
    }
    Ok(picks)
}

/// Trains a model; `on_epoch(epoch, loss)` is called after every epoch.
pub fn train_model<B: AutodiffBackend>(
    request: TrainRequest<'_, B>,
    on_epoch: &mut dyn FnMut(usize, f64),
) -> Result<TrainOutcome<B::InnerBackend>, CoreError> {
    train_model_observed(request, on_epoch, &mut NoObserver)
}

/// Trains a model, showing `observer` every step's per-example losses and predictions.
pub fn train_model_observed<B: AutodiffBackend>(
    request: TrainRequest<'_, B>,
    on_epoch: &mut dyn FnMut(usize, f64),
    observer: &mut dyn TrainObserver,
) -> Result<TrainOutcome<B::InnerBackend>, CoreError> {
    train_model_with(request, on_epoch, observer, &mut |_, _, _| Ok(()))
}

/// The model at a point of training: `(steps done, epoch, weights)`.
pub type OnModel<'a, B> = dyn FnMut(usize, usize, &Network<<B as AutodiffBackend>::InnerBackend>) -> Result<(), CoreError>
    + 'a;

/// Trains a model with every hook: the observer sees each step (and may select the
/// examples of each batch to train on), and `on_model` gets the weights after the steps
/// the observer asks for (curves over optimizer steps).
pub fn train_model_with<B: AutodiffBackend>(
    request: TrainRequest<'_, B>,
    on_epoch: &mut dyn FnMut(usize, f64),
    observer: &mut dyn TrainObserver,
    on_model: &mut OnModel<'_, B>,
) -> Result<TrainOutcome<B::InnerBackend>, CoreError> {
    let reg = request.regularization;
    if let Some(weights) = request.example_weights {
        if weights.len() != request.data.len() {
            return Err(CoreError::invalid(
                "example_weights",
                format!(
                    "{} weights for {} examples",
                    weights.len(),
                    request.data.len()
                ),
            ));
        }
        if let Some(&i) = request
            .indices
            .iter()
            .find(|&&i| !(weights[i].is_finite() && weights[i] >= 0.0))
        {
            return Err(CoreError::invalid(
                "example_weights",
                format!(
                    "weight {} of row {i} is not a finite value >= 0",
                    weights[i]
                ),
            ));
        }
    }
    reg.validate("regularization", Some(request.data.shape))?;
    if let Some(config) = request.learning_loss {
        config.validate("learning_loss")?;
    }
    if request.spec.has_own_dropout() && reg.dropout > 0.0 {
        return Err(CoreError::invalid(
            "regularization.dropout",
            format!(
                "model `{}` carries its own dropout rates (gal_cnn's `dropout` field; a VGG's 0.5 in its head); set the regularization's dropout to 0",
                request.spec.name
            ),
        ));
    }
    if request.indices.is_empty() {
        return Err(CoreError::invalid(
            "indices",
            "cannot train on an empty labeled set",
        ));
    }
    let model = match request.warm_start.clone() {
        // burn rebuilds parameters from inner tensors without "requires grad": turn it
        // back on, or the optimizer would receive no gradient and change nothing.
        Some(inner) => Network::<B>::from_inner(inner).trainable(),
        None => {
            B::seed(request.device, request.init_seed);
            Network::<B>::init(
                request.spec,
                request.data.shape,
                request.classes,
                request.device,
            )?
        }
    };
    let wd = reg.weight_decay as f32;
    let decay = (wd > 0.0).then(|| WeightDecayConfig::new(wd));
    match reg.optimizer {
        OptimizerKind::Sgd => {
            let momentum = (reg.momentum > 0.0).then(|| {
                MomentumConfig::new()
                    .with_momentum(reg.momentum)
                    .with_dampening(0.0)
                    .with_nesterov(false)
            });
            let config = SgdConfig::new()
                .with_momentum(momentum)
                .with_weight_decay(decay);
            let optims = (config.init(), config.init());
            run_epochs(model, optims, &request, on_epoch, observer, on_model)
        }
        OptimizerKind::Adam => {
            // `momentum` is Adam's beta1 (0.9 in every preset, as in PyTorch).
            let config = AdamConfig::new()
                .with_beta_1(reg.momentum as f32)
                .with_epsilon(1e-8)
                .with_weight_decay(decay);
            let optims = (config.init(), config.init());
            run_epochs(model, optims, &request, on_epoch, observer, on_model)
        }
        OptimizerKind::Adamw => {
            let config = AdamWConfig::new()
                .with_beta_1(reg.momentum as f32)
                .with_epsilon(1e-8)
                .with_weight_decay(wd);
            let optims = (config.init(), config.init());
            run_epochs(model, optims, &request, on_epoch, observer, on_model)
        }
    }
}

/// LL4AL's module in training, with its own optimizer (the network's settings).
struct JointLossModule<'a, B: AutodiffBackend, P> {
    config: &'a LearningLossConfig,
    predictor: Option<LossPredictor<B>>,
    optim: P,
    /// From this epoch on the stage features reach the module detached.
    detach_epoch: usize,
}

impl<'a, B: AutodiffBackend, P: Optimizer<LossPredictor<B>, B>> JointLossModule<'a, B, P> {
    /// A fresh module sized from one probe example's stages, its weights drawn from a
    /// stream derived from the model-init seed (the backend RNG is reseeded for training
    /// right after).
    fn new(
        config: &'a LearningLossConfig,
        optim: P,
        model: &Network<B>,
        request: &TrainRequest<'_, B>,
        epochs: usize,
    ) -> Self {
        let data = request.data;
        let (mut buffer, mut labels) = (Vec::new(), Vec::new());
        data.gather(&request.indices[..1], &mut buffer, &mut labels);
        let probe = batch_tensor::<B::InnerBackend>(buffer, 1, data.shape, request.device);
        let (_, stages) = model.valid().forward_with_stages(probe, 0.0, false);
        let widths: Vec<usize> = stages.iter().map(|s| s.dims()[1]).collect();
        B::seed(
            request.device,
            derive_seed(request.init_seed, &["learning_loss"]),
        );
        Self {
            config,
            predictor: Some(config.init(&widths, request.device)),
            optim,
            detach_epoch: config.detach_epoch(epochs),
        }
    }

    /// `weight ×` the ranking loss of the module's predictions against `target` (the
    /// batch's per-example losses).
    fn term(
        &self,
        stages: Vec<Tensor<B, 2>>,
        target: Tensor<B, 1>,
        epoch: usize,
    ) -> Result<Tensor<B, 1>, CoreError> {
        let predictor = self.predictor.as_ref().ok_or_else(|| {
            CoreError::invalid("learning_loss", "the loss-prediction module was lost")
        })?;
        let stages = if epoch >= self.detach_epoch {
            stages.into_iter().map(Tensor::detach).collect()
        } else {
            stages
        };
        let predicted = predictor.forward(stages);
        Ok(ranking_loss(predicted, target, self.config.margin) * self.config.weight)
    }

    /// One optimizer step on the module's share of `grads`.
    fn step(&mut self, lr: f64, grads: &mut B::Gradients) {
        if let Some(predictor) = self.predictor.take() {
            let own = GradientsParams::from_module(grads, &predictor);
            self.predictor = Some(self.optim.step(lr, predictor, own));
        }
    }
}

fn run_epochs<
    B: AutodiffBackend,
    O: Optimizer<Network<B>, B>,
    P: Optimizer<LossPredictor<B>, B>,
>(
    mut model: Network<B>,
    (mut optim, predictor_optim): (O, P),
    request: &TrainRequest<'_, B>,
    on_epoch: &mut dyn FnMut(usize, f64),
    observer: &mut dyn TrainObserver,
    on_model: &mut OnModel<'_, B>,
) -> Result<TrainOutcome<B::InnerBackend>, CoreError> {
    let started = Instant::now();
    let observe = observer.wants_batches();
    let keep = observer.keep_per_batch();
    let reg = request.regularization;
    let data = request.data;
    let device = request.device;
    let mut order = request.indices.to_vec();
    let batch_size = reg.batch_size.min(order.len()).max(1);
    let steps_per_epoch = order.len().div_ceil(batch_size);
    let epochs = reg.effective_epochs(order.len());
    let mut joint = request
        .learning_loss
        .map(|config| JointLossModule::new(config, predictor_optim, &model, request, epochs));
    B::seed(device, request.train_seed);
    let mut rng = ChaCha8Rng::seed_from_u64(request.train_seed);
    let total_steps = steps_per_epoch * epochs;
    let swa_start = reg.swa_start_epoch(epochs);
    let mut swa = SwaAverage::<B::InnerBackend>::new();
    let (mut buffer, mut labels) = (Vec::new(), Vec::new());
    let mut step = 0usize;
    let mut final_loss = f64::NAN;
    let mut picked_rows = Vec::new();
    let mut combined_rows = Vec::new();
    let (mut replay_buffer, mut replay_labels) = (Vec::new(), Vec::new());
    let mut unlabeled = UnlabeledStream::new(request);
    for epoch in 0..epochs {
        order.shuffle(&mut rng);
        let mut loss_sum: Option<Tensor<B::InnerBackend, 1>> = None;
        let mut trained = 0usize;
        for big_chunk in order.chunks(batch_size) {
            data.gather(big_chunk, &mut buffer, &mut labels);
            if !reg.augment.is_identity() {
                reg.augment
                    .apply(&mut buffer, data.shape, &data.pad_value, &mut rng);
            }
            let chunk: &[usize] = match keep {
                Some(keep) => {
                    let picks = select_in_batch(
                        &model,
                        observer,
                        request,
                        (epoch, step),
                        big_chunk,
                        &buffer,
                        &labels,
                        keep,
                    )?;
                    let width = data.shape.len();
                    let (mut sub, mut sub_labels) = (Vec::new(), Vec::new());
                    picked_rows.clear();
                    for &p in &picks {
                        sub.extend_from_slice(&buffer[p * width..(p + 1) * width]);
                        sub_labels.push(labels[p]);
                        picked_rows.push(big_chunk[p]);
                    }
                    buffer = sub;
                    labels = sub_labels;
                    &picked_rows
                }
                None => big_chunk,
            };
            // Replay (continual learning): rows of the same data appended to the batch,
            // augmented like it; the loss is the mean over both.
            let replay = observer.replay_rows(chunk);
            let chunk: &[usize] = if replay.is_empty() {
                chunk
            } else {
                if let Some(&bad) = replay.iter().find(|&&r| r >= data.len()) {
                    return Err(CoreError::invalid(
                        "replay",
                        format!("row {bad} is outside the {} training examples", data.len()),
                    ));
                }
                data.gather(&replay, &mut replay_buffer, &mut replay_labels);
                if !reg.augment.is_identity() {
                    reg.augment
                        .apply(&mut replay_buffer, data.shape, &data.pad_value, &mut rng);
                }
                buffer.extend_from_slice(&replay_buffer);
                labels.extend_from_slice(&replay_labels);
                combined_rows.clear();
                combined_rows.extend_from_slice(chunk);
                combined_rows.extend_from_slice(&replay);
                &combined_rows
            };
            trained += chunk.len();
            let x = batch_tensor::<B>(buffer.clone(), chunk.len(), data.shape, device);
            let targets =
                smoothed_targets::<B>(&labels, request.classes, reg.label_smoothing, device);
            let (logits, stages) = match joint {
                Some(_) => model.forward_with_stages(x, reg.dropout, true),
                None => (model.forward(x, reg.dropout, true), Vec::new()),
            };
            // LL4AL's ranking target: each example's loss, without gradient.
            let target_losses = joint
                .is_some()
                .then(|| per_example_cross_entropy(logits.clone(), targets.clone()).detach());
            if observe {
                let inner = logits.clone().inner();
                let losses = read_f32(per_example_cross_entropy(
                    inner.clone(),
                    targets.clone().inner(),
                ))?;
                let probabilities = read_f32(softmax(inner, 1))?;
                observer.on_batch(&BatchOutputs {
                    epoch,
                    step,
                    rows: chunk,
                    labels: &labels,
                    losses: &losses,
                    probabilities: &probabilities,
                    classes: request.classes,
                });
            }
            let loss = match request.example_weights {
                None => soft_cross_entropy(logits, targets),
                Some(weights) => {
                    let w: Vec<f32> = chunk.iter().map(|&i| weights[i]).collect();
                    let w = Tensor::from_data(TensorData::new(w, [chunk.len()]), device);
                    weighted_cross_entropy(logits, targets, w)
                }
            };
            let loss = match unlabeled.as_mut() {
                Some(stream) => {
                    let extra = stream.loss(&model, request, chunk.len())?;
                    match extra {
                        Some(extra) => loss + extra,
                        None => loss,
                    }
                }
                None => loss,
            };
            let weighted = loss.clone().inner() * (chunk.len() as f64);
            loss_sum = Some(match loss_sum {
                Some(sum) => sum + weighted,
                None => weighted,
            });
            let lr = reg.lr_at(epoch, step, total_steps, steps_per_epoch);
            let grads = match (joint.as_mut(), target_losses) {
                (Some(joint), Some(target)) => {
                    let objective = loss + joint.term(stages, target, epoch)?;
                    let mut grads = objective.backward();
                    joint.step(lr, &mut grads);
                    GradientsParams::from_module(&mut grads, &model)
                }
                _ => GradientsParams::from_grads(loss.backward(), &model),
            };
            model = optim.step(lr, model, grads);
            step += 1;
            if observer.wants_model(step, step == total_steps) {
                on_model(step, epoch, &model.valid())?;
            }
        }
        let loss = match loss_sum {
            Some(sum) => {
                f64::from(read_f32(sum)?.first().copied().unwrap_or(f32::NAN))
                    / trained.max(1) as f64
            }
            None => f64::NAN,
        };
        if !loss.is_finite() {
            return Err(CoreError::Diverged { epoch, loss });
        }
        final_loss = loss;
        on_epoch(epoch, loss);
        observer.on_epoch(epoch, loss);
        if swa_start.is_some_and(|s| epoch >= s) {
            swa.add(&model.valid());
        }
    }
    let inner = swa.apply(model.valid());
    Ok(TrainOutcome {
        model: inner,
        final_loss,
        seconds: started.elapsed().as_secs_f64(),
        steps: step,
        epochs,
        loss_predictor: joint.and_then(|j| j.predictor).map(|p| p.valid()),
    })
}

/// FixMatch's unlabeled term (`training = { kind = "pseudo_label" }`): its own stream of
/// the unlabeled rows (reshuffled at each pass, from a seed derived from the training
/// seed, so supervised runs draw exactly as before) and the two views.
struct UnlabeledStream {
    order: Vec<usize>,
    next: usize,
    rng: ChaCha8Rng,
    threshold: f32,
    ratio: usize,
    weight: f64,
    weak: sieve_datasets::Augmentation,
    strong_on_top: sieve_datasets::Augmentation,
    buffer: Vec<f32>,
    labels: Vec<u32>,
}

impl UnlabeledStream {
    /// `None` unless the regularization asks for pseudo-labels and there are unlabeled
    /// rows (with none left, FixMatch is supervised training).
    fn new<B: AutodiffBackend>(request: &TrainRequest<'_, B>) -> Option<Self> {
        let Some(TrainingMode::PseudoLabel {
            threshold,
            ratio,
            weight,
        }) = &request.regularization.training
        else {
            return None;
        };
        if request.unlabeled.is_empty() {
            return None;
        }
        let (weak, strong_on_top) = fixmatch_views(request.data.shape);
        Some(Self {
            order: request.unlabeled.to_vec(),
            next: usize::MAX,
            rng: ChaCha8Rng::seed_from_u64(crate::derive_seed(request.train_seed, &["unlabeled"])),
            threshold: *threshold as f32,
            ratio: *ratio,
            weight: *weight,
            weak,
            strong_on_top,
            buffer: Vec::new(),
            labels: Vec::new(),
        })
    }

    /// The next `n` unlabeled rows, cycling through reshuffled passes.
    fn draw(&mut self, n: usize) -> Vec<usize> {
        let mut rows = Vec::with_capacity(n);
        while rows.len() < n {
            if self.next >= self.order.len() {
                self.order.shuffle(&mut self.rng);
                self.next = 0;
            }
            let take = (n - rows.len()).min(self.order.len() - self.next);
            rows.extend_from_slice(&self.order[self.next..self.next + take]);
            self.next += take;
        }
        rows
    }

    /// `weight · mean over the drawn rows of 1[max p(weak) ≥ τ] · CE(strong, argmax
    /// p(weak))`, for a labeled batch of `labeled` rows; `None` when no row passes the
    /// threshold (the term is zero). The pseudo-labels carry no gradient.
    fn loss<B: AutodiffBackend>(
        &mut self,
        model: &Network<B>,
        request: &TrainRequest<'_, B>,
        labeled: usize,
    ) -> Result<Option<Tensor<B, 1>>, CoreError> {
        let data = request.data;
        let (shape, device) = (data.shape, request.device);
        let rows = self.draw(self.ratio * labeled.max(1));
        let n = rows.len();
        data.gather(&rows, &mut self.buffer, &mut self.labels);
        if !self.weak.is_identity() {
            self.weak
                .apply(&mut self.buffer, shape, &data.pad_value, &mut self.rng);
        }
        let weak = batch_tensor::<B::InnerBackend>(self.buffer.clone(), n, shape, device);
        let probabilities = read_f32(softmax(model.valid().forward(weak, 0.0, false), 1))?;
        let classes = request.classes;
        let mut mask = vec![0f32; n];
        let mut pseudo = vec![0u32; n];
        for (i, row) in probabilities.chunks(classes.max(1)).enumerate() {
            let top = argmax(row);
            if row[top] >= self.threshold {
                mask[i] = 1.0;
                pseudo[i] = top as u32;
            }
        }
        if mask.iter().all(|&m| m == 0.0) {
            return Ok(None);
        }
        let mut strong = std::mem::take(&mut self.buffer);
        if !self.strong_on_top.is_identity() {
            self.strong_on_top
                .apply(&mut strong, shape, &data.pad_value, &mut self.rng);
        }
        let logits = model.forward(
            batch_tensor::<B>(strong.clone(), n, shape, device),
            request.regularization.dropout,
            true,
        );
        self.buffer = strong;
        let targets = smoothed_targets::<B>(&pseudo, classes, 0.0, device);
        let mask = Tensor::<B, 1>::from_data(TensorData::new(mask, [n]), device);
        let per_example = per_example_cross_entropy(logits, targets) * mask;
        Ok(Some(per_example.sum() * (self.weight / n as f64)))
    }
}
