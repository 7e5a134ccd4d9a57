//! `kind = "coreset"`: static selection of a fraction (or count) of the training set,
//! then a fresh model trained on the subset only, evaluated on the test set — the
//! DeepCore protocol without its bugs: the number recorded is the *final* model's test
//! accuracy (never the best over epochs, which selects on the test set), every repeat
//! has its own seed, and every method at a repeat sees the same selection model.
//!
//! A trial is one method at one repeat over the whole list of sizes: the method answers
//! every size at once (greedy methods give nested subsets), then one fresh model per size
//! is trained — with the same initialisation and data-order seeds for every method, so
//! comparisons with `uniform` are paired.

use std::sync::Mutex;
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use sieve_bench_core::train::{evaluate, train_model, TrainRequest};
use sieve_bench_core::{
    strategy_rng, CoresetRequest, CoresetSelection, ModelSpec, Regularization, SeedStream,
};
use sieve_datasets::ScenarioData;
use sieve_strategies::coreset::build_coreset_method;

use super::{build_error, resolve_arms, Arm, Emit, Evaluation, Position, TrialContext};
use crate::config::{CommonConfig, ConfigError, CoresetConfig, SelectionConfig};
use crate::sweep::{invalid, Trial};

pub(crate) mod shared;

use shared::{Memo, SharedKey};

/// The reference method.
pub const REFERENCE: &str = "uniform";

/// The subset sizes of a trial's curve.
#[derive(Clone, Debug, PartialEq)]
enum Sizes {
    Fractions(Vec<f64>),
    Counts(Vec<usize>),
}

impl Sizes {
    fn len(&self) -> usize {
        match self {
            Sizes::Fractions(f) => f.len(),
            Sizes::Counts(c) => c.len(),
        }
    }

    /// Subset size `i` for a training set of `n` rows (a fraction rounds to nearest, at
    /// least 1).
    fn count(&self, i: usize, n: usize) -> usize {
        match self {
            Sizes::Fractions(f) => ((f[i] * n as f64).round() as usize).clamp(1, n.max(1)),
            Sizes::Counts(c) => c[i],
        }
    }

    /// The curve's x of size `i`.
    fn x(&self, i: usize) -> f64 {
        match self {
            Sizes::Fractions(f) => f[i],
            Sizes::Counts(c) => c[i] as f64,
        }
    }
}

/// The selection model as configured (resolved per trial against the trial's own model
/// and regularization when not given).
#[derive(Clone, Debug)]
pub(crate) struct SelectionSetup {
    pub model: Option<ModelSpec>,
    pub regularization: Option<Regularization>,
    pub epochs: usize,
    /// Compact JSON of the above: part of the shared-work key.
    pub identity: String,
    /// The config block it came from (`selection`, `irreducible`), for error messages.
    pub block: &'static str,
}

impl SelectionSetup {
    /// Resolves and validates a `[selection]` block (before any data is loaded).
    pub(crate) fn prepare(selection: &SelectionConfig, origin: &str) -> Result<Self, ConfigError> {
        Self::prepare_block(selection, origin, "selection")
    }

    /// Resolves a block of the `[selection]` form named `block`.
    pub(crate) fn prepare_block(
        selection: &SelectionConfig,
        origin: &str,
        block: &'static str,
    ) -> Result<Self, ConfigError> {
        let field = |name: &str| format!("{block}.{name}");
        if selection.epochs == 0 {
            return Err(invalid(origin, field("epochs"), "must be at least 1"));
        }
        if let Some(model) = &selection.model {
            model
                .validate(&field("model"), None)
                .map_err(|e| invalid(origin, field("model"), e.to_string()))?;
        }
        let regularization = match &selection.regularization {
        Some(spec) if spec.epochs.is_some() || spec.min_steps.is_some() => {
            return Err(invalid(
                origin,
                field("regularization.epochs"),
                format!("the model trains `{block}.epochs` epochs; set that instead of epochs or min_steps here"),
            ))
        }
        Some(spec) => {
            let reg = spec
                .resolve(&field("regularization"))
                .map_err(|e| invalid(origin, field("regularization"), e.to_string()))?;
            reg.validate(&field("regularization"), None)
                .map_err(|e| invalid(origin, field("regularization"), e.to_string()))?;
            Some(reg)
        }
        None => None,
    };
        let identity = serde_json::to_string(selection).unwrap_or_default();
        Ok(Self {
            model: selection.model.clone(),
            regularization,
            epochs: selection.epochs,
            identity,
            block,
        })
    }

    /// Checks the selection model and its training against one loaded pool.
    pub(crate) fn check_data(
        &self,
        data: &ScenarioData,
        dataset: &str,
        origin: &str,
    ) -> Result<(), ConfigError> {
        let block = self.block;
        let field = |name: &str| format!("{block}.{name}");
        if let Some(model) = &self.model {
            model
                .validate(&field("model"), Some(data.pool.shape))
                .map_err(|e| {
                    invalid(
                        origin,
                        field("model"),
                        format!("with dataset `{dataset}`: {e}"),
                    )
                })?;
        }
        if let Some(reg) = &self.regularization {
            reg.validate(&field("regularization"), Some(data.pool.shape))
                .map_err(|e| {
                    invalid(
                        origin,
                        field("regularization"),
                        format!("with dataset `{dataset}`: {e}"),
                    )
                })?;
        }
        Ok(())
    }
}

/// The coreset protocol of a sweep.
pub struct CoresetProtocol {
    sizes: Sizes,
    balance: bool,
    labels: Vec<String>,
    arms: Vec<Arm>,
    selection: SelectionSetup,
    /// Shared work of the setting and repeat now running (trials of all methods at one
    /// repeat run one after another).
    memo: Mutex<Option<Memo>>,
}

impl CoresetProtocol {
    /// Resolves methods, sizes and the selection model.
    pub fn prepare(
        config: &CoresetConfig,
        common: &CommonConfig,
        origin: &str,
    ) -> Result<Self, ConfigError> {
        let arms = resolve_arms(
            origin,
            "method",
            &config.methods,
            REFERENCE,
            &|name, params| {
                build_coreset_method(name, params)
                    .map(|m| m.params_json())
                    .map_err(build_error)
            },
        )?;
        let sizes = match (&config.fractions, &config.counts) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    origin,
                    "counts",
                    "give `fractions` or `counts`, not both",
                ))
            }
            (None, None) => {
                return Err(invalid(
                    origin,
                    "fractions",
                    "missing: give `fractions = [0.01, 0.1, ...]` (of the training set) or `counts = [...]`",
                ))
            }
            (Some(f), None) => {
                if f.is_empty() {
                    return Err(invalid(origin, "fractions", "needs at least one value"));
                }
                if let Some(bad) = f.iter().find(|v| !(v.is_finite() && **v > 0.0 && **v <= 1.0)) {
                    return Err(invalid(
                        origin,
                        "fractions",
                        format!("every fraction must be in (0, 1], got {bad}"),
                    ));
                }
                let mut f = f.clone();
                f.sort_by(f64::total_cmp);
                f.dedup();
                Sizes::Fractions(f)
            }
            (None, Some(c)) => {
                if c.is_empty() || c.contains(&0) {
                    return Err(invalid(
                        origin,
                        "counts",
                        "needs at least one value, each at least 1",
                    ));
                }
                let mut c = c.clone();
                c.sort_unstable();
                c.dedup();
                Sizes::Counts(c)
            }
        };
        let label = {
            let values: Vec<String> = match &sizes {
                Sizes::Fractions(f) => f.iter().map(f64::to_string).collect(),
                Sizes::Counts(c) => c.iter().map(usize::to_string).collect(),
            };
            let prefix = if matches!(sizes, Sizes::Fractions(_)) {
                "f"
            } else {
                "n"
            };
            let balance = if config.balance { "" } else { "-unbalanced" };
            format!("{prefix}{}{balance}", values.join("-"))
        };
        let selection = SelectionSetup::prepare(&config.selection, origin)?;
        let _ = common;
        Ok(Self {
            sizes,
            balance: config.balance,
            labels: vec![label],
            arms,
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

    /// One evaluation per subset size.
    pub fn evaluations(&self, _axis: usize) -> usize {
        self.sizes.len()
    }

    /// The identity of the shared work (selection model, scores) `trial` uses: the
    /// cache key, equal for every method at one setting and repeat.
    /// Trials with the same key compute the same shared work, so `--jobs` runs one of
    /// them first and the others after it (never two copies at once). The key names the
    /// work the method needs: the selection model (with its dynamics and DeepFool), or
    /// one set of early-training scores; a method that needs none (uniform) is a group of
    /// its own and runs whenever a worker is free.
    pub fn shared_work_key(&self, trial: &Trial) -> String {
        let base = shared::SharedKey::of(trial, &self.selection)
            .text()
            .to_string();
        let arm = &self.arms[trial.arm];
        let Ok(method) = build_coreset_method(&arm.name, &arm.params) else {
            return base;
        };
        let needs = method.needs();
        if needs.selection_model || needs.dynamics || needs.deepfool {
            format!("{base}|selection")
        } else if let Some(early) = needs.early_scores {
            format!("{base}|early-i{}-e{}", early.inits, early.epochs)
        } else {
            format!("{base}|none|{}", trial.id)
        }
    }

    /// Example passes of a trial (for sharding): `epochs` over each subset, plus the
    /// selection's passes over the whole pool.
    pub fn estimated_cost(&self, pool: usize, epochs: usize) -> f64 {
        let training: usize = (0..self.sizes.len())
            .map(|i| self.sizes.count(i, pool))
            .sum();
        (training as f64) * epochs.max(1) as f64 + pool as f64
    }

    /// What x counts.
    pub fn x_name(&self) -> &'static str {
        match self.sizes {
            Sizes::Fractions(_) => "fraction",
            Sizes::Counts(_) => "count",
        }
    }

    /// Sizes fit the training set; no out-of-distribution scenario.
    pub fn check_data(
        &self,
        data: &ScenarioData,
        dataset: &str,
        scenario: &str,
        origin: &str,
    ) -> Result<(), ConfigError> {
        let n = data.pool.len();
        self.selection.check_data(data, dataset, origin)?;
        if data.ood.iter().any(|&o| o) {
            return Err(invalid(
                origin,
                "scenario",
                format!("with dataset `{dataset}`: scenario `{scenario}` adds out-of-distribution examples; coreset selection runs on in-distribution training sets only (use imbalance, redundancy or label_noise)"),
            ));
        }
        if let Sizes::Counts(c) = &self.sizes {
            if let Some(&big) = c.iter().find(|&&k| k > n) {
                return Err(invalid(
                    origin,
                    "counts",
                    format!("{big} is larger than the training set of dataset `{dataset}`, scenario `{scenario}` ({n} examples)"),
                ));
            }
        }
        Ok(())
    }

    /// One trial: every size selected by the method, one fresh model trained per size.
    pub fn run<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
        emit: &mut Emit<'_>,
        position: &mut Position,
    ) -> Result<(), String> {
        let (sweep, trial, device) = (ctx.sweep, ctx.trial, ctx.device);
        let data = sweep.data(trial);
        let pool = &data.pool;
        let n = pool.len();
        let arm = &self.arms[trial.arm];
        let mut method = build_coreset_method(&arm.name, &arm.params).map_err(|e| e.to_string())?;
        let needs = method.needs();
        *position = Position {
            round: 0,
            x: self.sizes.x(0),
        };

        // Shared work (selection model, dynamics, early scores, DeepFool), computed once
        // per setting and repeat and reused by every method.
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

        // Select every size at once, per class when balanced.
        let counts: Vec<usize> = (0..self.sizes.len())
            .map(|i| self.sizes.count(i, n))
            .collect();
        let started = Instant::now();
        let mut rng = strategy_rng(trial.seed, &arm.name, &arm.params_json);
        let groups: Vec<Vec<usize>> = if self.balance {
            pool.indices_by_class()
        } else {
            vec![(0..n).collect()]
        };
        let group_sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        let quotas: Vec<Vec<usize>> = counts
            .iter()
            .map(|&k| class_quotas(&group_sizes, k))
            .collect();
        let mut merged: Vec<CoresetSelection> = vec![CoresetSelection::default(); counts.len()];
        let mut weighted = false;
        for (g, group) in groups.iter().enumerate() {
            let group_counts: Vec<usize> = quotas.iter().map(|q| q[g]).collect();
            if group.is_empty() || group_counts.iter().all(|&k| k == 0) {
                continue;
            }
            let request = CoresetRequest {
                candidates: group,
                counts: &group_counts,
                labels: &pool.labels,
                classes: data.target_classes,
            };
            let picks = method
                .select(&request, &context, &mut rng)
                .map_err(|e| format!("selection failed: {e}"))?;
            check_selection(&arm.name, &request, &picks)?;
            for (slot, pick) in merged.iter_mut().zip(picks) {
                weighted |= pick.weights.is_some();
                let count = pick.indices.len();
                slot.indices.extend(pick.indices);
                match (pick.weights, &mut slot.weights) {
                    (Some(w), Some(all)) => all.extend(w),
                    (Some(w), None) => {
                        let mut all = vec![1.0; slot.indices.len() - count];
                        all.extend(w);
                        slot.weights = Some(all);
                    }
                    (None, Some(all)) => all.extend(std::iter::repeat_n(1.0, count)),
                    (None, None) => {}
                }
            }
        }
        let select_seconds = started.elapsed().as_secs_f64();

        // One fresh model per size, seeded by the trial (the same for every method).
        let reg = sweep.regularization(trial);
        let spec = sweep.model(trial);
        let seeds = SeedStream::new(trial.seed);
        let batch = sweep.config.common.inference_batch_size;
        for (i, selection) in merged.iter().enumerate() {
            *position = Position {
                round: i as u32,
                x: self.sizes.x(i),
            };
            let row_weights = selection.weights.as_ref().map(|w| {
                let mut all = vec![0.0f32; n];
                for (&row, &wi) in selection.indices.iter().zip(w) {
                    all[row] = wi;
                }
                all
            });
            let trained = train_model::<B>(
                TrainRequest {
                    spec,
                    regularization: reg,
                    data: pool,
                    indices: &selection.indices,
                    classes: data.target_classes,
                    init_seed: seeds.model_init(i),
                    train_seed: seeds.training(i),
                    warm_start: None,
                    example_weights: if weighted {
                        row_weights.as_deref()
                    } else {
                        None
                    },
                    device,
                    unlabeled: &[],
                    learning_loss: None,
                },
                &mut |_, _| {},
            )
            .map_err(|e| e.to_string())?;
            let metrics =
                evaluate(&trained.model, &data.test, batch, device).map_err(|e| e.to_string())?;
            let keep_going = emit(Evaluation {
                round: i as u32,
                eval_index: 0,
                x: self.sizes.x(i),
                metrics: Evaluation::test_metrics(&metrics),
                select_seconds: if i == 0 { select_seconds } else { 0.0 },
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
}

/// Splits `total` over classes of sizes `sizes` proportionally (largest remainder; ties
/// to the lower class), so the quotas sum to exactly `total` and none exceeds its class.
pub fn class_quotas(sizes: &[usize], total: usize) -> Vec<usize> {
    let n: usize = sizes.iter().sum();
    if n == 0 {
        return vec![0; sizes.len()];
    }
    let total = total.min(n);
    let mut quotas: Vec<usize> = sizes.iter().map(|&s| s * total / n).collect();
    let mut remainders: Vec<(usize, usize)> = sizes
        .iter()
        .enumerate()
        .map(|(c, &s)| ((s * total) % n, c))
        .collect();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut left = total - quotas.iter().sum::<usize>();
    for &(_, c) in remainders.iter().cycle() {
        if left == 0 {
            break;
        }
        if quotas[c] < sizes[c] {
            quotas[c] += 1;
            left -= 1;
        }
    }
    quotas
}

/// A method's answer must be exact: per count, that many distinct candidates, and
/// weights (when given) one per row, finite and non-negative.
fn check_selection(
    method: &str,
    request: &CoresetRequest<'_>,
    picks: &[CoresetSelection],
) -> Result<(), String> {
    if picks.len() != request.counts.len() {
        return Err(format!(
            "method `{method}` answered {} sizes, {} were asked",
            picks.len(),
            request.counts.len()
        ));
    }
    for (pick, &count) in picks.iter().zip(request.counts) {
        if pick.indices.len() != count {
            return Err(format!(
                "method `{method}` returned {} rows, {count} were requested",
                pick.indices.len()
            ));
        }
        let mut sorted = pick.indices.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!("method `{method}` returned a row twice"));
        }
        if let Some(&bad) = sorted
            .iter()
            .find(|r| request.candidates.binary_search(r).is_err())
        {
            return Err(format!(
                "method `{method}` returned row {bad}, which is not a candidate"
            ));
        }
        if let Some(w) = &pick.weights {
            if w.len() != count || w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(format!(
                    "method `{method}` returned invalid weights (one finite value >= 0 per row expected)"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_are_proportional_and_exact() {
        assert_eq!(class_quotas(&[50, 30, 20], 10), vec![5, 3, 2]);
        assert_eq!(class_quotas(&[5, 5, 5], 4), vec![2, 1, 1]);
        assert_eq!(class_quotas(&[1, 100], 50), vec![0, 50]);
        assert_eq!(class_quotas(&[3, 3], 100), vec![3, 3]);
        assert_eq!(class_quotas(&[7, 2, 1], 10).iter().sum::<usize>(), 10);
    }
}
