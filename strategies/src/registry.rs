//! The registry: config name -> constructor, with the parameters and defaults that
//! `sieve list` prints. Adding a strategy is one entry here.

use serde::de::DeserializeOwned;
use sieve_bench_core::names::unknown_name_message;
use sieve_bench_core::Strategy;
use thiserror::Error;

use sieve_bench_core::StrategyError;

use crate::active::{
    AdversarialBim, AdversarialDeepFool, Badge, BalancedSelection, Bald, BatchBald, Ceal,
    ClusterMargin, Dacs, EntropySampling, Epig, KCenterGreedy, KCenterParams, KMeansSampling,
    LearningLoss, LeastConfidence, MarginSampling, McEntropy, McLeastConfidence, McMargin, MeanStd,
    Poal, Pt4al, Similar, SimilarFunction, TemporalOutputDiscrepancy, Vaal, VariationRatios,
};
use crate::candidate_pool::{own_params, CandidatePool, CANDIDATE_POOL};
use crate::params::ValidateParams;
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
    /// Scores with MC dropout: the regularization setting needs `dropout > 0`
    /// (checked when a sweep is validated, before any training).
    pub needs_dropout: bool,
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

pub(crate) fn no_params(value: &serde_json::Value) -> Result<(), String> {
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

/// The registry's message for a parameter that failed validation.
fn param_message(err: StrategyError) -> String {
    match err {
        StrategyError::InvalidParameter { param, message, .. } => {
            format!("parameter `{param}`: {message}")
        }
        other => other.to_string(),
    }
}

/// Parses `value` into `P`, checks its ranges, and builds the strategy with `make`.
fn validated<P, S>(
    name: &str,
    value: &serde_json::Value,
    make: fn(P) -> S,
) -> Result<Box<dyn Strategy>, String>
where
    P: DeserializeOwned + Default + ValidateParams,
    S: Strategy + 'static,
{
    let p: P = params(value)?;
    p.validate(name).map_err(param_message)?;
    Ok(Box::new(make(p)))
}

const MC_SAMPLES: ParamInfo = ParamInfo {
    name: "samples",
    default: "20",
    help: "MC-dropout forward passes, >= 2 (needs regularization dropout > 0)",
};

const QUERY_CLASSES: ParamInfo = ParamInfo {
    name: "query_classes",
    default: "[]",
    help: "classes whose labeled examples form the query set, [] = the rare classes of the labeled set",
};

const ETA: ParamInfo = ParamInfo {
    name: "eta",
    default: "1.0",
    help: "query relevance against diversity, >= 0",
};

const LOG_DET_LAMBDA: ParamInfo = ParamInfo {
    name: "lambda",
    default: "1.0",
    help: "ridge added to the kernel diagonals (submodlib lambdaVal), > 0",
};

const NU: ParamInfo = ParamInfo {
    name: "nu",
    default: "1.0",
    help: "privacy hardness (penalty on similarity to OOD-annotated examples), >= 0",
};

static REGISTRY: &[StrategyInfo] = &[
    StrategyInfo {
        name: "random",
        family: "baseline",
        summary: "uniformly random unlabeled examples (the reference)",
        params: &[],
        needs_dropout: false,
        build: |v| no_params(v).map(|_| Box::new(RandomSampling) as Box<dyn Strategy>),
    },
    StrategyInfo {
        name: "least_confidence",
        family: "active",
        summary: "lowest top-class probability",
        params: &[],
        needs_dropout: false,
        build: |v| no_params(v).map(|_| Box::new(LeastConfidence) as Box<dyn Strategy>),
    },
    StrategyInfo {
        name: "margin",
        family: "active",
        summary: "smallest gap between the two most likely classes",
        params: &[],
        needs_dropout: false,
        build: |v| no_params(v).map(|_| Box::new(MarginSampling) as Box<dyn Strategy>),
    },
    StrategyInfo {
        name: "entropy",
        family: "active",
        summary: "highest predictive entropy",
        params: &[],
        needs_dropout: false,
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
        needs_dropout: false,
        build: |v| {
            params::<KCenterParams>(v)
                .map(|params| Box::new(KCenterGreedy { params }) as Box<dyn Strategy>)
        },
    },
    StrategyInfo {
        name: "mc_least_confidence",
        family: "active",
        summary: "least confidence of the MC-dropout mean probabilities",
        params: &[MC_SAMPLES],
        needs_dropout: true,
        build: |v| validated("mc_least_confidence", v, |params| McLeastConfidence { params }),
    },
    StrategyInfo {
        name: "mc_margin",
        family: "active",
        summary: "smallest top-two gap of the MC-dropout mean probabilities",
        params: &[MC_SAMPLES],
        needs_dropout: true,
        build: |v| validated("mc_margin", v, |params| McMargin { params }),
    },
    StrategyInfo {
        name: "mc_entropy",
        family: "active",
        summary: "entropy of the MC-dropout mean probabilities (max entropy)",
        params: &[MC_SAMPLES],
        needs_dropout: true,
        build: |v| validated("mc_entropy", v, |params| McEntropy { params }),
    },
    StrategyInfo {
        name: "bald",
        family: "active",
        summary: "BALD: mutual information between label and weights under MC dropout",
        params: &[MC_SAMPLES],
        needs_dropout: true,
        build: |v| validated("bald", v, |params| Bald { params }),
    },
    StrategyInfo {
        name: "epig",
        family: "active",
        summary: "EPIG: expected information gain about predictions on pool targets, MC dropout",
        params: &[
            ParamInfo {
                name: "samples",
                default: "100",
                help: "MC-dropout passes, 2..=10000",
            },
            ParamInfo {
                name: "target_samples",
                default: "100",
                help: "target inputs drawn from the unlabeled pool per selection, >= 1",
            },
        ],
        needs_dropout: true,
        build: |v| validated("epig", v, |params| Epig { params }),
    },
    StrategyInfo {
        name: "variation_ratios",
        family: "active",
        summary: "1 - share of MC-dropout passes voting for the modal class",
        params: &[MC_SAMPLES],
        needs_dropout: true,
        build: |v| validated("variation_ratios", v, |params| VariationRatios { params }),
    },
    StrategyInfo {
        name: "mean_std",
        family: "active",
        summary: "per-class standard deviation of MC-dropout probabilities, averaged",
        params: &[MC_SAMPLES],
        needs_dropout: true,
        build: |v| validated("mean_std", v, |params| MeanStd { params }),
    },
    StrategyInfo {
        name: "batchbald",
        family: "active",
        summary: "BatchBALD: greedy joint mutual information over MC-dropout samples",
        params: &[
            MC_SAMPLES,
            ParamInfo {
                name: "max_configurations",
                default: "10000",
                help: "joint label configurations held: exact up to this, then this many sampled",
            },
            ParamInfo {
                name: "max_candidates",
                default: "1000",
                help: "greedy search over the top-BALD examples; 0 = whole pool",
            },
        ],
        needs_dropout: true,
        build: |v| validated("batchbald", v, |params| BatchBald { params }),
    },
    StrategyInfo {
        name: "kmeans",
        family: "active",
        summary: "k-means (k = batch) on unlabeled embeddings; the example nearest each centroid",
        params: &[ParamInfo {
            name: "max_iter",
            default: "20",
            help: "most Lloyd iterations, >= 1",
        }],
        needs_dropout: false,
        build: |v| validated("kmeans", v, |params| KMeansSampling { params }),
    },
    StrategyInfo {
        name: "badge",
        family: "active",
        summary: "BADGE: k-means++ seeding on last-layer gradient embeddings (factorised, O(N(C+D)) memory)",
        params: &[],
        needs_dropout: false,
        build: |v| no_params(v).map(|_| Box::new(Badge) as Box<dyn Strategy>),
    },
    StrategyInfo {
        name: "base",
        family: "active",
        summary: "BASE: equal share per class, closest to that class's boundary in feature space",
        params: &[],
        needs_dropout: false,
        build: |v| no_params(v).map(|_| Box::new(BalancedSelection) as Box<dyn Strategy>),
    },
    StrategyInfo {
        name: "cluster_margin",
        family: "active",
        summary: "Cluster-Margin: lowest-margin candidates, round-robin over average-linkage clusters",
        params: &[
            ParamInfo {
                name: "candidate_factor",
                default: "10",
                help: "candidates = factor x batch, lowest margin first (>= 1)",
            },
            ParamInfo {
                name: "max_candidates",
                default: "5000",
                help: "cap on candidates; clustering memory is m^2/2 floats",
            },
            ParamInfo {
                name: "clusters",
                default: "batch size",
                help: "clusters to cut the dendrogram into (>= 1)",
            },
        ],
        needs_dropout: false,
        build: |v| validated("cluster_margin", v, |params| ClusterMargin { params }),
    },
    StrategyInfo {
        name: "dacs",
        family: "active",
        summary: "density-aware core-set: kNN density via random-projection trees, density groups, k-center per group, sparse groups first",
        params: &[
            ParamInfo {
                name: "knn",
                default: "10",
                help: "neighbours in the density (mean cosine similarity), >= 1",
            },
            ParamInfo {
                name: "leaf_size",
                default: "0",
                help: "most examples per random-projection-tree leaf, 0 = 4 x (knn + 1), else >= 2 x (knn + 1)",
            },
            ParamInfo {
                name: "trees",
                default: "4",
                help: "random-projection trees searched for neighbours, 1..=64",
            },
            ParamInfo {
                name: "groups",
                default: "3",
                help: "density groups (natural breaks), >= 1",
            },
            ParamInfo {
                name: "temperature",
                default: "0.1",
                help: "softmax temperature of the groups' shares, > 0",
            },
        ],
        needs_dropout: false,
        build: |v| validated("dacs", v, |params| Dacs { params }),
    },
    StrategyInfo {
        name: "tod",
        family: "active",
        summary: "TOD: largest change of the softmax output since the previous round's model",
        params: &[],
        needs_dropout: false,
        build: |v| {
            no_params(v).map(|_| Box::new(TemporalOutputDiscrepancy) as Box<dyn Strategy>)
        },
    },
    StrategyInfo {
        name: "pt4al",
        family: "active",
        summary: "PT4AL: the pool sorted by rotation-pretext loss into one batch per cycle; the least confident of the cycle's batch",
        params: &[
            ParamInfo {
                name: "batches",
                default: "0",
                help: "batches the sorted pool is split into, 0 = one per cycle (selections + 1)",
            },
            ParamInfo {
                name: "pretext_epochs",
                default: "120",
                help: "epochs of rotation training on the pool (once per trial, shared by the repeat), >= 1",
            },
            ParamInfo {
                name: "pretext_lr",
                default: "0.1",
                help: "SGD rate of the rotation training (momentum 0.9, weight decay 5e-4, x0.1 each quarter)",
            },
            ParamInfo {
                name: "pretext_batch_size",
                default: "256",
                help: "batch size of the rotation training (rotated images), >= 1",
            },
        ],
        needs_dropout: false,
        build: |v| validated("pt4al", v, |params| Pt4al { params }),
    },
    StrategyInfo {
        name: "vaal",
        family: "active",
        summary: "VAAL: a VAE and a discriminator trained adversarially on labeled vs unlabeled images each round; the least labeled-looking",
        params: &[
            ParamInfo {
                name: "latent_dim",
                default: "32",
                help: "VAE latent dimension, >= 1",
            },
            ParamInfo {
                name: "width",
                default: "128",
                help: "channels of the first encoder layer (then 2x, 4x, 8x), >= 1; lower it on a CPU",
            },
            ParamInfo {
                name: "epochs",
                default: "100",
                help: "training length in passes over the pool's size (iterations = epochs x pool / batch_size), >= 1",
            },
            ParamInfo {
                name: "batch_size",
                default: "128",
                help: "images per labeled and per unlabeled batch, >= 1",
            },
            ParamInfo {
                name: "vae_steps",
                default: "2",
                help: "VAE steps per iteration, >= 1",
            },
            ParamInfo {
                name: "adversary_steps",
                default: "1",
                help: "discriminator steps per iteration, >= 1",
            },
            ParamInfo {
                name: "beta",
                default: "1",
                help: "weight of the KL term, >= 0",
            },
            ParamInfo {
                name: "adversary_weight",
                default: "1",
                help: "weight of the adversarial term in the VAE loss, >= 0",
            },
            ParamInfo {
                name: "lr",
                default: "0.0005",
                help: "Adam learning rate of the VAE and the discriminator, > 0",
            },
        ],
        needs_dropout: false,
        build: |v| validated("vaal", v, |params| Vaal { params }),
    },
    StrategyInfo {
        name: "learning_loss",
        family: "active",
        summary: "LL4AL: a loss-prediction module trained jointly with the network on its stages; the highest predicted losses",
        params: &[
            ParamInfo {
                name: "margin",
                default: "1",
                help: "margin of the pairwise ranking loss, >= 0",
            },
            ParamInfo {
                name: "weight",
                default: "1",
                help: "weight of the ranking loss in the joint loss, > 0",
            },
            ParamInfo {
                name: "hidden",
                default: "128",
                help: "units of each stage's layer in the module, >= 1",
            },
            ParamInfo {
                name: "detach_after",
                default: "0.6",
                help: "share of the epochs after which the module stops shaping the network (its features detached), in [0, 1]",
            },
        ],
        needs_dropout: false,
        build: |v| validated("learning_loss", v, |params| LearningLoss { params }),
    },
    StrategyInfo {
        name: "adversarial_deepfool",
        family: "active",
        summary: "DFAL: smallest DeepFool perturbation that changes the prediction (input gradients)",
        params: &[ParamInfo {
            name: "max_iter",
            default: "50",
            help: "most DeepFool iterations per example, >= 1",
        }],
        needs_dropout: false,
        build: |v| validated("adversarial_deepfool", v, |params| AdversarialDeepFool { params }),
    },
    StrategyInfo {
        name: "adversarial_bim",
        family: "active",
        summary: "smallest BIM perturbation (epsilon-sign steps) that changes the prediction",
        params: &[
            ParamInfo {
                name: "epsilon",
                default: "0.05",
                help: "step per input value (normalised inputs), > 0",
            },
            ParamInfo {
                name: "max_iter",
                default: "100",
                help: "most steps per example, >= 1",
            },
        ],
        needs_dropout: false,
        build: |v| validated("adversarial_bim", v, |params| AdversarialBim { params }),
    },
    StrategyInfo {
        name: "ceal",
        family: "active",
        summary: "CEAL: query the most uncertain, pseudo-label the most confident for the next training",
        params: &[
            ParamInfo {
                name: "criterion",
                default: "entropy",
                help: "entropy | least_confidence | margin: how queries are ranked",
            },
            ParamInfo {
                name: "delta",
                default: "0.005",
                help: "entropy below which examples are pseudo-labeled at the first selection, >= 0",
            },
            ParamInfo {
                name: "decay",
                default: "0.00033",
                help: "how much delta shrinks per selection, >= 0",
            },
        ],
        needs_dropout: false,
        build: |v| validated("ceal", v, Ceal::new),
    },
    StrategyInfo {
        name: "poal",
        family: "active",
        summary: "POAL: Pareto optimisation of entropy and Mahalanobis in-distribution score (OOD pools)",
        params: &[
            ParamInfo {
                name: "preselect_factor",
                default: "6",
                help: "Pareto-front candidates kept, as a multiple of the batch, >= 1",
            },
            ParamInfo {
                name: "max_iterations",
                default: "0",
                help: "most Monte-Carlo iterations, 0 = batch x candidates (early stopping ends sooner)",
            },
        ],
        needs_dropout: false,
        build: |v| validated("poal", v, |params| Poal { params }),
    },
    StrategyInfo {
        name: "similar_flmi",
        family: "active",
        summary: "SIMILAR FLQMI: facility-location mutual information with the query set (rare classes)",
        params: &[QUERY_CLASSES, ETA],
        needs_dropout: false,
        build: |v| {
            validated("similar_flmi", v, |p| Similar {
                function: SimilarFunction::FacilityLocationMi(p),
            })
        },
    },
    StrategyInfo {
        name: "similar_gcmi",
        family: "active",
        summary: "SIMILAR GCMI: graph-cut mutual information (summed similarity to the query set)",
        params: &[QUERY_CLASSES],
        needs_dropout: false,
        build: |v| {
            validated("similar_gcmi", v, |p| Similar {
                function: SimilarFunction::GraphCutMi(p),
            })
        },
    },
    StrategyInfo {
        name: "similar_logdetmi",
        family: "active",
        summary: "SIMILAR LogDetMI: log-determinant mutual information with the query set",
        params: &[
            QUERY_CLASSES,
            ParamInfo {
                name: "eta",
                default: "1.0",
                help: "query relevance against diversity, 0..=1",
            },
            LOG_DET_LAMBDA,
        ],
        needs_dropout: false,
        build: |v| {
            validated("similar_logdetmi", v, |p| Similar {
                function: SimilarFunction::LogDetMi(p),
            })
        },
    },
    StrategyInfo {
        name: "similar_flcg",
        family: "active",
        summary: "SIMILAR FLCG: facility location conditioned away from the private (OOD) set",
        params: &[
            NU,
            ParamInfo {
                name: "ground",
                default: "1000",
                help: "most pool examples in the coverage ground set (uniform sample), >= 1",
            },
        ],
        needs_dropout: false,
        build: |v| {
            validated("similar_flcg", v, |p| Similar {
                function: SimilarFunction::FacilityLocationCg(p),
            })
        },
    },
    StrategyInfo {
        name: "similar_gccg",
        family: "active",
        summary: "SIMILAR GCCG: graph cut conditioned away from the private (OOD) set",
        params: &[
            NU,
            ParamInfo {
                name: "lambda",
                default: "1.0",
                help: "representativeness against redundancy, > 0",
            },
        ],
        needs_dropout: false,
        build: |v| {
            validated("similar_gccg", v, |p| Similar {
                function: SimilarFunction::GraphCutCg(p),
            })
        },
    },
    StrategyInfo {
        name: "similar_logdetcg",
        family: "active",
        summary: "SIMILAR LogDetCG: log-determinant conditioned away from the private (OOD) set",
        params: &[
            ParamInfo {
                name: "nu",
                default: "1.0",
                help: "privacy hardness, 0..=1",
            },
            LOG_DET_LAMBDA,
        ],
        needs_dropout: false,
        build: |v| {
            validated("similar_logdetcg", v, |p| Similar {
                function: SimilarFunction::LogDetCg(p),
            })
        },
    },
];

/// Every registered strategy, in listing order.
pub fn strategy_infos() -> &'static [StrategyInfo] {
    REGISTRY
}

/// The registry entry of `name`, if registered.
pub fn strategy_info(name: &str) -> Option<&'static StrategyInfo> {
    REGISTRY.iter().find(|s| s.name == name)
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
    let bad = |message: String| RegistryError::BadParams {
        strategy: name.to_string(),
        message,
    };
    // `candidate_pool`, accepted by every strategy, wraps it; the rest is its own.
    let own = own_params(params);
    let pool = match params.get(CANDIDATE_POOL).cloned() {
        None => None,
        Some(value) => match value.as_u64() {
            Some(size) if size >= 1 => Some(size as usize),
            _ => {
                return Err(bad(format!(
                    "parameter `{CANDIDATE_POOL}`: expected a whole number of examples >= 1, got {value}"
                )))
            }
        },
    };
    let strategy = (info.build)(&own).map_err(bad)?;
    Ok(match pool {
        Some(size) => Box::new(CandidatePool {
            inner: strategy,
            size,
        }),
        None => strategy,
    })
}

/// Builds a method of a registry whose methods take no parameters (online selection,
/// replay buffers): the entry named `name`, or a did-you-mean over the registry's names.
pub(crate) fn build_parameterless<T: Copy>(
    what: &str,
    name: &str,
    params: &serde_json::Value,
    registry: &[(&'static str, T)],
) -> Result<T, RegistryError> {
    let (_, method) = registry.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let names: Vec<&str> = registry.iter().map(|(n, _)| *n).collect();
        RegistryError::UnknownStrategy(sieve_bench_core::names::unknown_name_message(
            what, name, &names,
        ))
    })?;
    no_params(params).map_err(|message| RegistryError::BadParams {
        strategy: name.to_string(),
        message,
    })?;
    Ok(*method)
}
