//! One protocol per run kind behind one interface: its axis (budget, fractions...), its
//! arms (the methods compared, with the reference), validation against the loaded data,
//! the evaluations a trial emits, and the trial body. Everything else — expansion,
//! seeds, resume, failure rows, progress, the writer, device dispatch — is shared.
//!
//! The set of kinds is closed, so this is an enum; the methods inside a kind live in
//! the strategies crate's registries.

use std::path::Path;

use burn::tensor::backend::AutodiffBackend;
use sieve_bench_core::train::EvalMetrics;
use sieve_bench_core::Regularization;
use sieve_datasets::ScenarioData;
use sieve_results::{Metric, MetricValues};

use crate::config::{ConfigError, KindConfig, MethodSpec, SweepConfig};
use crate::sweep::{invalid, Sweep, Trial};

pub mod active;
pub mod condense;
pub mod continual;
pub mod coreset;
pub(crate) mod model_bytes;
pub mod online;
pub(crate) mod pretext;

/// A method as resolved: its registry name and its parameters as compact JSON.
#[derive(Clone, Debug)]
pub struct Arm {
    pub name: String,
    pub params: serde_json::Value,
    pub params_json: String,
    /// The display name in records, tables and plots.
    pub label: String,
}

/// One point of a trial's curve, handed to the writer as soon as it is known.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// Index of the point in the trial's curve.
    pub round: u32,
    /// Which of several models evaluated at this point (0 when there is one).
    pub eval_index: u32,
    /// The curve's x (labeled count, fraction...).
    pub x: f64,
    pub metrics: MetricValues,
    pub select_seconds: f64,
    pub train_seconds: f64,
    pub train_steps: Option<usize>,
    pub train_epochs: Option<usize>,
}

impl Evaluation {
    /// The metrics every kind records from a test-set evaluation.
    pub fn test_metrics(m: &EvalMetrics) -> MetricValues {
        MetricValues::new([
            (Metric::TEST_ACCURACY, Some(m.accuracy)),
            (Metric::TEST_LOSS, Some(m.loss)),
            (Metric::BALANCED_ACCURACY, Some(m.balanced_accuracy)),
        ])
    }
}

/// The test-set metrics, the columns of every kind so far.
pub const TEST_METRICS: [Metric; 3] = [
    Metric::TEST_ACCURACY,
    Metric::TEST_LOSS,
    Metric::BALANCED_ACCURACY,
];

/// What a trial body gets: the sweep, the trial, the device, and where shared work
/// (a selection model, say) is cached.
pub struct TrialContext<'a, B: AutodiffBackend> {
    pub sweep: &'a Sweep,
    pub trial: &'a Trial,
    pub device: &'a B::Device,
    /// The results folder (caches go under `cache/`); `None` keeps them in memory only.
    pub out: Option<&'a Path>,
    /// Prints a progress line (above the progress bar; nothing when quiet).
    pub note: &'a dyn Fn(&str),
}

/// Where a trial body is, so a failure row names the point it failed at.
#[derive(Clone, Copy, Debug, Default)]
pub struct Position {
    pub round: u32,
    pub x: f64,
}

/// Called with each evaluation; `false` stops the trial (the writer failed).
pub type Emit<'a> = dyn FnMut(Evaluation) -> bool + 'a;

/// The protocol of a sweep's kind (one per sweep: the size gap between variants costs
/// nothing).
#[allow(clippy::large_enum_variant)]
pub enum Protocol {
    Active(active::ActiveProtocol),
    Coreset(coreset::CoresetProtocol),
    Condense(condense::CondenseProtocol),
    Online(online::OnlineProtocol),
    Continual(continual::ContinualProtocol),
}

impl Protocol {
    /// Resolves and validates the kind's own fields (before any data is loaded).
    pub fn prepare(
        config: &SweepConfig,
        regularizations: &[Regularization],
        origin: &str,
    ) -> Result<Self, ConfigError> {
        Ok(match &config.kind {
            KindConfig::Active(k) => Protocol::Active(active::ActiveProtocol::prepare(
                k,
                regularizations,
                &config.common.models,
                origin,
            )?),
            KindConfig::Coreset(k) => Protocol::Coreset(coreset::CoresetProtocol::prepare(
                k,
                &config.common,
                origin,
            )?),
            KindConfig::Condense(k) => Protocol::Condense(condense::CondenseProtocol::prepare(
                k,
                &config.common.models,
                origin,
            )?),
            KindConfig::Online(k) => {
                Protocol::Online(online::OnlineProtocol::prepare(k, regularizations, origin)?)
            }
            KindConfig::Continual(k) => {
                Protocol::Continual(continual::ContinualProtocol::prepare(k, origin)?)
            }
        })
    }

    /// The `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Protocol::Active(_) => "active",
            Protocol::Coreset(_) => "coreset",
            Protocol::Condense(_) => "condense",
            Protocol::Online(_) => "online",
            Protocol::Continual(_) => "continual",
        }
    }

    /// The `axis` column: what varies between settings of this kind.
    pub fn axis(&self) -> &'static str {
        match self {
            Protocol::Active(_) => "budget",
            Protocol::Coreset(_) => "fractions",
            Protocol::Condense(_) => "ipc",
            Protocol::Online(_) => "keep",
            Protocol::Continual(_) => "buffer",
        }
    }

    /// The `x_name` column: what the curve's x counts.
    pub fn x_name(&self) -> &'static str {
        match self {
            Protocol::Active(_) => "labels",
            Protocol::Coreset(p) => p.x_name(),
            Protocol::Condense(_) => "ipc",
            Protocol::Online(_) => "steps",
            Protocol::Continual(_) => "tasks",
        }
    }

    /// The metric columns of the records.
    pub fn metrics(&self) -> &'static [Metric] {
        &TEST_METRICS
    }

    /// The axis values' labels (budget schedule names, ...), in order.
    pub fn axis_labels(&self) -> &[String] {
        match self {
            Protocol::Active(p) => p.axis_labels(),
            Protocol::Coreset(p) => p.axis_labels(),
            Protocol::Condense(p) => p.axis_labels(),
            Protocol::Online(p) => p.axis_labels(),
            Protocol::Continual(p) => p.axis_labels(),
        }
    }

    /// The methods compared; the reference is among them.
    pub fn arms(&self) -> &[Arm] {
        match self {
            Protocol::Active(p) => p.arms(),
            Protocol::Coreset(p) => p.arms(),
            Protocol::Condense(p) => p.arms(),
            Protocol::Online(p) => p.arms(),
            Protocol::Continual(p) => p.arms(),
        }
    }

    /// Evaluations (records) of `trial`.
    pub fn evaluations(&self, trial: &Trial) -> usize {
        match self {
            Protocol::Active(p) => p.evaluations(trial.axis),
            Protocol::Coreset(p) => p.evaluations(trial.axis),
            Protocol::Condense(p) => p.evaluations(trial.axis),
            Protocol::Online(p) => p.evaluations(trial),
            Protocol::Continual(p) => p.evaluations(trial.axis),
        }
    }

    /// A rough cost of a trial in example passes (training and scoring), to balance
    /// shards; `pool` is the trial's pool size, `epochs` its training epochs.
    pub fn estimated_cost(&self, axis: usize, pool: usize, epochs: usize) -> f64 {
        match self {
            Protocol::Active(p) => p.estimated_cost(axis, pool, epochs),
            Protocol::Coreset(p) => p.estimated_cost(pool, epochs),
            Protocol::Condense(p) => p.estimated_cost(axis, pool, epochs),
            Protocol::Online(p) => p.estimated_cost(axis, pool, epochs),
            Protocol::Continual(p) => p.estimated_cost(pool, epochs),
        }
    }

    /// The identity of work `trial` shares with other trials and that the first of them
    /// computes and caches (the coreset selection model), `None` when it shares none:
    /// trials with one key are best run on one machine, the first one first.
    pub fn shared_work_key(&self, trial: &Trial) -> Option<String> {
        match self {
            Protocol::Active(_) => None,
            Protocol::Coreset(p) => Some(p.shared_work_key(trial)),
            Protocol::Condense(p) => p.shared_work_key(trial),
            Protocol::Online(p) => p.shared_work_key(trial),
            Protocol::Continual(_) => None,
        }
    }

    /// Checks the kind's fields against one loaded pool (sizes, classes).
    pub fn check_data(
        &self,
        data: &ScenarioData,
        dataset: &str,
        scenario: &str,
        origin: &str,
    ) -> Result<(), ConfigError> {
        match self {
            Protocol::Active(p) => p.check_data(data, dataset, scenario, origin),
            Protocol::Coreset(p) => p.check_data(data, dataset, scenario, origin),
            Protocol::Condense(p) => p.check_data(data, dataset, scenario, origin),
            Protocol::Online(p) => p.check_data(data, dataset, scenario, origin),
            Protocol::Continual(p) => p.check_data(data, dataset, scenario, origin),
        }
    }

    /// Runs one trial, emitting each evaluation; `Err(reason)` is a trial failure.
    pub fn run<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
        emit: &mut Emit<'_>,
        position: &mut Position,
    ) -> Result<(), String> {
        match self {
            Protocol::Active(p) => p.run(ctx, emit, position),
            Protocol::Coreset(p) => p.run(ctx, emit, position),
            Protocol::Condense(p) => p.run(ctx, emit, position),
            Protocol::Online(p) => p.run(ctx, emit, position),
            Protocol::Continual(p) => p.run(ctx, emit, position),
        }
    }
}

/// The name, with the parameters whose values differ from the defaults:
/// `bald (samples=5)`; the name alone when everything is at its default. A nested table
/// shows only its changed fields (`model_augmentation.pool_size=2`), so that a label
/// stays short enough for a table column.
fn auto_label(name: &str, params_json: &str, defaults_json: &str) -> String {
    let parse = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let (given, defaults) = (parse(params_json), parse(defaults_json));
    let mut changed = Vec::new();
    changed_fields("", &given, &defaults, &mut changed);
    if changed.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({})", changed.join(", "))
    }
}

/// `prefix.key=value` for every field of `given` that differs from `defaults`, nested
/// tables compared field by field.
fn changed_fields(
    prefix: &str,
    given: &serde_json::Map<String, serde_json::Value>,
    defaults: &serde_json::Map<String, serde_json::Value>,
    out: &mut Vec<String>,
) {
    for (k, v) in given {
        let default = defaults.get(k);
        if default == Some(v) {
            continue;
        }
        let key = format!("{prefix}{k}");
        match (v, default) {
            (serde_json::Value::Object(inner), Some(serde_json::Value::Object(base))) => {
                changed_fields(&format!("{key}."), inner, base, out)
            }
            (serde_json::Value::Object(inner), _) => {
                changed_fields(&format!("{key}."), inner, &Default::default(), out)
            }
            (serde_json::Value::String(s), _) => out.push(format!("{key}={s}")),
            (other, _) => out.push(format!("{key}={other}")),
        }
    }
}

/// Why a method could not be built: `(the name is unknown, message)`.
pub(crate) type BuildError = (bool, String);

/// A registry's error as a [`BuildError`].
pub(crate) fn build_error(e: sieve_strategies::RegistryError) -> BuildError {
    (
        matches!(e, sieve_strategies::RegistryError::UnknownStrategy(_)),
        e.to_string(),
    )
}

/// A kind's registry: builds a method and returns its resolved parameters as JSON.
pub(crate) type BuildMethod<'a> =
    &'a dyn Fn(&str, &serde_json::Value) -> Result<String, BuildError>;

/// Resolves the method list of a kind: known names, valid parameters, no duplicates,
/// the reference present. `list` is the config's block name (`strategy`, `method`),
/// `build` the kind's registry (returning the resolved parameters as compact JSON).
pub(crate) fn resolve_arms(
    origin: &str,
    list: &str,
    specs: &[MethodSpec],
    reference: &str,
    build: BuildMethod<'_>,
) -> Result<Vec<Arm>, ConfigError> {
    if specs.is_empty() {
        return Err(invalid(
            origin,
            list,
            format!("add at least one [[{list}]] block (and `{reference}`, the reference)"),
        ));
    }
    let mut arms: Vec<Arm> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let params = match &spec.params {
            Some(table) => serde_json::to_value(table)
                .map_err(|e| invalid(origin, format!("{list}[{i}].params"), e.to_string()))?,
            None => serde_json::Value::Null,
        };
        let params_json = build(&spec.name, &params).map_err(|(unknown_name, message)| {
            let field = if unknown_name { "name" } else { "params" };
            invalid(origin, format!("{list}[{i}].{field}"), message)
        })?;
        if arms
            .iter()
            .any(|a| a.name == spec.name && a.params_json == params_json)
        {
            return Err(invalid(
                origin,
                format!("{list}[{i}]"),
                format!(
                    "`{}` with parameters {params_json} appears twice",
                    spec.name
                ),
            ));
        }
        let label = match &spec.label {
            Some(label) if label.trim().is_empty() => {
                return Err(invalid(
                    origin,
                    format!("{list}[{i}].label"),
                    "must not be empty",
                ))
            }
            Some(label) => label.clone(),
            None => {
                let defaults = build(&spec.name, &serde_json::Value::Null).unwrap_or_default();
                auto_label(&spec.name, &params_json, &defaults)
            }
        };
        if let Some(other) = arms.iter().find(|a| a.label == label) {
            return Err(invalid(
                origin,
                format!("{list}[{i}].label"),
                format!(
                    "`{label}` already names `{}` {}; give each block its own label",
                    other.name, other.params_json
                ),
            ));
        }
        arms.push(Arm {
            name: spec.name.clone(),
            params,
            params_json,
            label,
        });
    }
    if !arms.iter().any(|a| a.name == reference) {
        return Err(invalid(
            origin,
            list,
            format!(
                "no `{reference}` {list}: every sweep needs it as its reference; add [[{list}]] name = \"{reference}\""
            ),
        ));
    }
    Ok(arms)
}

#[cfg(test)]
mod tests {
    use super::auto_label;

    #[test]
    fn an_auto_label_names_only_the_changed_fields_nested_ones_by_path() {
        let defaults =
            r#"{"iterations":20000,"ma":{"pool_size":5,"perturbation":0.1},"dsa":"all"}"#;
        assert_eq!(auto_label("dm", defaults, defaults), "dm");
        let given = r#"{"iterations":200,"ma":{"pool_size":2,"perturbation":0.1},"dsa":"none"}"#;
        assert_eq!(
            auto_label("dm", given, defaults),
            "dm (dsa=none, iterations=200, ma.pool_size=2)"
        );
        // A nested table absent from the defaults shows every field.
        let given = r#"{"iterations":20000,"extra":{"a":1}}"#;
        assert_eq!(auto_label("dm", given, defaults), "dm (extra.a=1)");
    }
}
