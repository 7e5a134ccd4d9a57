//! SIMILAR (Kothawade, Beck, Killamsetty & Iyer, "SIMILAR: Submodular Information
//! Measures Based Active Learning In Realistic Scenarios", NeurIPS 2021): active learning
//! for rare classes and out-of-distribution pools by maximising a submodular mutual
//! information with a query set Q (examples like those we want more of) or a
//! conditional gain against a private set P (examples like those we want to avoid).
//!
//! - Q: the labeled examples of the query classes (`query_classes`, or by default the
//!   rare classes of the labeled set: those with fewer labeled examples than the mean
//!   over the classes labeled so far; every labeled in-distribution example when no
//!   class is below the mean).
//! - P: the labeled examples the annotator marked out of distribution (the `ood`
//!   scenario). With none yet, a conditional gain is the plain function.
//! - Representation: the last-layer gradient embedding (DISTIL's default
//!   `embedding_type = "gradients"`): hypothesised labels (argmax) for the pool and for P,
//!   the annotated labels for Q; similarity `0.5 + 0.5·cos` ([`kernel`]).
//!
//! The functions are in [`functions`].

pub mod functions;
pub mod kernel;

use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use crate::params::{at_least, in_range, ValidateParams};
use crate::ranking::top_k;
use functions::{flcg_order, flqmi_order, gccg_order, gcmi_scores, logdet_order};
use kernel::GradientKernel;

/// Most candidate x selected entries a log-determinant method may hold (two f64
/// Cholesky rows per candidate and pick: 2 x 8 x this = 320 MiB).
pub const MAX_LOGDET_ENTRIES: usize = 20_000_000;

/// Parameters of the mutual-information variants (FLQMI, LogDetMI).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueryParams {
    /// Classes whose labeled examples form the query set; empty = the rare classes.
    pub query_classes: Vec<u32>,
    /// η, the weight of query relevance against diversity (SIMILAR / submodlib
    /// `magnificationEta`, default 1).
    pub eta: f64,
}

impl Default for QueryParams {
    fn default() -> Self {
        Self {
            query_classes: Vec::new(),
            eta: 1.0,
        }
    }
}

/// Parameters of LogDetMI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogDetMiParams {
    /// Classes whose labeled examples form the query set; empty = the rare classes.
    pub query_classes: Vec<u32>,
    /// η, the weight of query relevance, in [0, 1] (keeps the conditioned kernel
    /// positive definite).
    pub eta: f64,
    /// λ, the ridge added to every kernel block's diagonal (submodlib `lambdaVal`, 1).
    pub lambda: f64,
}

impl Default for LogDetMiParams {
    fn default() -> Self {
        Self {
            query_classes: Vec::new(),
            eta: 1.0,
            lambda: 1.0,
        }
    }
}

/// Parameters of GCMI (the query classes only: its λ scales every score alike).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GcmiParams {
    /// Classes whose labeled examples form the query set; empty = the rare classes.
    pub query_classes: Vec<u32>,
}

/// Parameters of FLCG.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlcgParams {
    /// ν, how strongly similarity to the private set is penalised (submodlib
    /// `privacyHardness`, default 1).
    pub nu: f64,
    /// Most pool examples in the facility-location ground set (a uniform sample of the
    /// unlabeled pool when larger; the whole pool otherwise).
    pub ground: usize,
}

impl Default for FlcgParams {
    fn default() -> Self {
        Self {
            nu: 1.0,
            ground: 1000,
        }
    }
}

/// Parameters of GCCG.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GccgParams {
    /// ν, the privacy hardness (default 1).
    pub nu: f64,
    /// λ, the weight of representativeness against redundancy (default 1).
    pub lambda: f64,
}

impl Default for GccgParams {
    fn default() -> Self {
        Self {
            nu: 1.0,
            lambda: 1.0,
        }
    }
}

/// Parameters of LogDetCG.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogDetCgParams {
    /// ν, the privacy hardness, in [0, 1] (keeps the conditioned kernel positive
    /// semi-definite).
    pub nu: f64,
    /// λ, the ridge added to every kernel block's diagonal (submodlib `lambdaVal`, 1).
    pub lambda: f64,
}

impl Default for LogDetCgParams {
    fn default() -> Self {
        Self {
            nu: 1.0,
            lambda: 1.0,
        }
    }
}

fn non_negative(strategy: &str, param: &str, value: f64) -> Result<(), StrategyError> {
    in_range(strategy, param, value, (0.0, false), f64::MAX)
}

impl ValidateParams for QueryParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        non_negative(strategy, "eta", self.eta)
    }
}

impl ValidateParams for LogDetMiParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        in_range(strategy, "eta", self.eta, (0.0, false), 1.0)?;
        in_range(strategy, "lambda", self.lambda, (0.0, true), f64::MAX)
    }
}

impl ValidateParams for GcmiParams {
    fn validate(&self, _strategy: &str) -> Result<(), StrategyError> {
        Ok(())
    }
}

impl ValidateParams for FlcgParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        non_negative(strategy, "nu", self.nu)?;
        at_least(strategy, "ground", self.ground, 1)
    }
}

impl ValidateParams for GccgParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        non_negative(strategy, "nu", self.nu)?;
        in_range(strategy, "lambda", self.lambda, (0.0, true), f64::MAX)
    }
}

impl ValidateParams for LogDetCgParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        in_range(strategy, "nu", self.nu, (0.0, false), 1.0)?;
        in_range(strategy, "lambda", self.lambda, (0.0, true), f64::MAX)
    }
}

/// Which SIMILAR measure, with its parameters.
#[derive(Clone, Debug)]
pub enum SimilarFunction {
    FacilityLocationMi(QueryParams),
    GraphCutMi(GcmiParams),
    LogDetMi(LogDetMiParams),
    FacilityLocationCg(FlcgParams),
    GraphCutCg(GccgParams),
    LogDetCg(LogDetCgParams),
}

/// A SIMILAR strategy.
#[derive(Clone, Debug)]
pub struct Similar {
    pub function: SimilarFunction,
}

impl Similar {
    fn validate(&self) -> Result<(), StrategyError> {
        let name = self.name();
        match &self.function {
            SimilarFunction::FacilityLocationMi(p) => p.validate(name),
            SimilarFunction::LogDetMi(p) => p.validate(name),
            SimilarFunction::GraphCutMi(p) => p.validate(name),
            SimilarFunction::FacilityLocationCg(p) => p.validate(name),
            SimilarFunction::GraphCutCg(p) => p.validate(name),
            SimilarFunction::LogDetCg(p) => p.validate(name),
        }
    }

    fn query_classes(&self) -> Option<&[u32]> {
        match &self.function {
            SimilarFunction::FacilityLocationMi(p) => Some(&p.query_classes),
            SimilarFunction::LogDetMi(p) => Some(&p.query_classes),
            SimilarFunction::GraphCutMi(p) => Some(&p.query_classes),
            _ => None,
        }
    }
}

/// The labeled examples forming the query set: those annotated with a query class.
/// `requested` empty = the rare classes (fewer labeled examples than the mean over the
/// classes labeled so far), or every in-distribution example when none is below it.
pub fn query_set(labeled: &[usize], classes: &[Option<u32>], requested: &[u32]) -> Vec<usize> {
    let chosen: Vec<u32> = if requested.is_empty() {
        let mut counts = std::collections::BTreeMap::<u32, usize>::new();
        for c in classes.iter().flatten() {
            *counts.entry(*c).or_default() += 1;
        }
        let mean = counts.values().sum::<usize>() as f64 / counts.len().max(1) as f64;
        let rare: Vec<u32> = counts
            .iter()
            .filter(|&(_, &n)| (n as f64) < mean)
            .map(|(&c, _)| c)
            .collect();
        if rare.is_empty() {
            counts.keys().copied().collect()
        } else {
            rare
        }
    } else {
        requested.to_vec()
    };
    labeled
        .iter()
        .zip(classes)
        .filter(|(_, c)| c.is_some_and(|c| chosen.contains(&c)))
        .map(|(&i, _)| i)
        .collect()
}

/// The labeled examples annotated out of distribution.
pub fn private_set(labeled: &[usize], classes: &[Option<u32>]) -> Vec<usize> {
    labeled
        .iter()
        .zip(classes)
        .filter(|(_, c)| c.is_none())
        .map(|(&i, _)| i)
        .collect()
}

impl Strategy for Similar {
    fn name(&self) -> &'static str {
        match self.function {
            SimilarFunction::FacilityLocationMi(_) => "similar_flmi",
            SimilarFunction::GraphCutMi(_) => "similar_gcmi",
            SimilarFunction::LogDetMi(_) => "similar_logdetmi",
            SimilarFunction::FacilityLocationCg(_) => "similar_flcg",
            SimilarFunction::GraphCutCg(_) => "similar_gccg",
            SimilarFunction::LogDetCg(_) => "similar_logdetcg",
        }
    }

    fn params_json(&self) -> String {
        match &self.function {
            SimilarFunction::FacilityLocationMi(p) => crate::params::to_json(p),
            SimilarFunction::LogDetMi(p) => crate::params::to_json(p),
            SimilarFunction::GraphCutMi(p) => crate::params::to_json(p),
            SimilarFunction::FacilityLocationCg(p) => crate::params::to_json(p),
            SimilarFunction::GraphCutCg(p) => crate::params::to_json(p),
            SimilarFunction::LogDetCg(p) => crate::params::to_json(p),
        }
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        self.validate()?;
        let name = self.name();
        let n = request.unlabeled.len();
        let count = request.count.min(n);
        if count == 0 {
            return Ok(Vec::new());
        }
        if request.labeled_classes.len() != request.labeled.len() {
            return Err(StrategyError::Request {
                strategy: name.to_string(),
                message: format!(
                    "needs the annotation of every labeled example (query and private sets); \
                     got {} for {} labeled examples",
                    request.labeled_classes.len(),
                    request.labeled.len()
                ),
            });
        }
        let query = match self.query_classes() {
            Some(requested) => {
                let query = query_set(request.labeled, request.labeled_classes, requested);
                if query.is_empty() {
                    return Err(StrategyError::Request {
                        strategy: name.to_string(),
                        message: format!(
                            "the query set is empty: no labeled example of the query classes \
                             {requested:?} (empty = the rare classes of the labeled set)"
                        ),
                    });
                }
                query
            }
            None => Vec::new(),
        };
        let private = private_set(request.labeled, request.labeled_classes);
        let annotated: Vec<Option<u32>> = query
            .iter()
            .map(|&q| {
                let at = request.labeled.iter().position(|&l| l == q);
                at.and_then(|k| request.labeled_classes[k])
            })
            .collect();
        // Row space: [unlabeled | query | private].
        let kernel =
            GradientKernel::new(name, model, request.unlabeled, &query, &annotated, &private)?;
        let candidates: Vec<usize> = (0..n).collect();
        let query_rows: Vec<usize> = (n..n + query.len()).collect();
        let private_rows: Vec<usize> = (n + query.len()..n + query.len() + private.len()).collect();
        let check_logdet = || -> Result<(), StrategyError> {
            if n.saturating_mul(count) > MAX_LOGDET_ENTRIES {
                return Err(StrategyError::Request {
                    strategy: name.to_string(),
                    message: format!(
                        "{n} candidates x {count} picks would hold {:.1} GiB of Cholesky rows; \
                         at most {MAX_LOGDET_ENTRIES} candidate-pick entries are supported \
                         (smaller batches or pool)",
                        (n * count * 16) as f64 / f64::from(1u32 << 30)
                    ),
                });
            }
            Ok(())
        };
        let order = match &self.function {
            SimilarFunction::FacilityLocationMi(p) => {
                flqmi_order(&kernel, &candidates, &query_rows, p.eta, count)
            }
            SimilarFunction::GraphCutMi(_) => {
                let scores = gcmi_scores(&kernel, &candidates, &query_rows);
                return Ok(top_k(request.unlabeled, &scores, count));
            }
            SimilarFunction::LogDetMi(p) => {
                check_logdet()?;
                logdet_order(
                    &kernel,
                    &candidates,
                    &query_rows,
                    p.eta,
                    p.lambda,
                    true,
                    count,
                )
            }
            SimilarFunction::FacilityLocationCg(p) => {
                let ground: Vec<usize> = if n <= p.ground {
                    candidates.clone()
                } else {
                    let mut g = sample(rng, n, p.ground).into_vec();
                    g.sort_unstable();
                    g
                };
                flcg_order(&kernel, &candidates, &ground, &private_rows, p.nu, count)
            }
            SimilarFunction::GraphCutCg(p) => {
                let sums = kernel.column_sums(&candidates);
                gccg_order(
                    &kernel,
                    &candidates,
                    &sums,
                    &private_rows,
                    p.lambda,
                    p.nu,
                    count,
                )
            }
            SimilarFunction::LogDetCg(p) => {
                check_logdet()?;
                logdet_order(
                    &kernel,
                    &candidates,
                    &private_rows,
                    p.nu,
                    p.lambda,
                    false,
                    count,
                )
            }
        };
        Ok(order.into_iter().map(|x| request.unlabeled[x]).collect())
    }
}
