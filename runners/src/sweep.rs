//! Sweep expansion, shared by every run kind: the common block is validated, the data
//! loaded and checked, the kind's protocol prepared, and the product of the common axes,
//! the kind's axis values, the repeats and the kind's arms expanded into trials, each
//! with one [`TrialKey`] from which its id, label and record identity derive.

use std::collections::HashSet;

use sieve_bench_core::{derive_seed, ModelSpec, Regularization};
use sieve_datasets::{DatasetSpec, ScenarioData, ScenarioSpec};

use crate::config::{ConfigError, SweepConfig};
use crate::protocols::Protocol;

/// What identifies a trial: everything but the seed. Its text forms (the id that
/// resume keys on, the progress label) and the records' identity columns come from
/// here and nowhere else.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TrialKey {
    pub dataset: String,
    pub scenario: String,
    pub model: String,
    pub regularization: String,
    /// The kind's axis value (budget schedule name, fraction list...).
    pub axis_value: String,
    pub method: String,
    /// Compact JSON of the method's parameters.
    pub method_params: String,
    pub repeat: u32,
}

impl TrialKey {
    /// The stable id written in records and used to resume.
    pub fn id(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}{}|r{}",
            self.dataset,
            self.scenario,
            self.model,
            self.regularization,
            self.axis_value,
            self.method,
            self.method_params,
            self.repeat
        )
    }

    /// A short label for progress lines.
    pub fn label(&self) -> String {
        format!(
            "{} {} {} {} {} {} r{}",
            self.dataset,
            self.scenario,
            self.model,
            self.regularization,
            self.axis_value,
            self.method,
            self.repeat
        )
    }

    /// The parts the trial seed hashes: everything but the method (the paired design).
    fn seed_parts<'a>(&'a self, kind: &'a str, repeat: &'a str) -> [&'a str; 8] {
        [
            "trial",
            kind,
            &self.dataset,
            &self.scenario,
            &self.model,
            &self.regularization,
            &self.axis_value,
            repeat,
        ]
    }
}

/// One trial: one method on one setting at one repeat.
#[derive(Clone, Debug)]
pub struct Trial {
    pub key: TrialKey,
    /// `key.id()`, computed once.
    pub id: String,
    pub dataset: usize,
    pub scenario: usize,
    pub model: usize,
    pub regularization: usize,
    /// Index into the protocol's axis values.
    pub axis: usize,
    /// Index into the protocol's arms.
    pub arm: usize,
    pub repeat: u32,
    /// Derived from everything but the method (the paired design).
    pub seed: u64,
}

/// A validated sweep, ready to run.
pub struct Sweep {
    pub config: SweepConfig,
    /// Hash of the resolved config: a results folder belongs to exactly one sweep.
    pub sweep_id: String,
    /// Pools and test sets, indexed `[dataset][scenario]`.
    pub data: Vec<Vec<ScenarioData>>,
    pub regularizations: Vec<Regularization>,
    /// The kind's protocol: axis, arms, trial body.
    pub protocol: Protocol,
    pub trials: Vec<Trial>,
}

impl Sweep {
    /// Evaluations of a trial.
    pub fn evaluations(&self, trial: &Trial) -> usize {
        self.protocol.evaluations(trial)
    }

    /// Total evaluations in the sweep (for progress).
    pub fn total_evaluations(&self) -> usize {
        self.trials.iter().map(|t| self.evaluations(t)).sum()
    }

    pub fn dataset(&self, trial: &Trial) -> &DatasetSpec {
        &self.config.common.datasets[trial.dataset]
    }

    pub fn scenario(&self, trial: &Trial) -> &ScenarioSpec {
        &self.config.common.scenarios[trial.scenario]
    }

    /// The pool and test set of a trial.
    pub fn data(&self, trial: &Trial) -> &ScenarioData {
        &self.data[trial.dataset][trial.scenario]
    }

    pub fn model(&self, trial: &Trial) -> &ModelSpec {
        &self.config.common.models[trial.model]
    }

    pub fn regularization(&self, trial: &Trial) -> &Regularization {
        &self.regularizations[trial.regularization]
    }

    /// The trial's kind name.
    pub fn kind(&self) -> &'static str {
        self.config.kind_name()
    }
}

/// Most repeats a sweep may ask for.
pub const MAX_REPEATS: u32 = 100_000;

/// Most trials a sweep may expand to (a typo in a list, not an experiment).
pub const MAX_TRIALS: usize = 10_000_000;

/// A config error at `field`.
pub(crate) fn invalid(
    origin: &str,
    field: impl Into<String>,
    message: impl Into<String>,
) -> ConfigError {
    ConfigError::Invalid {
        path: origin.to_string(),
        field: field.into(),
        message: message.into(),
    }
}

/// Names must be unique within a list: they label records and key trials.
pub(crate) fn unique_names<'a>(
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

/// A validated config's trials, before any data is loaded: what `sieve merge` needs to
/// know which trials a sweep has.
pub struct Plan {
    pub regularizations: Vec<Regularization>,
    pub protocol: Protocol,
    pub trials: Vec<Trial>,
    pub sweep_id: String,
}

/// Validates the whole config and expands it into trials; `origin` names the file in
/// errors. `on_load(name)` is called before each data set is loaded (they can be large).
pub fn expand(
    config: SweepConfig,
    origin: &str,
    on_load: &mut dyn FnMut(&str),
) -> Result<Sweep, ConfigError> {
    let Plan {
        regularizations,
        protocol,
        trials,
        sweep_id,
    } = plan(&config, origin)?;
    let data = load_data(&config, &regularizations, &protocol, origin, on_load)?;
    Ok(Sweep {
        config,
        sweep_id,
        data,
        regularizations,
        protocol,
        trials,
    })
}

/// Validates the config's fields (everything that needs no data) and lists its trials.
pub fn plan(config: &SweepConfig, origin: &str) -> Result<Plan, ConfigError> {
    let common = &config.common;
    if common.repeats == 0 {
        return Err(invalid(
            origin,
            "repeats",
            "must be at least 1 (statistics need 2 or more)",
        ));
    }
    if common.repeats > MAX_REPEATS {
        return Err(invalid(
            origin,
            "repeats",
            format!("must be at most {MAX_REPEATS}, got {}", common.repeats),
        ));
    }
    if let Some(report) = &common.report {
        report
            .validate()
            .map_err(|e| invalid(origin, "report", e))?;
    }
    if common.inference_batch_size == 0 {
        return Err(invalid(
            origin,
            "inference_batch_size",
            "must be at least 1",
        ));
    }
    for (list, len) in [
        ("dataset", common.datasets.len()),
        ("scenario", common.scenarios.len()),
        ("model", common.models.len()),
        ("regularization", common.regularizations.len()),
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
        common.datasets.iter().map(|d| d.name.as_str()),
    )?;
    unique_names(
        origin,
        "scenario",
        common.scenarios.iter().map(|s| s.name.as_str()),
    )?;
    unique_names(
        origin,
        "model",
        common.models.iter().map(|m| m.name.as_str()),
    )?;
    unique_names(
        origin,
        "regularization",
        common.regularizations.iter().map(|r| r.name.as_str()),
    )?;

    // Regularization: presets and overrides resolve.
    let mut regularizations = Vec::new();
    for (i, spec) in common.regularizations.iter().enumerate() {
        let field = format!("regularization[{i}]");
        let reg = spec
            .resolve(&field)
            .map_err(|e| invalid(origin, &field, e.to_string()))?;
        reg.validate(&field, None)
            .map_err(|e| invalid(origin, &field, e.to_string()))?;
        // Only pool-based active learning has an unlabeled pool to train with.
        if reg.training.is_some() && config.kind_name() != "active" {
            return Err(invalid(
                origin,
                format!("{field}.training"),
                format!(
                    "`pseudo_label` and `self_supervised_init` train with the unlabeled pool, which only kind = \"active\" has; this config is kind = \"{}\"",
                    config.kind_name()
                ),
            ));
        }
        regularizations.push(reg);
    }
    // Models: known kinds, fields of their kind.
    for (i, model) in common.models.iter().enumerate() {
        model
            .validate(&format!("model[{i}]"), None)
            .map_err(|e| invalid(origin, format!("model[{i}]"), e.to_string()))?;
        // A model with its own dropout rates meets every regularization setting: the
        // regularization's dropout would be a second, silent one.
        if model.has_own_dropout() {
            if let Some((r, reg)) = regularizations
                .iter()
                .enumerate()
                .find(|(_, r)| r.dropout > 0.0)
            {
                return Err(invalid(
                    origin,
                    format!("regularization[{r}].dropout"),
                    format!(
                        "model `{}` carries its own dropout rates (gal_cnn's `dropout` field; a VGG's 0.5 in its head), so regularization `{}` must have dropout = 0",
                        model.name, reg.name
                    ),
                ));
            }
        }
    }
    for (i, scenario) in common.scenarios.iter().enumerate() {
        scenario
            .validate(None)
            .map_err(|e| invalid(origin, format!("scenario[{i}]"), e.to_string()))?;
    }

    // The kind's own fields: arms with their parameters, the axis, the reference.
    let protocol = Protocol::prepare(config, &regularizations, origin)?;
    // The number of trials, before anything is loaded or allocated.
    let trial_count = [
        common.datasets.len(),
        common.scenarios.len(),
        common.models.len(),
        common.regularizations.len(),
        protocol.axis_labels().len(),
        common.repeats as usize,
        protocol.arms().len(),
    ]
    .iter()
    .try_fold(1usize, |acc, &n| acc.checked_mul(n))
    .filter(|&n| n <= MAX_TRIALS)
    .ok_or_else(|| {
        invalid(
            origin,
            "repeats",
            format!("the sweep would have more than {MAX_TRIALS} trials (datasets x scenarios x models x regularizations x {} x repeats x methods)", protocol.axis()),
        )
    })?;

    let trials = enumerate_trials(config, &regularizations, &protocol, origin, trial_count)?;
    Ok(Plan {
        regularizations,
        protocol,
        trials,
        sweep_id: sweep_id(config),
    })
}

/// Loads every data set and scenario, checking them against the models, regularizations
/// and the kind's fields.
fn load_data(
    config: &SweepConfig,
    regularizations: &[Regularization],
    protocol: &Protocol,
    origin: &str,
    on_load: &mut dyn FnMut(&str),
) -> Result<Vec<Vec<ScenarioData>>, ConfigError> {
    let common = &config.common;
    // Data sets: fields first (cheap), then load and check against shapes and sizes.
    for (i, dataset) in common.datasets.iter().enumerate() {
        dataset.validate().map_err(|e| {
            // A misspelt built-in name (`digit`) reads as a missing source: suggest it.
            let hint = match dataset.source {
                None => {
                    sieve_bench_core::names::did_you_mean(&dataset.name, &["digits", "synthetic"])
                        .map(|n| format!(" (did you mean name = \"{n}\"?)"))
                        .unwrap_or_default()
                }
                Some(_) => String::new(),
            };
            invalid(origin, format!("dataset[{i}]"), format!("{e}{hint}"))
        })?;
    }
    // Relative data paths are relative to the config file, not to the working directory.
    let config_dir = std::path::Path::new(origin)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    let mut data = Vec::new();
    for (i, dataset) in common.datasets.iter().enumerate() {
        on_load(&dataset.name);
        let mut resolved = dataset.clone();
        if let (Some(dir), Some(path)) = (config_dir, &dataset.path) {
            if path.is_relative() {
                resolved.path = Some(dir.join(path));
            }
        }
        let splits = resolved
            .load(derive_seed(common.seed, &["dataset", &dataset.name]))
            .map_err(|e| invalid(origin, format!("dataset[{i}]"), e.to_string()))?;
        let shape = splits.train.shape;
        for (m, model) in common.models.iter().enumerate() {
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
        for (s, scenario) in common.scenarios.iter().enumerate() {
            let pool = scenario
                .apply(
                    &splits,
                    derive_seed(common.seed, &["scenario", &dataset.name, &scenario.name]),
                )
                .map_err(|e| {
                    invalid(
                        origin,
                        format!("scenario[{s}]"),
                        format!("with dataset `{}`: {e}", dataset.name),
                    )
                })?;
            protocol.check_data(&pool, &dataset.name, &scenario.name, origin)?;
            per_scenario.push(pool);
        }
        data.push(per_scenario);
    }
    Ok(data)
}

/// The product of the common axes, the kind's axis values, the repeats and the arms, in
/// the sweep's order (methods innermost, so paired trials run one after another).
fn enumerate_trials(
    config: &SweepConfig,
    regularizations: &[Regularization],
    protocol: &Protocol,
    origin: &str,
    trial_count: usize,
) -> Result<Vec<Trial>, ConfigError> {
    let common = &config.common;
    let kind = config.kind_name();
    let mut trials = Vec::with_capacity(trial_count);
    let mut ids = HashSet::new();
    for (d, dataset) in common.datasets.iter().enumerate() {
        for (sc, scenario) in common.scenarios.iter().enumerate() {
            for (m, model) in common.models.iter().enumerate() {
                for (r, reg) in regularizations.iter().enumerate() {
                    for (a, axis_value) in protocol.axis_labels().iter().enumerate() {
                        for repeat in 0..common.repeats {
                            let repeat_text = repeat.to_string();
                            let mut seed = None;
                            for (arm_index, arm) in protocol.arms().iter().enumerate() {
                                let key = TrialKey {
                                    dataset: dataset.name.clone(),
                                    scenario: scenario.name.clone(),
                                    model: model.name.clone(),
                                    regularization: reg.name.clone(),
                                    axis_value: axis_value.clone(),
                                    method: arm.name.clone(),
                                    method_params: arm.params_json.clone(),
                                    repeat,
                                };
                                let seed = *seed.get_or_insert_with(|| {
                                    derive_seed(common.seed, &key.seed_parts(kind, &repeat_text))
                                });
                                let id = key.id();
                                if !ids.insert(id.clone()) {
                                    return Err(invalid(
                                        origin,
                                        "",
                                        format!("two trials have the id `{id}`; make the names of datasets, scenarios, models, regularizations and {} unique", protocol.axis()),
                                    ));
                                }
                                trials.push(Trial {
                                    key,
                                    id,
                                    dataset: d,
                                    scenario: sc,
                                    model: m,
                                    regularization: r,
                                    axis: a,
                                    arm: arm_index,
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
    Ok(trials)
}

/// A stable id of the config's content (not its formatting, not its report options:
/// those change no record). Unset optional fields are left out of what is hashed, so a
/// sieve that adds an optional field (a model's `stem`, say) keeps the ids of existing
/// configs, and a sweep started with an older sieve resumes with a newer one.
pub fn sweep_id(config: &SweepConfig) -> String {
    let mut config = config.clone();
    config.common.report = None;
    let canonical = serde_json::to_string(&without_nulls(config.to_json())).unwrap_or_default();
    format!("{:016x}", derive_seed(0, &["sweep", &canonical]))
}

/// `value` with every `null` object member removed, at every depth.
fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unset_optional_fields_do_not_enter_the_hash() {
        let value = serde_json::json!({
            "a": null,
            "b": {"c": null, "d": 1, "e": [{"f": null, "g": 2}, null]},
        });
        assert_eq!(
            without_nulls(value),
            serde_json::json!({"b": {"d": 1, "e": [{"g": 2}, null]}})
        );
    }

    /// The id of the quick start is pinned: a change here means every existing results
    /// folder of every config stops resuming. Only change it on purpose (and say so in
    /// the release notes).
    #[test]
    fn the_quick_start_keeps_its_sweep_id() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/quickstart.toml");
        let config = SweepConfig::from_file(std::path::Path::new(path)).unwrap();
        assert_eq!(sweep_id(&config), "c9eee6cc34422fcd");
    }
}
