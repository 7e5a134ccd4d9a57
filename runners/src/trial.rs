//! One active-learning trial: initial set, then rounds of train -> evaluate -> select,
//! each evaluation handed to `emit` as soon as it is known. Errors inside the trial
//! (divergence, a strategy returning bad indices, a backend panic) end the trial with a
//! failed round instead of the sweep.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::derive_seed;
use sieve_bench_core::train::{evaluate, train_model, EvalMetrics, TrainRequest};
use sieve_bench_core::{strategy_rng, Network, Pool, SeedStream, SelectionRequest, TrainedModel};
use sieve_strategies::init::{build_init_strategy, Features};

use crate::sweep::{Sweep, Trial};

/// What one evaluation produced.
#[derive(Clone, Debug)]
pub struct RoundOutcome {
    pub round: u32,
    pub labeled: usize,
    /// Metrics, or why the trial failed at this round.
    pub result: Result<EvalMetrics, String>,
    pub select_seconds: f64,
    pub train_seconds: f64,
    /// Optimizer steps and epochs of the training behind the evaluation (`None` on failure).
    pub train_steps: Option<usize>,
    pub train_epochs: Option<usize>,
}

/// Called with each round's outcome; an `Err` (e.g. the records file cannot be written)
/// stops the trial and the sweep.
pub type Emit<'a> = dyn FnMut(RoundOutcome) -> anyhow::Result<()> + 'a;

/// Runs `trial` to its last round (or its first failure).
pub fn run_trial<B: AutodiffBackend>(
    sweep: &Sweep,
    trial: &Trial,
    device: &B::Device,
    emit: &mut Emit<'_>,
) -> anyhow::Result<()> {
    let mut io_error = None;
    let mut guarded_emit = |outcome: RoundOutcome| -> bool {
        match emit(outcome) {
            Ok(()) => true,
            Err(e) => {
                io_error = Some(e);
                false
            }
        }
    };
    let mut last_round = (0u32, 0usize);
    let result = catch_unwind(AssertUnwindSafe(|| {
        rounds::<B>(sweep, trial, device, &mut guarded_emit, &mut last_round)
    }));
    if let Some(e) = io_error {
        return Err(e);
    }
    let failure = match result {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(reason)) => reason,
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            format!("backend panic: {text}")
        }
    };
    let (round, labeled) = last_round;
    emit(RoundOutcome {
        round,
        labeled,
        result: Err(failure),
        select_seconds: 0.0,
        train_seconds: 0.0,
        train_steps: None,
        train_epochs: None,
    })
}

/// The rounds proper. Returns `Err(reason)` on a trial failure; `last_round` tracks the
/// round in progress so a failure row can name it.
fn rounds<B: AutodiffBackend>(
    sweep: &Sweep,
    trial: &Trial,
    device: &B::Device,
    emit: &mut dyn FnMut(RoundOutcome) -> bool,
    last_round: &mut (u32, usize),
) -> Result<(), String> {
    let data = sweep.data(trial);
    let reg = &sweep.regularizations[trial.regularization];
    let spec = sweep.model(trial);
    let sizes = sweep.budget(trial).sizes();
    let seeds = SeedStream::new(trial.seed);
    let strategy_spec = &sweep.strategies[trial.strategy];
    let mut strategy = sieve_strategies::build_strategy(&strategy_spec.name, &strategy_spec.params)
        .map_err(|e| e.to_string())?;
    let mut strategy_stream =
        strategy_rng(trial.seed, &strategy_spec.name, &strategy_spec.params_json);

    // The initial labeled set depends on the trial seed and the init strategy only:
    // identical across selection strategies.
    let mut pool = Pool::new(data.pool.len());
    let initial = initial_set(sweep, trial, &seeds, sizes[0])?;
    pool.label(&initial)?;

    let mut previous: Option<Network<B::InnerBackend>> = None;
    let mut select_seconds = 0.0;
    for (round, &size) in sizes.iter().enumerate() {
        *last_round = (round as u32, pool.labeled().len());
        let warm_start = if sweep.config.warm_start {
            previous.take()
        } else {
            None
        };
        // Out-of-distribution examples cost budget but add no label to the training set.
        let training = pool.training_indices(&data.ood);
        if training.is_empty() {
            return Err(format!(
                "all {} labeled examples are out of distribution: nothing to train on",
                pool.labeled().len()
            ));
        }
        let trained = train_model::<B>(
            TrainRequest {
                spec,
                regularization: reg,
                data: &data.pool,
                indices: &training,
                classes: data.target_classes,
                init_seed: seeds.model_init(round),
                train_seed: seeds.training(round),
                warm_start,
                device,
            },
            &mut |_, _| {},
        )
        .map_err(|e| e.to_string())?;
        let metrics = evaluate(
            &trained.model,
            &data.test,
            sweep.config.inference_batch_size,
            device,
        )
        .map_err(|e| e.to_string())?;
        let keep_going = emit(RoundOutcome {
            round: round as u32,
            labeled: pool.labeled().len(),
            result: Ok(metrics),
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
        *last_round = (round as u32 + 1, pool.labeled().len());
        let count = next - size;
        let started = Instant::now();
        let unlabeled = pool.unlabeled();
        let view = TrainedModel::<B::InnerBackend> {
            model: trained.model,
            pool: &data.pool,
            classes: data.target_classes,
            device: device.clone(),
            batch_size: sweep.config.inference_batch_size,
            dropout: reg.dropout,
            inference_seed: seeds.inference(round),
        };
        let request = SelectionRequest {
            labeled: pool.labeled(),
            unlabeled: &unlabeled,
            count,
        };
        let picks = strategy
            .select(&request, &view, &mut strategy_stream)
            .map_err(|e| format!("selection failed: {e}"))?;
        if picks.len() != count {
            return Err(format!(
                "strategy `{}` returned {} indices, {count} were requested",
                strategy_spec.name,
                picks.len()
            ));
        }
        pool.label(&picks).map_err(|e| {
            format!(
                "strategy `{}` returned a bad selection: {e}",
                strategy_spec.name
            )
        })?;
        select_seconds = started.elapsed().as_secs_f64();
        previous = Some(view.model);
    }
    Ok(())
}

/// The initial labeled set: the budget's init strategy on the pool's features, with a
/// stream derived from the trial seed (and, for cold-start methods, their name and
/// parameters) — never from the selection strategy.
fn initial_set(
    sweep: &Sweep,
    trial: &Trial,
    seeds: &SeedStream,
    count: usize,
) -> Result<Vec<usize>, String> {
    let data = sweep.data(trial);
    let budget = sweep.budget(trial);
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
        .ok_or_else(|| "pool features do not match the pool size".to_string())?;
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
