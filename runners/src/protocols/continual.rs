//! `kind = "continual"`: class-incremental and task-incremental learning with a replay
//! buffer (Experience Replay, as aimagelab/mammoth runs it). A trial is one buffer
//! method at one (setting, buffer size) and one repeat:
//!
//! 1. The classes, in label order, split into `tasks` equal groups; task `t` trains on
//!    the pool rows of its classes and is tested on the test rows of its classes.
//! 2. Tasks train one after another, each `epochs` of the trial's regularization on its
//!    rows, the model carried over (one head over every class from the start, as
//!    mammoth's); each step's batch gets as many rows replayed from the buffer (drawn
//!    without replacement; none while it is empty), the loss the mean over both.
//! 3. The buffer follows the stream (`reservoir`, `ring`, `gdumb`) or is rebuilt at each
//!    task's end (`random`, `herding` and `kcenter` on the model's embeddings, `dm`'s
//!    synthetic images condensed from the task's new classes).
//!
//! Semi-supervised (`labeled_fraction` < 1, NNCSL's setting): each task keeps the labels
//! of that fraction of its rows, per class (at least one each, drawn from the trial seed,
//! so every method sees the same labeled rows); every method trains on and buffers the
//! labeled rows only, and `nn_pseudo_label` then labels the rest by soft nearest
//! neighbours on the model's embeddings (support: the labeled rows and the buffer) and
//! trains the task's epochs again on labeled and pseudo-labeled rows.
//! 4. After task `t`, every task `i <= t` is tested: one record per (t, i) with `round` =
//!    t, `eval_index` = i, `x` = t + 1 (tasks seen) — the accuracy matrix `R[t][i]`.
//!    Class-incremental: argmax over every class; task-incremental: over task i's
//!    classes only.

use burn::tensor::backend::AutodiffBackend;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::train::{
    metrics_from_probabilities, predict_probabilities, train_model_observed, BatchOutputs,
    TrainObserver, TrainOutcome, TrainRequest,
};
use sieve_bench_core::{
    derive_seed, strategy_rng, Matrix, ModelView, Network, Regularization, SeedStream, TrainedModel,
};
use sieve_datasets::{LabeledSet, ScenarioData};
use sieve_strategies::continual::{
    build_buffer_method, condense_task_end, soft_nearest_neighbour_labels, BufferMethod,
    CondenseTask, ReplayBuffer, TaskEnd,
};

use super::{build_error, resolve_arms, Arm, Emit, Evaluation, Position, TrialContext};
use crate::config::{ConfigError, ContinualConfig};
use crate::sweep::invalid;

/// The reference method: reservoir sampling.
pub const REFERENCE: &str = "reservoir";

/// The settings a config may name.
pub const SETTINGS: &[&str] = &["class_incremental", "task_incremental"];

/// Most tasks.
pub const MAX_TASKS: usize = 1_000;

/// One axis value: the setting, the buffer size and the labeled fraction.
#[derive(Clone, Copy, Debug)]
struct AxisValue {
    task_incremental: bool,
    buffer: usize,
    labeled_fraction: f64,
}

/// The continual-learning protocol of a sweep.
pub struct ContinualProtocol {
    tasks: usize,
    axis: Vec<AxisValue>,
    labels: Vec<String>,
    arms: Vec<Arm>,
    methods: Vec<BufferMethod>,
}

impl ContinualProtocol {
    /// Resolves methods, settings and buffer sizes.
    pub fn prepare(config: &ContinualConfig, origin: &str) -> Result<Self, ConfigError> {
        let arms = resolve_arms(
            origin,
            "method",
            &config.methods,
            REFERENCE,
            &|name, params| {
                build_buffer_method(name, params)
                    .map(|m| m.params_json())
                    .map_err(build_error)
            },
        )?;
        let methods = arms
            .iter()
            .map(|a| build_buffer_method(&a.name, &a.params))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(origin, "method", e.to_string()))?;
        if !(2..=MAX_TASKS).contains(&config.tasks) {
            return Err(invalid(
                origin,
                "tasks",
                format!("must be in 2..={MAX_TASKS}, got {}", config.tasks),
            ));
        }
        if config.settings.is_empty() {
            return Err(invalid(
                origin,
                "settings",
                "needs at least one of class_incremental, task_incremental",
            ));
        }
        let fractions = match &config.labeled_fraction {
            None => vec![1.0],
            Some(f) if f.is_empty() => {
                return Err(invalid(
                    origin,
                    "labeled_fraction",
                    "needs at least one value, e.g. `labeled_fraction = [0.05, 0.25]`",
                ))
            }
            Some(f) => f.clone(),
        };
        if let Some(bad) = fractions
            .iter()
            .find(|f| !(f.is_finite() && **f > 0.0 && **f <= 1.0))
        {
            return Err(invalid(
                origin,
                "labeled_fraction",
                format!("every value must be in (0, 1], got {bad}"),
            ));
        }
        if let Some(m) = methods.iter().find(|m| m.semi_supervised_only()) {
            if fractions.iter().all(|&f| f >= 1.0) {
                return Err(invalid(
                    origin,
                    "labeled_fraction",
                    format!("method `{}` belongs to the semi-supervised setting: give a labeled_fraction below 1, e.g. `labeled_fraction = [0.05]`", m.name()),
                ));
            }
        }
        let mut axis = Vec::new();
        let mut labels = Vec::new();
        for setting in &config.settings {
            let task_incremental = match setting.as_str() {
                "class_incremental" => false,
                "task_incremental" => true,
                other => {
                    return Err(invalid(
                        origin,
                        "settings",
                        sieve_bench_core::names::unknown_name_message("setting", other, SETTINGS),
                    ))
                }
            };
            if config.buffer_size.is_empty() {
                return Err(invalid(
                    origin,
                    "buffer_size",
                    "needs at least one value, e.g. `buffer_size = [200, 500]`",
                ));
            }
            for &buffer in &config.buffer_size {
                if buffer == 0 {
                    return Err(invalid(
                        origin,
                        "buffer_size",
                        "every value must be at least 1",
                    ));
                }
                for &labeled_fraction in &fractions {
                    // The supervised setting keeps the labels (and trial ids) it always had.
                    let mut label = format!(
                        "{}_b{buffer}",
                        if task_incremental {
                            "task_il"
                        } else {
                            "class_il"
                        }
                    );
                    if labeled_fraction < 1.0 {
                        label.push_str(&format!("_l{labeled_fraction}"));
                    }
                    if labels.contains(&label) {
                        return Err(invalid(
                            origin,
                            "buffer_size",
                            format!("`{label}` appears twice (a repeated buffer size, setting or labeled fraction)"),
                        ));
                    }
                    labels.push(label);
                    axis.push(AxisValue {
                        task_incremental,
                        buffer,
                        labeled_fraction,
                    });
                }
            }
        }
        Ok(Self {
            tasks: config.tasks,
            axis,
            labels,
            arms,
            methods,
        })
    }

    pub fn axis_labels(&self) -> &[String] {
        &self.labels
    }

    pub fn arms(&self) -> &[Arm] {
        &self.arms
    }

    /// The lower triangle of the accuracy matrix: `tasks (tasks + 1) / 2` records.
    pub fn evaluations(&self, _axis: usize) -> usize {
        self.tasks * (self.tasks + 1) / 2
    }

    /// Example passes: every task's rows plus as many replayed, `epochs` times.
    pub fn estimated_cost(&self, pool: usize, epochs: usize) -> f64 {
        2.0 * pool as f64 * epochs.max(1) as f64
    }

    /// The classes split evenly into tasks; no out-of-distribution pool.
    pub fn check_data(
        &self,
        data: &ScenarioData,
        dataset: &str,
        scenario: &str,
        origin: &str,
    ) -> Result<(), ConfigError> {
        if data.ood.iter().any(|&o| o) {
            return Err(invalid(
                origin,
                "scenario",
                format!("with dataset `{dataset}`: scenario `{scenario}` adds out-of-distribution examples; continual learning splits the in-distribution classes into tasks"),
            ));
        }
        let classes = data.target_classes;
        if !classes.is_multiple_of(self.tasks) || classes < self.tasks {
            return Err(invalid(
                origin,
                "tasks",
                format!("dataset `{dataset}` has {classes} classes, which do not split into {} equal tasks", self.tasks),
            ));
        }
        Ok(())
    }

    /// One trial: the tasks in order, the buffer between them, the matrix after each.
    pub fn run<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
        emit: &mut Emit<'_>,
        position: &mut Position,
    ) -> Result<(), String> {
        let (sweep, trial, device) = (ctx.sweep, ctx.trial, ctx.device);
        let data = sweep.data(trial);
        let classes = data.target_classes;
        let per_task = classes / self.tasks;
        let axis = self.axis[trial.axis];
        let method = &self.methods[trial.arm];
        let arm = &self.arms[trial.arm];
        let task_of = |label: u32| label as usize / per_task;
        let rows_of = |labels: &[u32], t: usize| -> Vec<usize> {
            (0..labels.len())
                .filter(|&r| task_of(labels[r]) == t)
                .collect()
        };
        let reg = sweep.regularization(trial);
        let spec = sweep.model(trial);
        let seeds = SeedStream::new(trial.seed);
        let batch = sweep.config.common.inference_batch_size;
        let mut rng = strategy_rng(trial.seed, &arm.name, &arm.params_json);
        let mut buffer = ReplayBuffer::new(axis.buffer);
        let semi_supervised = axis.labeled_fraction < 1.0;
        // The training set the trainer reads: the pool, or a copy when the method writes
        // to it (`dm`'s synthetic images in slots after the pool's rows; pseudo-labels).
        let slots_from = data.pool.len();
        let mut owned: Option<LabeledSet> = match method {
            BufferMethod::Condensed(_) => {
                let mut copy = data.pool.clone();
                copy.features
                    .resize((slots_from + axis.buffer) * data.pool.shape.len(), 0.0);
                copy.labels.resize(slots_from + axis.buffer, 0);
                Some(copy)
            }
            m if m.uses_unlabeled() && semi_supervised => Some(data.pool.clone()),
            _ => None,
        };
        let mut model: Option<Network<B::InnerBackend>> = None;
        let mut round = 0u32;
        for t in 0..self.tasks {
            let task_rows = rows_of(&data.pool.labels, t);
            let labeled = if semi_supervised {
                labeled_rows(
                    &task_rows,
                    &data.pool.labels,
                    axis.labeled_fraction,
                    derive_seed(trial.seed, &["labeled", &t.to_string()]),
                )
            } else {
                task_rows.clone()
            };
            let started = std::time::Instant::now();
            let pass = TaskPass::<B> {
                spec,
                method,
                classes,
                init_seed: seeds.model_init(0),
                device,
            };
            let mut trained = pass
                .train(
                    owned.as_ref().unwrap_or(&data.pool),
                    &labeled,
                    reg,
                    model.take(),
                    seeds.training(t),
                    &mut buffer,
                    &mut rng,
                )
                .map_err(|e| format!("task {t}: {e}"))?;
            let view = |model: &Network<B::InnerBackend>, set: &LabeledSet, rows: &[usize]| {
                TrainedModel {
                    model: model.clone(),
                    pool: set,
                    classes,
                    device: device.clone(),
                    batch_size: batch,
                    dropout: 0.0,
                    inference_seed: 0,
                    previous: None,
                }
                .embeddings(rows)
                .map_err(|e| format!("task {t}: {e}"))
            };
            // A second, warm pass over the task: nn_pseudo_label's on the labeled and
            // pseudo-labeled rows, or its control's on the labeled rows for as many steps.
            let unlabeled_left = labeled.len() < task_rows.len();
            let second: Option<(Vec<usize>, Regularization, &str)> = match method {
                BufferMethod::NnPseudoLabel(params) if unlabeled_left => {
                    // Soft nearest neighbours among the labeled rows and the buffer.
                    let train_set = owned.as_ref().unwrap_or(&data.pool);
                    let unlabeled: Vec<usize> = task_rows
                        .iter()
                        .copied()
                        .filter(|r| labeled.binary_search(r).is_err())
                        .collect();
                    let mut support = labeled.clone();
                    support.extend(buffer.rows.iter().copied());
                    let support_labels: Vec<u32> =
                        support.iter().map(|&r| train_set.labels[r]).collect();
                    let guesses = soft_nearest_neighbour_labels(
                        &view(&trained.model, train_set, &support)?,
                        &support_labels,
                        &view(&trained.model, train_set, &unlabeled)?,
                        params.temperature,
                    );
                    let pseudo_labels: Vec<(usize, u32)> = unlabeled
                        .into_iter()
                        .zip(guesses)
                        .filter(|(_, g)| f64::from(g.confidence) >= params.threshold)
                        .map(|(r, g)| (r, g.class))
                        .collect();
                    if pseudo_labels.is_empty() {
                        None
                    } else {
                        let copy = owned.as_mut().ok_or_else(|| {
                            format!("task {t}: no copy of the pool to pseudo-label")
                        })?;
                        for &(r, class) in &pseudo_labels {
                            copy.labels[r] = class;
                        }
                        let mut rows = labeled.clone();
                        rows.extend(pseudo_labels.iter().map(|&(r, _)| r));
                        rows.sort_unstable();
                        Some((rows, reg.clone(), "pseudo-labeled pass"))
                    }
                }
                BufferMethod::LabeledStepsMatched if unlabeled_left => {
                    // nn_pseudo_label's second pass covers every row of the task.
                    let matched = Regularization {
                        min_steps: reg
                            .min_steps
                            .max(reg.epochs * task_rows.len().div_ceil(reg.batch_size.max(1))),
                        ..reg.clone()
                    };
                    Some((labeled.clone(), matched, "steps-matched pass"))
                }
                _ => None,
            };
            if let Some((rows, pass_reg, what)) = second {
                let first = trained;
                trained = pass
                    .train(
                        owned.as_ref().unwrap_or(&data.pool),
                        &rows,
                        &pass_reg,
                        Some(first.model),
                        derive_seed(seeds.training(t), &["pseudo-labels"]),
                        &mut buffer,
                        &mut rng,
                    )
                    .map_err(|e| format!("task {t}: {what}: {e}"))?;
                trained.steps += first.steps;
                trained.epochs += first.epochs;
            }
            let train_seconds = started.elapsed().as_secs_f64();
            // The buffer after the task.
            let started = std::time::Instant::now();
            let classes_seen: Vec<u32> = (0..((t + 1) * per_task) as u32).collect();
            if let BufferMethod::Condensed(params) = method {
                let every = (params.iterations / 4).max(1);
                let label = trial.key.label();
                let held = condense_task_end::<B>(
                    params,
                    &buffer.condensed,
                    &CondenseTask {
                        data: &data.pool,
                        task_rows: &labeled,
                        classes_seen: &classes_seen,
                        capacity: axis.buffer,
                        spec,
                        device,
                    },
                    &mut rng,
                    &mut |class, done, loss| {
                        if done.is_multiple_of(every) {
                            (ctx.note)(&format!(
                                "  {label}: task {t} class {class} dm iteration {done}/{}, loss {loss:.4}",
                                params.iterations
                            ));
                        }
                    },
                )
                .map_err(|e| format!("task {t}: buffer: {e}"))?;
                let copy = owned
                    .as_mut()
                    .ok_or_else(|| format!("task {t}: no slots for the condensed buffer"))?;
                let dim = copy.shape.len();
                for (k, &label) in held.labels.iter().enumerate() {
                    let slot = slots_from + k;
                    copy.features[slot * dim..(slot + 1) * dim]
                        .copy_from_slice(&held.images[k * dim..(k + 1) * dim]);
                    copy.labels[slot] = label;
                }
                buffer.rows = (slots_from..slots_from + held.len()).collect();
                buffer.condensed = held;
            } else {
                let train_set = owned.as_ref().unwrap_or(&data.pool);
                let embeddings = if method.needs_embeddings() {
                    Some(view(&trained.model, train_set, &labeled)?)
                } else {
                    None
                };
                method
                    .end_task(
                        &mut buffer,
                        &TaskEnd {
                            task_rows: &labeled,
                            labels: &train_set.labels,
                            tasks: self.tasks,
                            task: t,
                            classes_seen: &classes_seen,
                            embeddings: embeddings.as_ref(),
                        },
                        &mut rng,
                    )
                    .map_err(|e| format!("task {t}: buffer: {e}"))?;
            }
            let select_seconds = started.elapsed().as_secs_f64();
            // The row R[t][i] of the accuracy matrix.
            for i in 0..=t {
                *position = Position {
                    round,
                    x: (t + 1) as f64,
                };
                let rows = rows_of(&data.test.labels, i);
                let mut probabilities =
                    predict_probabilities(&trained.model, &data.test, &rows, batch, device)
                        .map_err(|e| e.to_string())?;
                if axis.task_incremental {
                    mask_to_task(&mut probabilities, i * per_task..(i + 1) * per_task);
                }
                let labels: Vec<u32> = rows.iter().map(|&r| data.test.labels[r]).collect();
                let metrics = metrics_from_probabilities(&probabilities, &labels, classes);
                let keep_going = emit(Evaluation {
                    round: t as u32,
                    eval_index: i as u32,
                    x: (t + 1) as f64,
                    metrics: Evaluation::test_metrics(&metrics),
                    select_seconds: if i == 0 { select_seconds } else { 0.0 },
                    train_seconds: if i == 0 { train_seconds } else { 0.0 },
                    train_steps: Some(trained.steps),
                    train_epochs: Some(trained.epochs),
                });
                round += 1;
                if !keep_going {
                    return Ok(());
                }
            }
            model = Some(trained.model);
        }
        Ok(())
    }
}

/// The labeled rows of a task in the semi-supervised setting: `fraction` of each class's
/// rows (rounded up, at least one), drawn with `seed`; returned sorted.
fn labeled_rows(task_rows: &[usize], labels: &[u32], fraction: f64, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut by_class: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for &r in task_rows {
        by_class.entry(labels[r]).or_default().push(r);
    }
    let mut kept = Vec::new();
    for rows in by_class.values_mut() {
        let count = ((rows.len() as f64 * fraction).ceil() as usize).clamp(1, rows.len());
        rows.shuffle(&mut rng);
        kept.extend_from_slice(&rows[..count]);
    }
    kept.sort_unstable();
    kept
}

/// What every training pass of a trial shares; a pass adds its set, rows, regularization,
/// starting weights and data order.
struct TaskPass<'a, B: AutodiffBackend> {
    spec: &'a sieve_bench_core::ModelSpec,
    method: &'a BufferMethod,
    classes: usize,
    init_seed: u64,
    device: &'a B::Device,
}

impl<B: AutodiffBackend> TaskPass<'_, B> {
    /// Trains `indices` of `set`, each step with its replayed buffer rows.
    #[allow(clippy::too_many_arguments)]
    fn train(
        &self,
        set: &LabeledSet,
        indices: &[usize],
        regularization: &Regularization,
        warm_start: Option<Network<B::InnerBackend>>,
        train_seed: u64,
        buffer: &mut ReplayBuffer,
        rng: &mut ChaCha8Rng,
    ) -> Result<TrainOutcome<B::InnerBackend>, String> {
        let mut replay = Replay {
            method: self.method,
            buffer,
            rng,
            count: regularization.batch_size,
            labels: &set.labels,
        };
        train_model_observed::<B>(
            TrainRequest {
                spec: self.spec,
                regularization,
                data: set,
                indices,
                classes: self.classes,
                init_seed: self.init_seed,
                train_seed,
                warm_start,
                example_weights: None,
                device: self.device,
                unlabeled: &[],
                learning_loss: None,
            },
            &mut |_, _| {},
            &mut replay,
        )
        .map_err(|e| e.to_string())
    }
}

/// Task-incremental inference: probabilities outside the task's classes set to 0 and the
/// rest renormalised (argmax over the task's classes; the loss of the masked softmax).
fn mask_to_task(probabilities: &mut Matrix, task: std::ops::Range<usize>) {
    let cols = probabilities.cols;
    for row in probabilities.data.chunks_exact_mut(cols) {
        let mut total = 0.0f32;
        for (c, p) in row.iter_mut().enumerate() {
            if task.contains(&c) {
                total += *p;
            } else {
                *p = 0.0;
            }
        }
        if total > 0.0 {
            for p in row.iter_mut() {
                *p /= total;
            }
        }
    }
}

/// The trainer hook: replays buffer rows with each batch and feeds the stream to the
/// buffer (mammoth's ER: replay drawn before the current batch is added).
struct Replay<'a> {
    method: &'a BufferMethod,
    buffer: &'a mut ReplayBuffer,
    rng: &'a mut ChaCha8Rng,
    count: usize,
    /// Labels of every row of the training set (GDumb balances by them).
    labels: &'a [u32],
}

impl TrainObserver for Replay<'_> {
    fn wants_batches(&self) -> bool {
        false
    }

    fn on_batch(&mut self, _outputs: &BatchOutputs<'_>) {}

    fn replay_rows(&mut self, batch_rows: &[usize]) -> Vec<usize> {
        let replay = self.method.replay(self.buffer, self.count, self.rng);
        if self.method.streams() {
            self.method
                .on_stream(self.buffer, batch_rows, self.labels, self.rng);
        }
        replay
    }
}
