//! Coreset selection (`kind = "coreset"`): methods that pick a subset of the training set
//! once, from a selection model's outputs or its training dynamics, before a fresh model
//! trains on the subset. One file per method; the registry below maps config names to
//! constructors and lists parameters for `sieve list`.

mod cal;
mod contextual_diversity;
mod craig;
mod deepfool;
mod divergence;
mod early;
mod forgetting;
mod glister;
pub mod gradients;
mod gradmatch;
pub(crate) mod greedy;
pub(crate) mod herding;
mod kcenter;
mod nnls;
mod ranked;
pub(crate) mod similarity;
pub(crate) mod submodular;
mod uncertainty;
mod uniform;

pub use cal::{cal_scores, nearest_neighbours, Cal, CalParams};
pub use contextual_diversity::{kl_farthest_first, ContextualDiversity};
pub use craig::Craig;
pub use deepfool::DeepFoolCoreset;
pub use divergence::{kl, symmetric_kl};
pub use early::{EarlyParams, EarlyScore, EarlyScoreCoreset};
pub use forgetting::Forgetting;
pub use glister::{glister_order, Glister, GlisterParams};
pub use gradients::GradientEmbeddings;
pub use gradmatch::{gradmatch_select, GradMatch, GradMatchParams, MAX_REFILL_ROUNDS};
pub use herding::{herding_order, Herding};
pub use kcenter::KCenterCoreset;
pub use similarity::MAX_DENSE_CANDIDATES;
pub use submodular::{GraphCutParams, SubmodularCoreset, SubmodularFunction, LOG_DET_RIDGE};
pub use uncertainty::{uncertainty, UncertaintyCoreset, UncertaintyScore};
pub use uniform::Uniform;

use serde::de::DeserializeOwned;
use sieve_bench_core::names::unknown_name_message;
use sieve_bench_core::CoresetMethod;

use crate::params::ValidateParams;
use crate::registry::{ParamInfo, RegistryError};

/// The reference method of the coreset kind.
pub const REFERENCE: &str = "uniform";

/// One registered coreset method.
#[derive(Clone, Copy, Debug)]
pub struct CoresetInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamInfo],
    build: fn(&serde_json::Value) -> Result<Box<dyn CoresetMethod>, String>,
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

/// Parses and validates parameters, starting from `defaults` for missing fields.
pub(crate) fn parse<P: DeserializeOwned + serde::Serialize + ValidateParams>(
    name: &str,
    value: &serde_json::Value,
    defaults: P,
) -> Result<P, String> {
    let params = match value {
        serde_json::Value::Null => defaults,
        serde_json::Value::Object(given) => {
            let mut merged = serde_json::to_value(&defaults).map_err(|e| e.to_string())?;
            if let serde_json::Value::Object(base) = &mut merged {
                for (k, v) in given {
                    if !base.contains_key(k) {
                        let known: Vec<&str> = base.keys().map(String::as_str).collect();
                        return Err(format!(
                            "unknown parameter `{k}`; parameters are {}",
                            known.join(", ")
                        ));
                    }
                    base.insert(k.clone(), v.clone());
                }
            }
            serde_json::from_value(merged).map_err(|e| e.to_string())?
        }
        other => return Err(format!("parameters must be a table, got {other}")),
    };
    params.validate(name).map_err(|e| e.to_string())?;
    Ok(params)
}

fn plain(
    value: &serde_json::Value,
    method: impl CoresetMethod + 'static,
) -> Result<Box<dyn CoresetMethod>, String> {
    no_params(value).map(|()| Box::new(method) as Box<dyn CoresetMethod>)
}

const EARLY_PARAMS: [ParamInfo; 2] = [
    ParamInfo {
        name: "inits",
        default: "10",
        help: "independent initialisations averaged",
    },
    ParamInfo {
        name: "epochs",
        default: "20 (el2n) / 0 (grand)",
        help: "epochs trained before scoring (0: at initialisation)",
    },
];

static REGISTRY: &[CoresetInfo] = &[
    CoresetInfo {
        name: "uniform",
        summary: "uniformly random subset (the reference)",
        params: &[],
        build: |v| plain(v, Uniform),
    },
    CoresetInfo {
        name: "herding",
        summary: "herding: greedily match the mean embedding of the candidates (argmin, as published)",
        params: &[],
        build: |v| plain(v, Herding),
    },
    CoresetInfo {
        name: "kcenter",
        summary: "k-center greedy from scratch in the selection model's embedding space",
        params: &[],
        build: |v| plain(v, KCenterCoreset),
    },
    CoresetInfo {
        name: "least_confidence",
        summary: "lowest top-class probability of the selection model",
        params: &[],
        build: |v| {
            plain(
                v,
                UncertaintyCoreset {
                    score: UncertaintyScore::LeastConfidence,
                },
            )
        },
    },
    CoresetInfo {
        name: "entropy",
        summary: "highest predictive entropy of the selection model",
        params: &[],
        build: |v| {
            plain(
                v,
                UncertaintyCoreset {
                    score: UncertaintyScore::Entropy,
                },
            )
        },
    },
    CoresetInfo {
        name: "margin",
        summary: "smallest gap between the selection model's two most likely classes",
        params: &[],
        build: |v| {
            plain(
                v,
                UncertaintyCoreset {
                    score: UncertaintyScore::Margin,
                },
            )
        },
    },
    CoresetInfo {
        name: "forgetting",
        summary: "most forgetting events during selection training (never learned first)",
        params: &[],
        build: |v| plain(v, Forgetting),
    },
    CoresetInfo {
        name: "grand",
        summary: "GraNd: highest last-layer gradient norm, averaged over initialisations",
        params: &EARLY_PARAMS,
        build: |v| {
            let params = parse("grand", v, EarlyParams::defaults(EarlyScore::Grand))?;
            Ok(Box::new(EarlyScoreCoreset {
                score: EarlyScore::Grand,
                params,
            }))
        },
    },
    CoresetInfo {
        name: "el2n",
        summary: "EL2N: highest ||softmax - onehot||, averaged over early-trained models",
        params: &EARLY_PARAMS,
        build: |v| {
            let params = parse("el2n", v, EarlyParams::defaults(EarlyScore::El2n))?;
            Ok(Box::new(EarlyScoreCoreset {
                score: EarlyScore::El2n,
                params,
            }))
        },
    },
    CoresetInfo {
        name: "contextual_diversity",
        summary: "k-center greedy on softmax vectors under the symmetric KL divergence",
        params: &[],
        build: |v| plain(v, ContextualDiversity),
    },
    CoresetInfo {
        name: "cal",
        summary: "CAL: highest mean KL(neighbour || example) over nearest embedding neighbours",
        params: &[ParamInfo {
            name: "neighbors",
            default: "10",
            help: "nearest neighbours in the selection model's embedding space",
        }],
        build: |v| {
            let params = parse("cal", v, CalParams::default())?;
            Ok(Box::new(Cal { params }))
        },
    },
    CoresetInfo {
        name: "deepfool",
        summary: "DeepFool: smallest adversarial perturbation (closest to a decision boundary)",
        params: &[],
        build: |v| plain(v, DeepFoolCoreset),
    },
    CoresetInfo {
        name: "facility_location",
        summary: "facility location on the gradient cosine kernel, lazy greedy (representative)",
        params: &[],
        build: |v| {
            plain(
                v,
                SubmodularCoreset {
                    function: SubmodularFunction::FacilityLocation,
                },
            )
        },
    },
    CoresetInfo {
        name: "graph_cut",
        summary: "graph cut on the gradient cosine kernel, lazy greedy (DeepCore's submodular default)",
        params: &[ParamInfo {
            name: "lambda",
            default: "1.0",
            help: "weight of coverage against redundancy (large: representative, small: diverse)",
        }],
        build: |v| {
            let params = parse("graph_cut", v, GraphCutParams::default())?;
            Ok(Box::new(SubmodularCoreset {
                function: SubmodularFunction::GraphCut(params),
            }))
        },
    },
    CoresetInfo {
        name: "log_determinant",
        summary: "log-determinant of the gradient cosine kernel, lazy greedy (DeepCore's inverted gain fixed)",
        params: &[],
        build: |v| {
            plain(
                v,
                SubmodularCoreset {
                    function: SubmodularFunction::LogDeterminant,
                },
            )
        },
    },
    CoresetInfo {
        name: "craig",
        summary: "CRAIG: facility location on gradient distances, weighted by cluster size",
        params: &[],
        build: |v| plain(v, Craig),
    },
    CoresetInfo {
        name: "gradmatch",
        summary: "GradMatch: non-negative OMP matching the mean gradient, weighted (exactly count rows)",
        params: &[ParamInfo {
            name: "lambda",
            default: "1.0",
            help: "ridge of the least-squares fits",
        }],
        build: |v| {
            let params = parse("gradmatch", v, GradMatchParams::default())?;
            Ok(Box::new(GradMatch { params }))
        },
    },
    CoresetInfo {
        name: "glister",
        summary: "GLISTER: greedy validation-likelihood gain with the one-step last-layer update",
        params: &[ParamInfo {
            name: "eta",
            default: "0.1",
            help: "step size of the last-layer update between picks",
        }],
        build: |v| {
            let params = parse("glister", v, GlisterParams::default())?;
            Ok(Box::new(Glister { params }))
        },
    },
];

/// Every coreset method, in listing order.
pub fn coreset_method_infos() -> &'static [CoresetInfo] {
    REGISTRY
}

/// Registered coreset method names.
pub fn coreset_method_names() -> Vec<&'static str> {
    REGISTRY.iter().map(|m| m.name).collect()
}

/// Builds the coreset method `name` with `params` (a JSON object, or null for defaults).
pub fn build_coreset_method(
    name: &str,
    params: &serde_json::Value,
) -> Result<Box<dyn CoresetMethod>, RegistryError> {
    let info = REGISTRY.iter().find(|m| m.name == name).ok_or_else(|| {
        RegistryError::UnknownStrategy(unknown_name_message(
            "coreset method",
            name,
            &coreset_method_names(),
        ))
    })?;
    (info.build)(params).map_err(|message| RegistryError::BadParams {
        strategy: name.to_string(),
        message,
    })
}
