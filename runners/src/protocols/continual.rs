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
//! 3. The buffer follows the stream (`reservoir`, `ring`) or is rebuilt at each task's end
//!    (`random`, `herding` on the model's embeddings).
//! 4. After task `t`, every task `i <= t` is tested: one record per (t, i) with `round` =
//!    t, `eval_index` = i, `x` = t + 1 (tasks seen) — the accuracy matrix `R[t][i]`.
//!    Class-incremental: argmax over every class; task-incremental: over task i's
//!    classes only.

use burn::tensor::backend::AutodiffBackend;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::train::{
    metrics_from_probabilities, predict_probabilities, train_model_observed, BatchOutputs,
    TrainObserver, TrainRequest,
};
use sieve_bench_core::{strategy_rng, Matrix, ModelView, SeedStream, TrainedModel};
use sieve_datasets::ScenarioData;
use sieve_strategies::continual::{build_buffer_method, BufferMethod, ReplayBuffer, TaskEnd};

use super::{resolve_arms, Arm, Emit, Evaluation, Position, TrialContext};
use crate::config::{ConfigError, ContinualConfig};
use crate::sweep::invalid;

/// The reference method: reservoir sampling.
pub const REFERENCE: &str = "reservoir";

/// The settings a config may name.
pub const SETTINGS: &[&str] = &["class_incremental", "task_incremental"];

/// Most tasks.
pub const MAX_TASKS: usize = 1_000;

/// One axis value: the setting and the buffer size.
#[derive(Clone, Copy, Debug)]
struct AxisValue {
    task_incremental: bool,
    buffer: usize,
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
                    .map(|_| "{}".to_string())
                    .map_err(|e| {
                        let unknown =
                            matches!(e, sieve_strategies::RegistryError::UnknownStrategy(_));
                        (unknown, e.to_string())
                    })
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
                let label = format!(
                    "{}_b{buffer}",
                    if task_incremental {
                        "task_il"
                    } else {
                        "class_il"
                    }
                );
                if labels.contains(&label) {
                    return Err(invalid(
                        origin,
                        "buffer_size",
                        format!("`{label}` appears twice"),
                    ));
                }
                labels.push(label);
                axis.push(AxisValue {
                    task_incremental,
                    buffer,
                });
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
        let method = self.methods[trial.arm];
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
        let mut model = None;
        let mut round = 0u32;
        for t in 0..self.tasks {
            let task_rows = rows_of(&data.pool.labels, t);
            let started = std::time::Instant::now();
            let mut replay = Replay {
                method,
                buffer: &mut buffer,
                rng: &mut rng,
                count: reg.batch_size,
            };
            let trained = train_model_observed::<B>(
                TrainRequest {
                    spec,
                    regularization: reg,
                    data: &data.pool,
                    indices: &task_rows,
                    classes,
                    init_seed: seeds.model_init(0),
                    train_seed: seeds.training(t),
                    warm_start: model.take(),
                    example_weights: None,
                    device,
                },
                &mut |_, _| {},
                &mut replay,
            )
            .map_err(|e| format!("task {t}: {e}"))?;
            let train_seconds = started.elapsed().as_secs_f64();
            // The buffer after the task.
            let started = std::time::Instant::now();
            let classes_seen: Vec<u32> = (0..((t + 1) * per_task) as u32).collect();
            let embeddings = if method.needs_embeddings() {
                let view = TrainedModel {
                    model: trained.model.clone(),
                    pool: &data.pool,
                    classes,
                    device: device.clone(),
                    batch_size: batch,
                    dropout: 0.0,
                    inference_seed: 0,
                    previous: None,
                };
                Some(view.embeddings(&task_rows).map_err(|e| e.to_string())?)
            } else {
                None
            };
            method
                .end_task(
                    &mut buffer,
                    &TaskEnd {
                        task_rows: &task_rows,
                        labels: &data.pool.labels,
                        tasks: self.tasks,
                        task: t,
                        classes_seen: &classes_seen,
                        embeddings: embeddings.as_ref(),
                    },
                    &mut rng,
                )
                .map_err(|e| format!("task {t}: buffer: {e}"))?;
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
    method: BufferMethod,
    buffer: &'a mut ReplayBuffer,
    rng: &'a mut ChaCha8Rng,
    count: usize,
}

impl TrainObserver for Replay<'_> {
    fn wants_batches(&self) -> bool {
        false
    }

    fn on_batch(&mut self, _outputs: &BatchOutputs<'_>) {}

    fn replay_rows(&mut self, batch_rows: &[usize]) -> Vec<usize> {
        let replay = self.method.replay(self.buffer, self.count, self.rng);
        if self.method.streams() {
            self.method.on_stream(self.buffer, batch_rows, self.rng);
        }
        replay
    }
}
