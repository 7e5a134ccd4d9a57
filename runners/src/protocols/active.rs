//! `kind = "active"`: pool-based active learning. An initial labeled set (random or a
//! cold-start strategy, shared by every strategy at a repeat), then rounds of train →
//! evaluate → select until the budget; one evaluation per round.

use std::time::Instant;

use burn::tensor::backend::{AutodiffBackend, Backend};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::pretext::rotatable;
use sieve_bench_core::train::{evaluate, train_model, TrainRequest};
use sieve_bench_core::{
    derive_seed, strategy_rng, AttackableModel, BudgetSchedule, ModelSpec, Network, Pool,
    PreviousModel, Regularization, SeedStream, SelectionRequest, TrainedModel, TrainingMode,
};
use sieve_datasets::ScenarioData;
use sieve_strategies::active::{joint_training, Pt4alParams};
use sieve_strategies::candidate_pool::own_params;
use sieve_strategies::init::{build_init_strategy, Features};
use sieve_strategies::RegistryError;

use super::pretext::PretextCache;
use super::{build_error, resolve_arms, Arm, Emit, Evaluation, Position, TrialContext};
use crate::config::{ActiveConfig, ConfigError};
use crate::sweep::{invalid, unique_names};

/// The reference strategy.
pub const REFERENCE: &str = "random";

/// The active-learning protocol of a sweep.
pub struct ActiveProtocol {
    warm_start: bool,
    budgets: Vec<BudgetSchedule>,
    labels: Vec<String>,
    arms: Vec<Arm>,
}

impl ActiveProtocol {
    /// Resolves strategies, budgets and cold-start strategies; checks MC-dropout
    /// strategies against the regularization settings.
    pub fn prepare(
        config: &ActiveConfig,
        regularizations: &[Regularization],
        models: &[ModelSpec],
        origin: &str,
    ) -> Result<Self, ConfigError> {
        let arms = resolve_arms(
            origin,
            "strategy",
            &config.strategies,
            REFERENCE,
            &|name, params| {
                sieve_strategies::build_strategy(name, params)
                    .map(|s| s.params_json())
                    .map_err(build_error)
            },
        )?;
        // MC-dropout strategies need dropout in every (model, regularization) pair they
        // meet: the regularization's, or the model's own (`gal_cnn`).
        let all_own = !models.is_empty() && models.iter().all(ModelSpec::has_own_dropout);
        for (i, arm) in arms.iter().enumerate() {
            let needs = sieve_strategies::strategy_info(&arm.name).is_some_and(|s| s.needs_dropout);
            if !needs || all_own {
                continue;
            }
            if let Some((r, reg)) = regularizations
                .iter()
                .enumerate()
                .find(|(_, r)| r.dropout <= 0.0)
            {
                return Err(invalid(
                    origin,
                    format!("strategy[{i}].name"),
                    format!(
                        "`{}` scores with MC dropout, but regularization[{r}] (`{}`) has dropout = 0; set `dropout` above 0 there (e.g. 0.3) or drop the strategy",
                        arm.name, reg.name
                    ),
                ));
            }
        }
        if config.budgets.is_empty() {
            return Err(invalid(
                origin,
                "budget",
                "add at least one [[budget]] block",
            ));
        }
        for (i, budget) in config.budgets.iter().enumerate() {
            budget
                .validate(&format!("budget[{i}]"), None)
                .map_err(|e| invalid(origin, format!("budget[{i}]"), e.to_string()))?;
            let params = budget
                .init_params
                .clone()
                .unwrap_or(serde_json::Value::Null);
            build_init_strategy(budget.init_name(), &params).map_err(|e| {
                let field = match e {
                    RegistryError::UnknownStrategy(_) => "init_strategy",
                    RegistryError::BadParams { .. } => "init_params",
                };
                invalid(origin, format!("budget[{i}].{field}"), e.to_string())
            })?;
        }
        let labels: Vec<String> = config.budgets.iter().map(BudgetSchedule::label).collect();
        unique_names(origin, "budget", labels.iter().map(String::as_str))?;
        Ok(Self {
            warm_start: config.warm_start,
            budgets: config.budgets.clone(),
            labels,
            arms,
        })
    }

    pub fn axis_labels(&self) -> &[String] {
        &self.labels
    }

    pub fn arms(&self) -> &[Arm] {
        &self.arms
    }

    /// One evaluation per round.
    pub fn evaluations(&self, axis: usize) -> usize {
        self.budgets[axis].evaluations()
    }

    /// Example passes of a trial (for sharding): `epochs` over each round's labeled
    /// set, plus one scoring pass over the pool per query.
    pub fn estimated_cost(&self, axis: usize, pool: usize, epochs: usize) -> f64 {
        let sizes = self.budgets[axis].sizes();
        let training: usize = sizes.iter().sum();
        (training as f64) * epochs.max(1) as f64
            + (sizes.len().saturating_sub(1) as f64) * pool as f64
    }

    /// Every budget fits every pool.
    pub fn check_data(
        &self,
        data: &ScenarioData,
        dataset: &str,
        scenario: &str,
        origin: &str,
    ) -> Result<(), ConfigError> {
        for (b, budget) in self.budgets.iter().enumerate() {
            budget
                .validate(&format!("budget[{b}]"), Some(data.pool.len()))
                .map_err(|e| {
                    invalid(
                        origin,
                        format!("budget[{b}]"),
                        format!("with dataset `{dataset}`, scenario `{scenario}`: {e}"),
                    )
                })?;
        }
        // PT4AL rotates the pool's images and reads one batch per selection.
        for (i, arm) in self
            .arms
            .iter()
            .enumerate()
            .filter(|(_, a)| a.name == "pt4al")
        {
            if !rotatable(data.pool.shape) {
                return Err(invalid(
                    origin,
                    format!("strategy[{i}]"),
                    format!(
                        "`pt4al` trains a rotation-prediction pretext task, which needs square images; dataset `{dataset}` has examples of shape {}",
                        data.pool.shape
                    ),
                ));
            }
            // The arm was validated when its strategy was built; its own parameters
            // (less `candidate_pool`) parse here.
            let params: Pt4alParams = match own_params(&arm.params) {
                serde_json::Value::Null => Pt4alParams::default(),
                value => serde_json::from_value(value)
                    .map_err(|e| invalid(origin, format!("strategy[{i}].params"), e.to_string()))?,
            };
            for (b, budget) in self.budgets.iter().enumerate() {
                let cycles = budget.sizes().len();
                if params.batches != 0 && params.batches < cycles {
                    return Err(invalid(
                        origin,
                        format!("strategy[{i}].params.batches"),
                        format!(
                            "budget[{b}] has {cycles} cycles (the initial set and {} selections), so `pt4al` needs at least {cycles} batches, got {}",
                            cycles - 1,
                            params.batches
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The rounds of one trial.
    pub fn run<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
        emit: &mut Emit<'_>,
        position: &mut Position,
    ) -> Result<(), String> {
        let (sweep, trial, device) = (ctx.sweep, ctx.trial, ctx.device);
        let data = sweep.data(trial);
        let reg = sweep.regularization(trial);
        let spec = sweep.model(trial);
        let budget = &self.budgets[trial.axis];
        let sizes = budget.sizes();
        let seeds = SeedStream::new(trial.seed);
        let arm = &self.arms[trial.arm];
        let batch = sweep.config.common.inference_batch_size;
        let mut strategy =
            sieve_strategies::build_strategy(&arm.name, &arm.params).map_err(|e| e.to_string())?;
        let mut strategy_stream = strategy_rng(trial.seed, &arm.name, &arm.params_json);
        // LL4AL's loss-prediction module trains with the network, every round.
        let learning_loss = joint_training(&arm.name, &arm.params).map_err(|e| e.to_string())?;

        // The initial labeled set depends on the trial seed and the init strategy only:
        // identical across selection strategies.
        let mut pool = Pool::new(data.pool.len());
        let initial = initial_set(budget, data, &seeds, sizes[0])?;
        pool.label(&initial)?;

        // The last round's model: the warm start of the next training, and what TOD
        // compares the next model with.
        let mut last_model: Option<Network<B::InnerBackend>> = None;
        // Examples the strategy labeled itself at the last selection (CEAL), for the
        // next training only.
        let mut pseudo_labels: Vec<(usize, u32)> = Vec::new();
        let mut select_seconds = 0.0;
        // The pool's pretext training (PT4AL, `self_supervised_init`), trained only if asked.
        let pretext = PretextCache::<B>::new(ctx, spec, &data.pool);
        let rounds = sizes.len().saturating_sub(1);
        for (round, &size) in sizes.iter().enumerate() {
            *position = Position {
                round: round as u32,
                x: pool.labeled().len() as f64,
            };
            let warm_start = if self.warm_start {
                last_model.clone()
            } else {
                None
            };
            // `self_supervised_init`: start from the pool's rotation network under a head
            // drawn from this round's model-init stream (a supervised model's head).
            let pretext_init = reg.training.as_ref().and_then(TrainingMode::pretext);
            let warm_start = match (warm_start, pretext_init) {
                (None, Some(settings)) => {
                    let pretrained = pretext.network(&settings).map_err(|e| e.to_string())?;
                    <B::InnerBackend as Backend>::seed(device, seeds.model_init(round));
                    let fresh = Network::<B::InnerBackend>::init(
                        spec,
                        data.pool.shape,
                        data.target_classes,
                        device,
                    )
                    .map_err(|e| e.to_string())?;
                    Some(pretrained.with_head_of(&fresh).map_err(|e| e.to_string())?)
                }
                (warm, _) => warm,
            };
            // `pseudo_label`: the unlabeled pool joins every training step.
            let reads_unlabeled = reg
                .training
                .as_ref()
                .is_some_and(TrainingMode::reads_unlabeled);
            let unlabeled_now: Vec<usize> = if reads_unlabeled {
                let pseudo_rows: std::collections::HashSet<usize> =
                    pseudo_labels.iter().map(|&(i, _)| i).collect();
                pool.unlabeled()
                    .into_iter()
                    .filter(|i| !pseudo_rows.contains(i))
                    .collect()
            } else {
                Vec::new()
            };
            // Out-of-distribution examples cost budget but add no label to the training set.
            let training = pool.training_indices(&data.ood);
            if training.is_empty() {
                return Err(format!(
                    "all {} labeled examples are out of distribution: nothing to train on",
                    pool.labeled().len()
                ));
            }
            // With pseudo-labels, a training set of the labeled rows plus the pseudo-labeled
            // ones under the strategy's labels; otherwise the pool itself.
            // The unlabeled rows (for `pseudo_label` training) follow them in that set.
            let with_pseudo = (!pseudo_labels.is_empty()).then(|| {
                let rows: Vec<usize> = training
                    .iter()
                    .copied()
                    .chain(pseudo_labels.iter().map(|&(i, _)| i))
                    .chain(unlabeled_now.iter().copied())
                    .collect();
                let mut set = data.pool.subset(&rows);
                for (k, &(_, class)) in pseudo_labels.iter().enumerate() {
                    set.labels[training.len() + k] = class;
                }
                set
            });
            let (all_rows, unlabeled_rows): (Vec<usize>, Vec<usize>) = match &with_pseudo {
                Some(set) => {
                    let labeled = training.len() + pseudo_labels.len();
                    ((0..labeled).collect(), (labeled..set.len()).collect())
                }
                None => (training.clone(), unlabeled_now),
            };
            let trained = train_model::<B>(
                TrainRequest {
                    spec,
                    regularization: reg,
                    data: with_pseudo.as_ref().unwrap_or(&data.pool),
                    indices: &all_rows,
                    classes: data.target_classes,
                    init_seed: seeds.model_init(round),
                    train_seed: seeds.training(round),
                    warm_start,
                    example_weights: None,
                    device,
                    unlabeled: &unlabeled_rows,
                    learning_loss: learning_loss.as_ref(),
                },
                &mut |_, _| {},
            )
            .map_err(|e| e.to_string())?;
            let metrics =
                evaluate(&trained.model, &data.test, batch, device).map_err(|e| e.to_string())?;
            let keep_going = emit(Evaluation {
                round: round as u32,
                eval_index: 0,
                x: pool.labeled().len() as f64,
                metrics: Evaluation::test_metrics(&metrics),
                select_seconds,
                train_seconds: trained.seconds,
                train_steps: Some(trained.steps),
                train_epochs: Some(trained.epochs),
            });
            if !keep_going {
                return Ok(());
            }
            let Some(&next) = sizes.get(round + 1) else {
                break;
            };
            // A failure from here on belongs to the next round, which never gets evaluated.
            *position = Position {
                round: round as u32 + 1,
                x: pool.labeled().len() as f64,
            };
            let count = next - size;
            let started = Instant::now();
            let unlabeled = pool.unlabeled();
            // The previous round's model; before the second round, an untrained network
            // from the round-0 model-init stream stands in (TOD's first cycle), built only
            // if a strategy asks.
            let previous_round = match last_model.take() {
                Some(network) => PreviousModel::Trained(network),
                None => PreviousModel::Untrained {
                    spec: spec.clone(),
                    seed: seeds.model_init(0),
                },
            };
            // Adversarial strategies attack the network on the autodiff backend.
            let view = AttackableModel::<B> {
                trained: TrainedModel::<B::InnerBackend> {
                    model: trained.model,
                    pool: &data.pool,
                    classes: data.target_classes,
                    device: device.clone(),
                    batch_size: batch,
                    dropout: reg.dropout,
                    inference_seed: seeds.inference(round),
                    previous: Some(previous_round),
                },
                pretext: Some(&pretext),
                loss_predictor: trained.loss_predictor,
            };
            // What the annotator said about each labeled example: its (possibly noisy)
            // label, or out of distribution.
            let labeled_classes: Vec<Option<u32>> = pool
                .labeled()
                .iter()
                .map(|&i| (!data.ood.get(i).copied().unwrap_or(false)).then(|| data.pool.labels[i]))
                .collect();
            let request = SelectionRequest {
                labeled: pool.labeled(),
                unlabeled: &unlabeled,
                count,
                labeled_classes: &labeled_classes,
                round_seed: seeds.selection(round),
                round,
                rounds,
            };
            let picks = strategy
                .select(&request, &view, &mut strategy_stream)
                .map_err(|e| format!("selection failed: {e}"))?;
            if picks.len() != count {
                return Err(format!(
                    "strategy `{}` returned {} indices, {count} were requested",
                    arm.name,
                    picks.len()
                ));
            }
            pool.label(&picks)
                .map_err(|e| format!("strategy `{}` returned a bad selection: {e}", arm.name))?;
            select_seconds = started.elapsed().as_secs_f64();
            pseudo_labels = strategy.pseudo_labels().to_vec();
            last_model = Some(view.trained.model);
        }
        Ok(())
    }
}

/// The initial labeled set: the budget's init strategy on the pool's features, with a
/// stream derived from the trial seed (and, for cold-start methods, their name and
/// parameters) — never from the selection strategy.
fn initial_set(
    budget: &BudgetSchedule,
    data: &ScenarioData,
    seeds: &SeedStream,
    count: usize,
) -> Result<Vec<usize>, String> {
    let params = budget
        .init_params
        .clone()
        .unwrap_or(serde_json::Value::Null);
    let init = build_init_strategy(budget.init_name(), &params).map_err(|e| e.to_string())?;
    let seed = match init.name() {
        "random" => seeds.initial_set(),
        name => derive_seed(seeds.initial_set(), &["init", name, &init.params_json()]),
    };
    let features = Features::new(&data.pool.features, data.pool.len(), data.pool.shape.len())
        .and_then(|f| f.with_labels(&data.pool.labels, data.target_classes))
        .ok_or_else(|| "pool features or labels do not match the pool size".to_string())?;
    let picks = init
        .select_initial(&features, count, &mut ChaCha8Rng::seed_from_u64(seed))
        .map_err(|e| format!("initial set: {e}"))?;
    if picks.len() != count {
        return Err(format!(
            "init strategy `{}` returned {} indices, {count} were requested",
            init.name(),
            picks.len()
        ));
    }
    Ok(picks)
}
