//! Sweep expansion: the cartesian product of the config's lists times the repeats,
//! validated whole before any training. Data sets are loaded here so that budgets and
//! models are checked against the real pool size and example shape.

use std::collections::HashSet;

use sieve_bench_core::names::unknown_name_message;
use sieve_bench_core::{derive_seed, BudgetSchedule, ModelSpec, Regularization};
use sieve_datasets::{DatasetSpec, ScenarioData, ScenarioSpec};

use crate::config::{ConfigError, SweepConfig};

/// The experiment kinds sieve knows; only `active` runs in this release.
pub const KINDS: &[&str] = &["active", "coreset", "condense", "online", "continual"];

/// The name of the reference strategy every sweep must include.
pub const REFERENCE: &str = "random";

/// One trial: one strategy on one setting at one repeat.
#[derive(Clone, Debug)]
pub struct Trial {
    /// Stable id, unique in the sweep; used to resume.
    pub id: String,
    pub dataset: usize,
    pub scenario: usize,
    pub model: usize,
    pub regularization: usize,
    pub budget: usize,
    pub strategy: usize,
    pub repeat: u32,
    /// Derived from everything but the strategy (the paired design).
    pub seed: u64,
}

/// A strategy as resolved: its registry name and its parameters as compact JSON.
#[derive(Clone, Debug)]
pub struct ResolvedStrategy {
    pub name: String,
    pub params: serde_json::Value,
    pub params_json: String,
}

/// A validated sweep, ready to run.
pub struct Sweep {
    pub config: SweepConfig,
    /// Hash of the resolved config: a results folder belongs to exactly one sweep.
    pub sweep_id: String,
    /// Pools and test sets, indexed `[dataset][scenario]`.
    pub data: Vec<Vec<ScenarioData>>,
    pub regularizations: Vec<Regularization>,
    pub budget_labels: Vec<String>,
    pub strategies: Vec<ResolvedStrategy>,
    pub trials: Vec<Trial>,
}

impl Sweep {
    /// Rounds (evaluations) of a trial.
    pub fn rounds(&self, trial: &Trial) -> usize {
        self.config.budgets[trial.budget].sizes().len()
    }

    /// Total evaluations in the sweep (for progress).
    pub fn total_evaluations(&self) -> usize {
        self.trials.iter().map(|t| self.rounds(t)).sum()
    }

    pub fn dataset(&self, trial: &Trial) -> &DatasetSpec {
        &self.config.datasets[trial.dataset]
    }

    pub fn scenario(&self, trial: &Trial) -> &ScenarioSpec {
        &self.config.scenarios[trial.scenario]
    }

    /// The pool and test set of a trial.
    pub fn data(&self, trial: &Trial) -> &ScenarioData {
        &self.data[trial.dataset][trial.scenario]
    }

    pub fn model(&self, trial: &Trial) -> &ModelSpec {
        &self.config.models[trial.model]
    }

    pub fn budget(&self, trial: &Trial) -> &BudgetSchedule {
        &self.config.budgets[trial.budget]
    }
}

fn invalid(origin: &str, field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        path: origin.to_string(),
        field: field.into(),
        message: message.into(),
    }
}

fn unique_names<'a>(
    origin: &str,
    list: &str,
    names: impl Iterator<Item = &'a str>,
) -> Result<(), ConfigError> {
    let mut seen = HashSet::new();
    for (i, name) in names.enumerate() {
        if !seen.insert(name) {
            return Err(invalid(
                origin,
                format!("{list}[{i}].name"),
                format!("`{name}` appears twice; names must be unique within `{list}`"),
            ));
        }
    }
    Ok(())
}

/// Validates the whole config and expands it into trials; `origin` names the file in
/// errors. `on_load(name)` is called before each data set is loaded (they can be large).
pub fn expand(
    config: SweepConfig,
    origin: &str,
    on_load: &mut dyn FnMut(&str),
) -> Result<Sweep, ConfigError> {
    if config.kind != "active" {
        let message = if KINDS.contains(&config.kind.as_str()) {
            format!(
                "kind `{}` is not available in this release of sieve; use `active`",
                config.kind
            )
        } else {
            unknown_name_message("experiment kind", &config.kind, KINDS)
        };
        return Err(invalid(origin, "kind", message));
    }
    if config.repeats == 0 {
        return Err(invalid(
            origin,
            "repeats",
            "must be at least 1 (statistics need 2 or more)",
        ));
    }
    if let Some(report) = &config.report {
        report
            .validate()
            .map_err(|e| invalid(origin, "report", e))?;
    }
    if config.inference_batch_size == 0 {
        return Err(invalid(
            origin,
            "inference_batch_size",
            "must be at least 1",
        ));
    }
    for (list, len) in [
        ("dataset", config.datasets.len()),
        ("model", config.models.len()),
        ("regularization", config.regularizations.len()),
        ("strategy", config.strategies.len()),
        ("budget", config.budgets.len()),
    ] {
        if len == 0 {
            return Err(invalid(
                origin,
                list,
                format!("add at least one [[{list}]] block"),
            ));
        }
    }
    unique_names(
        origin,
        "dataset",
        config.datasets.iter().map(|d| d.name.as_str()),
    )?;
    unique_names(
        origin,
        "model",
        config.models.iter().map(|m| m.name.as_str()),
    )?;
    unique_names(
        origin,
        "regularization",
        config.regularizations.iter().map(|r| r.name.as_str()),
    )?;

    // Strategies: known names, valid parameters, random present, no duplicates.
    let mut strategies = Vec::new();
    let mut seen = HashSet::new();
    for (i, spec) in config.strategies.iter().enumerate() {
        let params = match &spec.params {
            Some(table) => serde_json::to_value(table)
                .map_err(|e| invalid(origin, format!("strategy[{i}].params"), e.to_string()))?,
            None => serde_json::Value::Null,
        };
        let built = sieve_strategies::build_strategy(&spec.name, &params).map_err(|e| {
            let field = match e {
                sieve_strategies::RegistryError::UnknownStrategy(_) => {
                    format!("strategy[{i}].name")
                }
                sieve_strategies::RegistryError::BadParams { .. } => {
                    format!("strategy[{i}].params")
                }
            };
            invalid(origin, field, e.to_string())
        })?;
        let params_json = built.params_json();
        if !seen.insert((spec.name.clone(), params_json.clone())) {
            return Err(invalid(
                origin,
                format!("strategy[{i}]"),
                format!(
                    "`{}` with parameters {params_json} appears twice",
                    spec.name
                ),
            ));
        }
        strategies.push(ResolvedStrategy {
            name: spec.name.clone(),
            params,
            params_json,
        });
    }
    if !strategies.iter().any(|s| s.name == REFERENCE) {
        return Err(invalid(
            origin,
            "strategy",
            "no `random` strategy: every sweep needs random sampling as its reference; add [[strategy]] name = \"random\"",
        ));
    }

    // Regularization: presets and overrides resolve.
    let mut regularizations = Vec::new();
    for (i, spec) in config.regularizations.iter().enumerate() {
        let reg = spec
            .resolve(&format!("regularization[{i}]"))
            .map_err(|e| invalid(origin, format!("regularization[{i}]"), e.to_string()))?;
        reg.validate(&format!("regularization[{i}]"), None)
            .map_err(|e| invalid(origin, format!("regularization[{i}]"), e.to_string()))?;
        regularizations.push(reg);
    }

    // Budgets: well formed, with a known cold-start strategy and valid parameters.
    for (i, budget) in config.budgets.iter().enumerate() {
        budget
            .validate(&format!("budget[{i}]"), None)
            .map_err(|e| invalid(origin, format!("budget[{i}]"), e.to_string()))?;
        let params = budget
            .init_params
            .clone()
            .unwrap_or(serde_json::Value::Null);
        sieve_strategies::init::build_init_strategy(budget.init_name(), &params).map_err(|e| {
            let field = match e {
                sieve_strategies::RegistryError::UnknownStrategy(_) => "init_strategy",
                sieve_strategies::RegistryError::BadParams { .. } => "init_params",
            };
            invalid(origin, format!("budget[{i}].{field}"), e.to_string())
        })?;
    }
    let budget_labels: Vec<String> = config.budgets.iter().map(BudgetSchedule::label).collect();
    unique_names(origin, "budget", budget_labels.iter().map(String::as_str))?;

    // Models: known kinds.
    for (i, model) in config.models.iter().enumerate() {
        model
            .validate(&format!("model[{i}]"), None)
            .map_err(|e| invalid(origin, format!("model[{i}]"), e.to_string()))?;
    }

    // Data sets: fields first (cheap), then load and check against shapes and sizes.
    for (i, dataset) in config.datasets.iter().enumerate() {
        dataset
            .validate()
            .map_err(|e| invalid(origin, format!("dataset[{i}]"), e.to_string()))?;
    }
    let mut data = Vec::new();
    for (i, dataset) in config.datasets.iter().enumerate() {
        on_load(&dataset.name);
        let splits = dataset
            .load(derive_seed(config.seed, &["dataset", &dataset.name]))
            .map_err(|e| invalid(origin, format!("dataset[{i}]"), e.to_string()))?;
        let shape = splits.train.shape;
        for (m, model) in config.models.iter().enumerate() {
            model
                .validate(&format!("model[{m}]"), Some(shape))
                .map_err(|e| {
                    invalid(
                        origin,
                        format!("model[{m}]"),
                        format!("with dataset `{}`: {e}", dataset.name),
                    )
                })?;
        }
        for (r, reg) in regularizations.iter().enumerate() {
            reg.validate(&format!("regularization[{r}]"), Some(shape))
                .map_err(|e| {
                    invalid(
                        origin,
                        format!("regularization[{r}]"),
                        format!("with dataset `{}`: {e}", dataset.name),
                    )
                })?;
        }
        let mut per_scenario = Vec::new();
        for (s, scenario) in config.scenarios.iter().enumerate() {
            let pool = scenario
                .apply(
                    &splits,
                    derive_seed(config.seed, &["scenario", &dataset.name, &scenario.name]),
                )
                .map_err(|e| {
                    invalid(
                        origin,
                        format!("scenario[{s}]"),
                        format!("with dataset `{}`: {e}", dataset.name),
                    )
                })?;
            for (b, budget) in config.budgets.iter().enumerate() {
                budget
                    .validate(&format!("budget[{b}]"), Some(pool.pool.len()))
                    .map_err(|e| {
                        invalid(
                            origin,
                            format!("budget[{b}]"),
                            format!(
                                "with dataset `{}`, scenario `{}`: {e}",
                                dataset.name, scenario.name
                            ),
                        )
                    })?;
            }
            per_scenario.push(pool);
        }
        data.push(per_scenario);
    }

    let sweep_id = sweep_id(&config);
    let mut trials = Vec::new();
    for (d, dataset) in config.datasets.iter().enumerate() {
        for (sc, scenario) in config.scenarios.iter().enumerate() {
            for (m, model) in config.models.iter().enumerate() {
                for (r, reg) in regularizations.iter().enumerate() {
                    for (b, budget_label) in budget_labels.iter().enumerate() {
                        for repeat in 0..config.repeats {
                            let seed = derive_seed(
                                config.seed,
                                &[
                                    "trial",
                                    &config.kind,
                                    &dataset.name,
                                    &scenario.name,
                                    &model.name,
                                    &reg.name,
                                    budget_label,
                                    &repeat.to_string(),
                                ],
                            );
                            for (s, strategy) in strategies.iter().enumerate() {
                                let id = format!(
                                    "{}|{}|{}|{}|{}|{}{}|r{}",
                                    dataset.name,
                                    &scenario.name,
                                    model.name,
                                    reg.name,
                                    budget_label,
                                    strategy.name,
                                    strategy.params_json,
                                    repeat
                                );
                                trials.push(Trial {
                                    id,
                                    dataset: d,
                                    scenario: sc,
                                    model: m,
                                    regularization: r,
                                    budget: b,
                                    strategy: s,
                                    repeat,
                                    seed,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(Sweep {
        config,
        sweep_id,
        data,
        regularizations,
        budget_labels,
        strategies,
        trials,
    })
}

/// A stable id of the config's content (not its formatting, not its report options:
/// those change no record).
pub fn sweep_id(config: &SweepConfig) -> String {
    let mut config = config.clone();
    config.report = None;
    let canonical = serde_json::to_string(&config).unwrap_or_default();
    format!("{:016x}", derive_seed(0, &["sweep", &canonical]))
}
