//! `kind = "online"`: online batch selection while training, the protocol of RHO-LOSS
//! (Mindermann et al., ICML 2022; OATML/RHO-Loss). A trial is one method at one `keep`
//! fraction and one repeat:
//!
//! 1. The training pool is split once per repeat (the same split for every method): a
//!    `holdout` share for the irreducible-loss model, the rest for the target model.
//! 2. Methods that read irreducible losses (`rho_loss`, `irreducible`) get them from a
//!    model trained on the holdout split (the `[irreducible]` block), evaluated once on
//!    every training row; computed once per setting and repeat, cached under
//!    `cache/online/`, and its test metrics written to `irreducible/` in the results.
//! 3. The target model trains with the trial's regularization, except that each step
//!    draws a big batch of `batch_size / keep` training rows and trains on the
//!    `batch_size` the method keeps. It is tested `evals_per_epoch` times per epoch; each
//!    test is one record with `x` = optimizer steps done.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::train::{
    evaluate, predict_probabilities, train_model, train_model_with, BatchOutputs, TrainObserver,
    TrainRequest,
};
use sieve_bench_core::{derive_seed, strategy_rng, Regularization, SeedStream};
use sieve_datasets::ScenarioData;
use sieve_results::write_atomic;
use sieve_strategies::online::{build_online_method, OnlineMethod};

use super::coreset::SelectionSetup;
use super::{build_error, resolve_arms, Arm, Emit, Evaluation, Position, TrialContext};
use crate::config::{ConfigError, OnlineConfig};
use crate::sweep::{invalid, Trial};

/// The reference method: a random subset of each big batch.
pub const REFERENCE: &str = "uniform";

/// Most evaluations per epoch.
pub const MAX_EVALS_PER_EPOCH: usize = 10_000;

/// The holdout model's outputs, shared by the methods of one setting and repeat.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Irreducible {
    /// The shared-work key it belongs to.
    key: String,
    /// Rows of the pool it trained on.
    holdout: usize,
    /// Its test metrics.
    test_accuracy: f64,
    test_loss: f64,
    seconds: f64,
    /// Its cross-entropy on every pool row (the holdout rows included, unused).
    losses: Vec<f32>,
}

/// The online-selection protocol of a sweep.
pub struct OnlineProtocol {
    keep: Vec<f64>,
    labels: Vec<String>,
    holdout: f64,
    evals_per_epoch: usize,
    /// Per regularization: epochs and the kept batch size.
    training: Vec<(usize, usize)>,
    arms: Vec<Arm>,
    methods: Vec<OnlineMethod>,
    irreducible: SelectionSetup,
    memo: Mutex<Option<Arc<Irreducible>>>,
}

impl OnlineProtocol {
    /// Resolves methods, the keep fractions and the irreducible model's setup.
    pub fn prepare(
        config: &OnlineConfig,
        regularizations: &[Regularization],
        origin: &str,
    ) -> Result<Self, ConfigError> {
        let arms = resolve_arms(
            origin,
            "method",
            &config.methods,
            REFERENCE,
            &|name, params| {
                build_online_method(name, params)
                    .map(|_| "{}".to_string())
                    .map_err(build_error)
            },
        )?;
        let methods = arms
            .iter()
            .map(|a| build_online_method(&a.name, &a.params))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(origin, "method", e.to_string()))?;
        if config.keep.is_empty() {
            return Err(invalid(
                origin,
                "keep",
                "needs at least one value, e.g. `keep = [0.1]` (RHO-LOSS: 10% of each big batch)",
            ));
        }
        if let Some(bad) = config
            .keep
            .iter()
            .find(|&&k| !(k.is_finite() && k > 0.0 && k <= 1.0))
        {
            return Err(invalid(
                origin,
                "keep",
                format!("every value must be in (0, 1], got {bad}"),
            ));
        }
        let mut keep = config.keep.clone();
        keep.sort_by(f64::total_cmp);
        keep.dedup();
        if !(config.holdout.is_finite() && config.holdout > 0.0 && config.holdout < 1.0) {
            return Err(invalid(
                origin,
                "holdout",
                format!("must be in (0, 1) (the paper: 0.5), got {}", config.holdout),
            ));
        }
        if !(1..=MAX_EVALS_PER_EPOCH).contains(&config.evals_per_epoch) {
            return Err(invalid(
                origin,
                "evals_per_epoch",
                format!(
                    "must be in 1..={MAX_EVALS_PER_EPOCH}, got {}",
                    config.evals_per_epoch
                ),
            ));
        }
        for (i, reg) in regularizations.iter().enumerate() {
            // Step counts must be known before the data is (resume counts records).
            if reg.min_steps > 0 {
                return Err(invalid(
                    origin,
                    format!("regularization[{i}].min_steps"),
                    "online training runs the regularization's `epochs` over the training split; min_steps would make the number of evaluations depend on the data size",
                ));
            }
        }
        let irreducible =
            SelectionSetup::prepare_block(&config.irreducible, origin, "irreducible")?;
        Ok(Self {
            labels: keep.iter().map(|k| format!("keep{k}")).collect(),
            keep,
            holdout: config.holdout,
            evals_per_epoch: config.evals_per_epoch,
            training: regularizations
                .iter()
                .map(|r| (r.epochs, r.batch_size))
                .collect(),
            arms,
            methods,
            irreducible,
            memo: Mutex::new(None),
        })
    }

    pub fn axis_labels(&self) -> &[String] {
        &self.labels
    }

    pub fn arms(&self) -> &[Arm] {
        &self.arms
    }

    /// `evals_per_epoch` tests per epoch of the trial's regularization.
    pub fn evaluations(&self, trial: &Trial) -> usize {
        let epochs = self.training.get(trial.regularization).map_or(1, |t| t.0);
        epochs * self.evals_per_epoch
    }

    /// Example passes: training sees every big batch forward once and a `keep` share of
    /// it backward; the irreducible model trains on the holdout.
    pub fn estimated_cost(&self, axis: usize, pool: usize, epochs: usize) -> f64 {
        let train = pool as f64 * (1.0 - self.holdout);
        train * epochs.max(1) as f64 * (1.0 + 2.0 * self.keep[axis])
            + pool as f64 * self.holdout * self.irreducible.epochs as f64
    }

    /// The irreducible model's key, for the methods that read it.
    pub fn shared_work_key(&self, trial: &Trial) -> Option<String> {
        self.methods[trial.arm]
            .needs_irreducible()
            .then(|| self.key(trial))
    }

    fn key(&self, trial: &Trial) -> String {
        let k = &trial.key;
        format!(
            "{}|{}|{}|{}|{}|r{}|seed{}|holdout{}|irreducible{}",
            k.dataset,
            k.scenario,
            k.model,
            k.regularization,
            k.axis_value,
            k.repeat,
            trial.seed,
            self.holdout,
            self.irreducible.identity
        )
    }

    /// Both splits hold data, and every epoch has at least `evals_per_epoch` steps.
    pub fn check_data(
        &self,
        data: &ScenarioData,
        dataset: &str,
        scenario: &str,
        origin: &str,
    ) -> Result<(), ConfigError> {
        self.irreducible.check_data(data, dataset, origin)?;
        if data.ood.iter().any(|&o| o) {
            return Err(invalid(
                origin,
                "scenario",
                format!("with dataset `{dataset}`: scenario `{scenario}` adds out-of-distribution examples, whose labels the model cannot predict; online selection trains on labeled in-distribution pools (label noise and redundancy apply)"),
            ));
        }
        let (train, holdout) = split_sizes(data.pool.len(), self.holdout);
        if train == 0 || holdout == 0 {
            return Err(invalid(
                origin,
                "holdout",
                format!("dataset `{dataset}`, scenario `{scenario}`: {} pool examples split into {train} for training and {holdout} held out; both need some", data.pool.len()),
            ));
        }
        for &(_, batch) in &self.training {
            for &keep in &self.keep {
                let steps = train.div_ceil(big_batch(batch, keep));
                if steps < self.evals_per_epoch {
                    return Err(invalid(
                        origin,
                        "evals_per_epoch",
                        format!("dataset `{dataset}`, scenario `{scenario}`: an epoch is {steps} steps (big batches of {} over {train} training examples), fewer than evals_per_epoch = {}", big_batch(batch, keep), self.evals_per_epoch),
                    ));
                }
            }
        }
        Ok(())
    }

    /// One trial: the split, the irreducible losses when the method reads them, then
    /// training with online selection, tested along the way.
    pub fn run<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
        emit: &mut Emit<'_>,
        position: &mut Position,
    ) -> Result<(), String> {
        let (sweep, trial, device) = (ctx.sweep, ctx.trial, ctx.device);
        let data = sweep.data(trial);
        let classes = data.target_classes;
        let method = self.methods[trial.arm];
        let arm = &self.arms[trial.arm];
        let (train_rows, holdout_rows) = split(data.pool.len(), self.holdout, trial.seed);
        let irreducible = if method.needs_irreducible() {
            Some(self.irreducible_losses(ctx, &holdout_rows)?)
        } else {
            None
        };

        let base = sweep.regularization(trial);
        let keep = self.keep[trial.axis];
        let mut reg = base.clone();
        reg.batch_size = big_batch(base.batch_size, keep);
        let steps_per_epoch = train_rows.len().div_ceil(reg.batch_size);
        let total = steps_per_epoch * reg.epochs;
        let mut eval_steps = BTreeSet::new();
        for epoch in 0..reg.epochs {
            for j in 1..=self.evals_per_epoch {
                eval_steps
                    .insert(epoch * steps_per_epoch + j * steps_per_epoch / self.evals_per_epoch);
            }
        }
        let mut selector = Selector {
            method,
            keep: base.batch_size,
            irreducible: irreducible.as_ref().map(|i| i.losses.as_slice()),
            rng: strategy_rng(trial.seed, &arm.name, &arm.params_json),
            eval_steps: &eval_steps,
            total,
            error: None,
        };
        let seeds = SeedStream::new(trial.seed);
        let spec = sweep.model(trial);
        let batch = sweep.config.common.inference_batch_size;
        let started = Instant::now();
        let mut round = 0u32;
        let mut stopped = false;
        let mut on_model =
            |steps: usize, epoch: usize, model: &sieve_bench_core::Network<B::InnerBackend>| {
                if stopped {
                    return Ok(());
                }
                *position = Position {
                    round,
                    x: steps as f64,
                };
                let metrics = evaluate(model, &data.test, batch, device)?;
                let keep_going = emit(Evaluation {
                    round,
                    eval_index: 0,
                    x: steps as f64,
                    metrics: Evaluation::test_metrics(&metrics),
                    select_seconds: if round == 0 {
                        irreducible.as_ref().map_or(0.0, |i| i.seconds)
                    } else {
                        0.0
                    },
                    train_seconds: started.elapsed().as_secs_f64(),
                    train_steps: Some(steps),
                    train_epochs: Some(epoch + 1),
                });
                round += 1;
                stopped = !keep_going;
                Ok(())
            };
        train_model_with::<B>(
            TrainRequest {
                spec,
                regularization: &reg,
                data: &data.pool,
                indices: &train_rows,
                classes,
                init_seed: seeds.model_init(0),
                train_seed: seeds.training(0),
                warm_start: None,
                example_weights: None,
                device,
                unlabeled: &[],
                learning_loss: None,
            },
            &mut |_, _| {},
            &mut selector,
            &mut on_model,
        )
        .map_err(|e| e.to_string())?;
        if let Some(error) = selector.error {
            return Err(format!("selection failed: {error}"));
        }
        Ok(())
    }

    /// The irreducible losses of the setting and repeat: from memory, the cache, or a
    /// model trained now on the holdout rows.
    fn irreducible_losses<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
        holdout_rows: &[usize],
    ) -> Result<Arc<Irreducible>, String> {
        let key = self.key(ctx.trial);
        let mut memo = self
            .memo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = memo.as_ref().filter(|m| m.key == key) {
            return Ok(found.clone());
        }
        let cache = ctx.out.map(|out| cache_path(out, &key));
        if let Some(found) = cache.as_deref().and_then(|p| load(p, &key)) {
            let found = Arc::new(found);
            *memo = Some(found.clone());
            return Ok(found);
        }
        let (sweep, trial, device) = (ctx.sweep, ctx.trial, ctx.device);
        let data = sweep.data(trial);
        let spec = self
            .irreducible
            .model
            .clone()
            .unwrap_or_else(|| sweep.model(trial).clone());
        let mut reg = self
            .irreducible
            .regularization
            .clone()
            .unwrap_or_else(|| sweep.regularization(trial).clone());
        reg.epochs = self.irreducible.epochs;
        reg.min_steps = 0;
        (ctx.note)(&format!(
            "  {}: training the irreducible-loss model on {} held-out examples",
            trial.key.label(),
            holdout_rows.len()
        ));
        let started = Instant::now();
        let seeds = SeedStream::new(derive_seed(trial.seed, &["irreducible"]));
        let trained = train_model::<B>(
            TrainRequest {
                spec: &spec,
                regularization: &reg,
                data: &data.pool,
                indices: holdout_rows,
                classes: data.target_classes,
                init_seed: seeds.model_init(0),
                train_seed: seeds.training(0),
                warm_start: None,
                example_weights: None,
                device,
                unlabeled: &[],
                learning_loss: None,
            },
            &mut |_, _| {},
        )
        .map_err(|e| format!("the irreducible-loss model: {e}"))?;
        let batch = sweep.config.common.inference_batch_size;
        let all: Vec<usize> = (0..data.pool.len()).collect();
        let probabilities = predict_probabilities(&trained.model, &data.pool, &all, batch, device)
            .map_err(|e| e.to_string())?;
        let losses = losses_from_probabilities(&probabilities, &data.pool.labels);
        let metrics =
            evaluate(&trained.model, &data.test, batch, device).map_err(|e| e.to_string())?;
        let result = Irreducible {
            key: key.clone(),
            holdout: holdout_rows.len(),
            test_accuracy: metrics.accuracy,
            test_loss: metrics.loss,
            seconds: started.elapsed().as_secs_f64(),
            losses,
        };
        (ctx.note)(&format!(
            "  {}: irreducible-loss model test accuracy {:.1}%",
            trial.key.label(),
            100.0 * result.test_accuracy
        ));
        if let Some(path) = &cache {
            save(path, &result)?;
        }
        let result = Arc::new(result);
        *memo = Some(result.clone());
        Ok(result)
    }
}

/// `batch / keep`, rounded, at least `batch`.
fn big_batch(batch: usize, keep: f64) -> usize {
    ((batch as f64 / keep).round() as usize).max(batch)
}

/// (training rows, holdout rows) counts.
fn split_sizes(n: usize, holdout: f64) -> (usize, usize) {
    let held = ((n as f64) * holdout).round() as usize;
    (n - held.min(n), held.min(n))
}

/// A seeded random split of `0..n`: the same for every method of a repeat.
fn split(n: usize, holdout: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rows: Vec<usize> = (0..n).collect();
    rows.shuffle(&mut ChaCha8Rng::seed_from_u64(derive_seed(
        seed,
        &["online-holdout"],
    )));
    let (_, held) = split_sizes(n, holdout);
    let mut holdout_rows = rows[..held].to_vec();
    let mut train_rows = rows[held..].to_vec();
    holdout_rows.sort_unstable();
    train_rows.sort_unstable();
    (train_rows, holdout_rows)
}

/// Cross-entropy of each row from its predicted probabilities (`-ln p_y`, with `p_y`
/// floored at 1e-12: at most 27.6 nats).
fn losses_from_probabilities(probabilities: &sieve_bench_core::Matrix, labels: &[u32]) -> Vec<f32> {
    labels
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            let p = probabilities.row(i).get(y as usize).copied().unwrap_or(0.0);
            -(p.max(1e-12)).ln()
        })
        .collect()
}

fn cache_path(out: &Path, key: &str) -> PathBuf {
    out.join("cache").join("online").join(format!(
        "{:016x}.json",
        derive_seed(0, &["online-irreducible", key])
    ))
}

fn load(path: &Path, key: &str) -> Option<Irreducible> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str::<Irreducible>(&text)
        .ok()
        .filter(|i| i.key == key)
}

fn save(path: &Path, value: &Irreducible) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_vec(value).map_err(|e| e.to_string())?;
    write_atomic(path, &text).map_err(|e| e.to_string())
}

/// The trainer hook: the method picks from each big batch; the model is tested at the
/// evaluation steps.
struct Selector<'a> {
    method: OnlineMethod,
    keep: usize,
    irreducible: Option<&'a [f32]>,
    rng: ChaCha8Rng,
    eval_steps: &'a BTreeSet<usize>,
    total: usize,
    error: Option<String>,
}

impl TrainObserver for Selector<'_> {
    fn wants_batches(&self) -> bool {
        false
    }

    fn on_batch(&mut self, _outputs: &BatchOutputs<'_>) {}

    fn keep_per_batch(&self) -> Option<usize> {
        Some(self.keep)
    }

    fn select(&mut self, outputs: &BatchOutputs<'_>) -> Vec<usize> {
        match self
            .method
            .select(outputs, self.keep, self.irreducible, &mut self.rng)
        {
            Ok(picks) => picks,
            Err(e) => {
                // Keep training valid; the trial fails with this message at the end.
                self.error.get_or_insert(e.to_string());
                (0..self.keep.min(outputs.rows.len())).collect()
            }
        }
    }

    fn select_reads_outputs(&self) -> bool {
        self.method.reads_outputs()
    }

    fn wants_model(&self, steps_done: usize, last: bool) -> bool {
        self.eval_steps.contains(&steps_done) || (last && steps_done == self.total)
    }
}
