//! The cold-start registry: `init_strategy = "..."` in a budget block.

use sieve_bench_core::names::unknown_name_message;

use super::{
    BalancedInit, InitStrategy, KMeansMedoids, KMeansMedoidsParams, RandomInit, TypiClust,
    TypiClustParams,
};
use crate::registry::{ParamInfo, RegistryError};

/// One registered init strategy.
#[derive(Clone, Copy, Debug)]
pub struct InitStrategyInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamInfo],
}

const REPRESENTATION: [ParamInfo; 2] = [
    ParamInfo {
        name: "representation",
        default: "pca",
        help: "pca | raw: what the clustering sees",
    },
    ParamInfo {
        name: "pca_dims",
        default: "32",
        help: "PCA components (fitted on up to 10,000 rows)",
    },
];

static INFOS: &[InitStrategyInfo] = &[
    InitStrategyInfo {
        name: "random",
        summary: "uniformly random initial set (default)",
        params: &[],
    },
    InitStrategyInfo {
        name: "balanced",
        summary: "class-balanced random initial set (reads the pool's labels; Gal et al. 2017)",
        params: &[],
    },
    InitStrategyInfo {
        name: "kmeans",
        summary: "k-means medoids: the point nearest each of `initial` centroids",
        params: &[
            REPRESENTATION[0],
            REPRESENTATION[1],
            ParamInfo {
                name: "max_iter",
                default: "50",
                help: "Lloyd iterations",
            },
        ],
    },
    InitStrategyInfo {
        name: "typiclust",
        summary: "TypiClust: the most typical point of each cluster, largest clusters first",
        params: &[
            REPRESENTATION[0],
            REPRESENTATION[1],
            ParamInfo {
                name: "knn",
                default: "20",
                help: "neighbours in the typicality estimate",
            },
            ParamInfo {
                name: "min_cluster_size",
                default: "5",
                help: "clusters of at most this size are dropped (used only if the rest run out)",
            },
            ParamInfo {
                name: "max_clusters",
                default: "500",
                help: "k-means clusters: min(initial, this)",
            },
            ParamInfo {
                name: "max_reference",
                default: "1000",
                help: "neighbour search sample per cluster",
            },
            ParamInfo {
                name: "max_iter",
                default: "50",
                help: "Lloyd iterations",
            },
        ],
    },
];

/// Every init strategy, in listing order.
pub fn init_strategy_infos() -> &'static [InitStrategyInfo] {
    INFOS
}

/// Registered init-strategy names.
pub fn init_strategy_names() -> Vec<&'static str> {
    INFOS.iter().map(|i| i.name).collect()
}

fn parse<T: serde::de::DeserializeOwned + Default>(
    name: &str,
    params: &serde_json::Value,
) -> Result<T, RegistryError> {
    match params {
        serde_json::Value::Null => Ok(T::default()),
        other => serde_json::from_value(other.clone()).map_err(|e| RegistryError::BadParams {
            strategy: name.into(),
            message: e.to_string(),
        }),
    }
}

/// Builds the init strategy `name` with `params` (a JSON object or null).
pub fn build_init_strategy(
    name: &str,
    params: &serde_json::Value,
) -> Result<Box<dyn InitStrategy>, RegistryError> {
    let bad = |message: String| RegistryError::BadParams {
        strategy: name.into(),
        message,
    };
    match name {
        "random" => match params {
            serde_json::Value::Null => Ok(Box::new(RandomInit)),
            serde_json::Value::Object(m) if m.is_empty() => Ok(Box::new(RandomInit)),
            _ => Err(bad("takes no parameters".into())),
        },
        "balanced" => match params {
            serde_json::Value::Null => Ok(Box::new(BalancedInit)),
            serde_json::Value::Object(m) if m.is_empty() => Ok(Box::new(BalancedInit)),
            _ => Err(bad("takes no parameters".into())),
        },
        "kmeans" => {
            let params: KMeansMedoidsParams = parse(name, params)?;
            params.representation.validate().map_err(bad)?;
            Ok(Box::new(KMeansMedoids { params }))
        }
        "typiclust" => {
            let params: TypiClustParams = parse(name, params)?;
            params.representation.validate().map_err(bad)?;
            if params.knn == 0 || params.max_reference < 2 || params.max_clusters == 0 {
                return Err(bad(
                    "parameters `knn` and `max_clusters` must be >= 1 and `max_reference` >= 2"
                        .into(),
                ));
            }
            Ok(Box::new(TypiClust { params }))
        }
        other => Err(RegistryError::UnknownStrategy(unknown_name_message(
            "init strategy",
            other,
            &init_strategy_names(),
        ))),
    }
}
