//! The registry: config name -> constructor, with the parameters and defaults that
//! `sieve list` prints. Adding a strategy is one entry here.

use serde::de::DeserializeOwned;
use sieve_bench_core::names::unknown_name_message;
use sieve_bench_core::Strategy;
use thiserror::Error;

use crate::active::{
    EntropySampling, KCenterGreedy, KCenterParams, LeastConfidence, MarginSampling,
};
use crate::random::RandomSampling;

/// A parameter as `sieve list` shows it.
#[derive(Clone, Copy, Debug)]
pub struct ParamInfo {
    pub name: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

/// One registered strategy.
#[derive(Clone, Copy, Debug)]
pub struct StrategyInfo {
    pub name: &'static str,
    pub family: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamInfo],
    build: fn(&serde_json::Value) -> Result<Box<dyn Strategy>, String>,
}

/// Why a strategy could not be built.
#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("{0}")]
    UnknownStrategy(String),
    #[error("strategy `{strategy}`: {message}")]
    BadParams { strategy: String, message: String },
}

fn no_params(value: &serde_json::Value) -> Result<(), String> {
    match value {
        serde_json::Value::Null => Ok(()),
        serde_json::Value::Object(map) if map.is_empty() => Ok(()),
        serde_json::Value::Object(map) => {
            let names: Vec<&str> = map.keys().map(String::as_str).collect();
            Err(format!("takes no parameters, got `{}`", names.join("`, `")))
        }
        other => Err(format!("parameters must be a table, got {other}")),
    }
}

fn params<T: DeserializeOwned + Default>(value: &serde_json::Value) -> Result<T, String> {
    match value {
        serde_json::Value::Null => Ok(T::default()),
        other => serde_json::from_value(other.clone()).map_err(|e| e.to_string()),
    }
}

static REGISTRY: &[StrategyInfo] = &[
    StrategyInfo {
        name: "random",
        family: "baseline",
        summary: "uniformly random unlabeled examples (the reference)",
        params: &[],
        build: |v| no_params(v).map(|_| Box::new(RandomSampling) as Box<dyn Strategy>),
    },
    StrategyInfo {
        name: "least_confidence",
        family: "active",
        summary: "lowest top-class probability",
        params: &[],
        build: |v| no_params(v).map(|_| Box::new(LeastConfidence) as Box<dyn Strategy>),
    },
    StrategyInfo {
        name: "margin",
        family: "active",
        summary: "smallest gap between the two most likely classes",
        params: &[],
        build: |v| no_params(v).map(|_| Box::new(MarginSampling) as Box<dyn Strategy>),
    },
    StrategyInfo {
        name: "entropy",
        family: "active",
        summary: "highest predictive entropy",
        params: &[],
        build: |v| no_params(v).map(|_| Box::new(EntropySampling) as Box<dyn Strategy>),
    },
    StrategyInfo {
        name: "kcenter",
        family: "active",
        summary: "core-set k-center greedy: farthest-first in embedding space from the labeled set",
        params: &[ParamInfo {
            name: "metric",
            default: "euclidean",
            help: "euclidean | cosine",
        }],
        build: |v| {
            params::<KCenterParams>(v)
                .map(|params| Box::new(KCenterGreedy { params }) as Box<dyn Strategy>)
        },
    },
];

/// Every registered strategy, in listing order.
pub fn strategy_infos() -> &'static [StrategyInfo] {
    REGISTRY
}

/// Registered names.
pub fn strategy_names() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.name).collect()
}

/// A suggestion for a misspelt strategy name.
pub fn suggest(name: &str) -> Option<&'static str> {
    sieve_bench_core::names::did_you_mean(name, &strategy_names())
}

/// Builds the strategy `name` with `params` (a JSON object, or null for defaults).
pub fn build_strategy(
    name: &str,
    params: &serde_json::Value,
) -> Result<Box<dyn Strategy>, RegistryError> {
    let info = REGISTRY.iter().find(|s| s.name == name).ok_or_else(|| {
        RegistryError::UnknownStrategy(unknown_name_message("strategy", name, &strategy_names()))
    })?;
    (info.build)(params).map_err(|message| RegistryError::BadParams {
        strategy: name.to_string(),
        message,
    })
}
