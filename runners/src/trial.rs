//! One active-learning trial: initial set, then rounds of train -> evaluate -> select,
//! each evaluation handed to `emit` as soon as it is known. Errors inside the trial
//! (divergence, a strategy returning bad indices, a backend panic) end the trial with a
//! failed round instead of the sweep.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::train::{evaluate, train_model, EvalMetrics, TrainRequest};
use sieve_bench_core::{strategy_rng, Network, Pool, SeedStream, SelectionRequest, TrainedModel};

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
    let data = &sweep.data[trial.dataset];
    let reg = &sweep.regularizations[trial.regularization];
    let spec = sweep.model(trial);
    let sizes = sweep.budget(trial).sizes();
    let seeds = SeedStream::new(trial.seed);
    let strategy_spec = &sweep.strategies[trial.strategy];
    let mut strategy = sieve_strategies::build_strategy(&strategy_spec.name, &strategy_spec.params)
        .map_err(|e| e.to_string())?;
    let mut strategy_stream =
        strategy_rng(trial.seed, &strategy_spec.name, &strategy_spec.params_json);

    // The initial labeled set depends on the trial seed only: identical across strategies.
    let mut pool = Pool::new(data.train.len());
    let mut init_rng = ChaCha8Rng::seed_from_u64(seeds.initial_set());
    let initial: Vec<usize> = sample(&mut init_rng, data.train.len(), sizes[0]).into_vec();
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
        let trained = train_model::<B>(
            TrainRequest {
                spec,
                regularization: reg,
                data: &data.train,
                indices: pool.labeled(),
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
            pool: &data.train,
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
