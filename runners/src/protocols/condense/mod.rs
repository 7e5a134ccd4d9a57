//! `kind = "condense"`: the dataset-condensation protocol of DC, DSA and DM
//! (VICO-UoE/DatasetCondensation). A trial is one method at one ipc and one repeat: the
//! method produces a training set of `ipc` images per class — learned (`dm`) or chosen
//! among the real images by a coreset method (`uniform`, the reference; `herding`,
//! `kcenter`, `forgetting`, ...) — then `n_eval` freshly initialised models train on it
//! with the trial's regularization and each is evaluated on the real test set (the
//! final model, never the best epoch). The evaluation models' seeds are the same for
//! every method, so methods pair by repeat and by evaluation index; the statistics
//! average the `n_eval` rows within a repeat.

mod output;

use std::sync::Mutex;
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use sieve_bench_core::train::{evaluate, train_model, TrainRequest};
use sieve_bench_core::{strategy_rng, CoresetRequest, SeedStream};
use sieve_datasets::{LabeledSet, ScenarioData};
use sieve_strategies::condense::{
    build_condense_method, condense_method_names, CondenseMethod, CondenseRequest,
};
use sieve_strategies::coreset::{build_coreset_method, coreset_method_names};
use sieve_strategies::RegistryError;

use super::coreset::shared::{Memo, SharedKey};
use super::coreset::SelectionSetup;
use super::{resolve_arms, Arm, Emit, Evaluation, Position, TrialContext};
use crate::config::{CondenseConfig, ConfigError};
use crate::sweep::{invalid, Trial};

/// The reference method: random real images.
pub const REFERENCE: &str = "uniform";

/// Largest ipc a config may ask for.
pub const MAX_IPC: usize = 100_000;

/// Most evaluation models per synthetic set.
pub const MAX_EVAL: usize = 1_000;

/// The upper line: the whole training set, the same at every ipc.
pub const WHOLE: &str = "whole";

/// The `whole` arm's parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WholeParams {
    /// Training epochs over the whole set; the regularization's when absent (1,000 epochs
    /// over a whole training set is rarely what anyone wants: set this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    epochs: Option<usize>,
}

impl WholeParams {
    fn parse(params: &serde_json::Value) -> Result<Self, String> {
        let parsed: Self = match params {
            serde_json::Value::Null => Self::default(),
            other => serde_json::from_value(other.clone())
                .map_err(|e| format!("`{WHOLE}` takes only `epochs`: {e}"))?,
        };
        if parsed.epochs == Some(0) {
            return Err("`epochs` must be at least 1".into());
        }
        Ok(parsed)
    }
}

/// How an arm makes its training set.
#[derive(Clone, Debug)]
enum Maker {
    /// A condensation method.
    Condense(CondenseMethod),
    /// A coreset method picking `ipc` real images per class.
    Real,
    /// The whole training set (the upper line).
    Whole(WholeParams),
}

/// The condensation protocol of a sweep.
pub struct CondenseProtocol {
    ipc: Vec<usize>,
    labels: Vec<String>,
    n_eval: usize,
    arms: Vec<Arm>,
    makers: Vec<Maker>,
    selection: SelectionSetup,
    memo: Mutex<Option<Memo>>,
}

impl CondenseProtocol {
    /// Resolves methods, ipc values and the selection model of the baselines.
    pub fn prepare(
        config: &CondenseConfig,
        models: &[sieve_bench_core::ModelSpec],
        origin: &str,
    ) -> Result<Self, ConfigError> {
        let arms = resolve_arms(
            origin,
            "method",
            &config.methods,
            REFERENCE,
            &|name, params| match build_condense_method(name, params) {
                Err(RegistryError::UnknownStrategy(_)) if name == WHOLE => {
                    let parsed = WholeParams::parse(params).map_err(|m| (false, m))?;
                    serde_json::to_string(&parsed).map_err(|e| (false, e.to_string()))
                }
                Ok(m) => Ok(m.params_json()),
                Err(RegistryError::UnknownStrategy(_)) => build_coreset_method(name, params)
                    .map(|m| m.params_json())
                    .map_err(|e| match e {
                        RegistryError::UnknownStrategy(_) => {
                            let mut names = condense_method_names();
                            names.push(WHOLE);
                            names.extend(coreset_method_names());
                            (
                                true,
                                sieve_bench_core::names::unknown_name_message(
                                    "condensation method or real-image baseline",
                                    name,
                                    &names,
                                ),
                            )
                        }
                        other => (false, other.to_string()),
                    }),
                Err(e) => Err((false, e.to_string())),
            },
        )?;
        let makers: Vec<Maker> = arms
            .iter()
            .map(|arm| match build_condense_method(&arm.name, &arm.params) {
                Ok(m) => Maker::Condense(m),
                Err(_) if arm.name == WHOLE => {
                    Maker::Whole(WholeParams::parse(&arm.params).unwrap_or_default())
                }
                Err(_) => Maker::Real,
            })
            .collect();
        // Gradient matching differentiates the ConvNet's hand-written gradients.
        let matching = arms
            .iter()
            .zip(&makers)
            .find(|(_, m)| matches!(m, Maker::Condense(method) if method.matches_gradients()));
        if let Some((arm, _)) = matching {
            for (i, model) in models.iter().enumerate() {
                let kind = model
                    .resolved_kind(&format!("model[{i}]"))
                    .map_err(|e| invalid(origin, format!("model[{i}]"), e.to_string()))?;
                if kind != sieve_bench_core::ModelKind::Convnet {
                    return Err(invalid(
                        origin,
                        format!("model[{i}]"),
                        format!(
                            "method `{}` (gradient matching) needs the `convnet` model, whose gradients sieve writes out by hand; `{}` is a {}",
                            arm.label,
                            model.name,
                            kind.as_str()
                        ),
                    ));
                }
            }
        }
        if config.ipc.is_empty() {
            return Err(invalid(
                origin,
                "ipc",
                "needs at least one value, e.g. `ipc = [1, 10]`",
            ));
        }
        if let Some(bad) = config.ipc.iter().find(|&&k| k == 0 || k > MAX_IPC) {
            return Err(invalid(
                origin,
                "ipc",
                format!("every value must be in 1..={MAX_IPC}, got {bad}"),
            ));
        }
        let mut ipc = config.ipc.clone();
        ipc.sort_unstable();
        ipc.dedup();
        for (arm, maker) in arms.iter().zip(&makers) {
            if let Maker::Condense(method) = maker {
                for &k in &ipc {
                    method.check_ipc(k).map_err(|message| {
                        invalid(
                            origin,
                            "ipc",
                            format!("method `{}` at ipc {k}: {message}", arm.label),
                        )
                    })?;
                }
            }
        }
        if !(1..=MAX_EVAL).contains(&config.n_eval) {
            return Err(invalid(
                origin,
                "n_eval",
                format!("must be in 1..={MAX_EVAL}, got {}", config.n_eval),
            ));
        }
        let selection = SelectionSetup::prepare(&config.selection, origin)?;
        Ok(Self {
            labels: ipc.iter().map(|k| format!("ipc{k}")).collect(),
            ipc,
            n_eval: config.n_eval,
            arms,
            makers,
            selection,
            memo: Mutex::new(None),
        })
    }

    pub fn axis_labels(&self) -> &[String] {
        &self.labels
    }

    pub fn arms(&self) -> &[Arm] {
        &self.arms
    }

    /// `n_eval` evaluation models per trial.
    pub fn evaluations(&self, _axis: usize) -> usize {
        self.n_eval
    }

    /// The shared selection model's key (real-image baselines at one ipc and repeat).
    pub fn shared_work_key(&self, trial: &Trial) -> Option<String> {
        match self.makers[trial.arm] {
            Maker::Real => Some(SharedKey::of(trial, &self.selection).text().to_string()),
            Maker::Condense(_) | Maker::Whole(_) => None,
        }
    }

    /// Example passes: the evaluation models' training (`n_eval` x epochs over the
    /// small set) plus a pass over the pool; condensation dominates where it runs.
    pub fn estimated_cost(&self, axis: usize, pool: usize, epochs: usize) -> f64 {
        let set = (self.ipc[axis] * 10) as f64;
        self.n_eval as f64 * set * epochs.max(1) as f64 + pool as f64
    }

    /// Every class holds at least the largest ipc; no out-of-distribution scenario.
    pub fn check_data(
        &self,
        data: &ScenarioData,
        dataset: &str,
        scenario: &str,
        origin: &str,
    ) -> Result<(), ConfigError> {
        self.selection.check_data(data, dataset, origin)?;
        if data.ood.iter().any(|&o| o) {
            return Err(invalid(
                origin,
                "scenario",
                format!("with dataset `{dataset}`: scenario `{scenario}` adds out-of-distribution examples; condensation learns from in-distribution training sets only"),
            ));
        }
        let largest = self.ipc.last().copied().unwrap_or(1);
        let mut counts = data.pool.class_counts();
        counts.resize(data.target_classes, 0);
        if let Some((c, &n)) = counts.iter().enumerate().find(|(_, &n)| n < largest) {
            return Err(invalid(
                origin,
                "ipc",
                format!("{largest} images per class asked, but class {c} of dataset `{dataset}`, scenario `{scenario}` has {n} training images"),
            ));
        }
        Ok(())
    }

    /// One trial: make the set (or reload it), then train and evaluate `n_eval` models.
    pub fn run<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
        emit: &mut Emit<'_>,
        position: &mut Position,
    ) -> Result<(), String> {
        let (sweep, trial) = (ctx.sweep, ctx.trial);
        let data = sweep.data(trial);
        let pool = &data.pool;
        let classes = data.target_classes;
        let ipc = self.ipc[trial.axis];
        let arm = &self.arms[trial.arm];
        *position = Position {
            round: 0,
            x: ipc as f64,
        };
        if let Maker::Whole(whole) = &self.makers[trial.arm] {
            let mut reg = sweep.regularization(trial).clone();
            if let Some(epochs) = whole.epochs {
                reg.epochs = epochs;
            }
            let rows: Vec<usize> = (0..pool.len()).collect();
            return self.evaluate_models(ctx, emit, pool, &rows, &reg, ipc, 0.0);
        }
        let folder = ctx.out.map(|out| output::folder(out, trial));
        let cached = folder
            .as_deref()
            .and_then(|dir| output::load(dir, &trial.id, pool.shape, classes));
        let (set, info) = match cached {
            Some(found) => found,
            None => {
                let (set, iterations, seconds) = match &self.makers[trial.arm] {
                    Maker::Condense(method) => self.condense::<B>(ctx, method, arm, ipc)?,
                    Maker::Real => self.pick_real::<B>(ctx, arm, ipc)?,
                    Maker::Whole(_) => return Err("the whole set has no set to make".into()),
                };
                let info = output::CondenseInfo {
                    trial_id: trial.id.clone(),
                    method: arm.name.clone(),
                    method_params: arm.params_json.clone(),
                    ipc,
                    classes,
                    iterations,
                    seconds,
                    seconds_per_iteration: (iterations > 0).then(|| seconds / iterations as f64),
                };
                if let Some(dir) = &folder {
                    output::save(dir, &set, &info).map_err(|e| format!("{e:#}"))?;
                }
                (set, info)
            }
        };

        let rows: Vec<usize> = (0..set.len()).collect();
        let reg = sweep.regularization(trial);
        self.evaluate_models(ctx, emit, &set, &rows, reg, ipc, info.seconds)
    }

    /// Trains `n_eval` fresh models on `rows` of `set` and emits each one's test metrics;
    /// the first row carries the seconds spent making the set.
    #[allow(clippy::too_many_arguments)]
    fn evaluate_models<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
        emit: &mut Emit<'_>,
        set: &LabeledSet,
        rows: &[usize],
        reg: &sieve_bench_core::Regularization,
        ipc: usize,
        make_seconds: f64,
    ) -> Result<(), String> {
        let (sweep, trial, device) = (ctx.sweep, ctx.trial, ctx.device);
        let data = sweep.data(trial);
        let classes = data.target_classes;
        let spec = sweep.model(trial);
        let seeds = SeedStream::new(trial.seed);
        let batch = sweep.config.common.inference_batch_size;
        for e in 0..self.n_eval {
            let trained = train_model::<B>(
                TrainRequest {
                    spec,
                    regularization: reg,
                    data: set,
                    indices: rows,
                    classes,
                    init_seed: seeds.model_init(e),
                    train_seed: seeds.training(e),
                    warm_start: None,
                    example_weights: None,
                    device,
                    unlabeled: &[],
                    learning_loss: None,
                },
                &mut |_, _| {},
            )
            .map_err(|e| e.to_string())?;
            let metrics =
                evaluate(&trained.model, &data.test, batch, device).map_err(|e| e.to_string())?;
            let values = Evaluation::test_metrics(&metrics);
            let keep_going = emit(Evaluation {
                round: 0,
                eval_index: e as u32,
                x: ipc as f64,
                metrics: values,
                select_seconds: if e == 0 { make_seconds } else { 0.0 },
                train_seconds: trained.seconds,
                train_steps: Some(trained.steps),
                train_epochs: Some(trained.epochs),
            });
            if !keep_going {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Runs a condensation method, printing its progress about every 10%.
    fn condense<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
        method: &CondenseMethod,
        arm: &Arm,
        ipc: usize,
    ) -> Result<(LabeledSet, usize, f64), String> {
        let (sweep, trial) = (ctx.sweep, ctx.trial);
        let data = sweep.data(trial);
        let request = CondenseRequest::<B> {
            data: &data.pool,
            classes: data.target_classes,
            ipc,
            spec: sweep.model(trial),
            device: ctx.device,
        };
        let mut rng = strategy_rng(trial.seed, &arm.name, &arm.params_json);
        let total = method.iterations();
        let step = (total / 10).max(1);
        let started = Instant::now();
        let label = trial.key.label();
        let mut report = |done: usize, loss: f64| {
            if done.is_multiple_of(step) && done < total {
                let elapsed = started.elapsed().as_secs_f64();
                let left = elapsed / done as f64 * (total - done) as f64;
                (ctx.note)(&format!(
                    "  {label}: {} iteration {done}/{total}, loss {loss:.4}, {elapsed:.0}s so far, about {left:.0}s left",
                    method.name()
                ));
            }
        };
        let set = method
            .condense(&request, &mut rng, &mut report)
            .map_err(|e| format!("condensation failed: {e}"))?;
        let (iterations, seconds) = (set.iterations, set.seconds);
        let set = set.to_labeled_set(&data.pool)?;
        Ok((set, iterations, seconds))
    }

    /// Picks `ipc` real images per class with a coreset method (class-major order).
    fn pick_real<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
        arm: &Arm,
        ipc: usize,
    ) -> Result<(LabeledSet, usize, f64), String> {
        let (sweep, trial) = (ctx.sweep, ctx.trial);
        let data = sweep.data(trial);
        let pool = &data.pool;
        let mut method = build_coreset_method(&arm.name, &arm.params).map_err(|e| e.to_string())?;
        let needs = method.needs();
        let key = SharedKey::of(trial, &self.selection);
        let mut memo = self
            .memo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if memo.as_ref().is_none_or(|m| m.key != key) {
            *memo = Some(Memo::new(key));
        }
        let memo = memo.as_mut().ok_or("shared work is missing")?;
        memo.ensure::<B>(ctx, &self.selection, &needs)?;
        let context = memo.context();
        let started = Instant::now();
        let mut rng = strategy_rng(trial.seed, &arm.name, &arm.params_json);
        let mut by_class = pool.indices_by_class();
        by_class.resize(data.target_classes, Vec::new());
        let mut rows = Vec::with_capacity(ipc * by_class.len());
        for group in &by_class {
            let request = CoresetRequest {
                candidates: group,
                counts: &[ipc],
                labels: &pool.labels,
                classes: data.target_classes,
            };
            let mut picks = method
                .select(&request, &context, &mut rng)
                .map_err(|e| format!("selection failed: {e}"))?;
            let pick = picks
                .pop()
                .filter(|p| p.indices.len() == ipc)
                .ok_or_else(|| {
                    format!(
                        "method `{}` did not return {ipc} images of a class",
                        arm.name
                    )
                })?;
            rows.extend(pick.indices);
        }
        let seconds = started.elapsed().as_secs_f64();
        Ok((pool.subset(&rows), 0, seconds))
    }
}
