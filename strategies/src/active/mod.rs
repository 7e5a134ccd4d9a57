//! Pool-based active learning: uncertainty sampling, the MC-dropout (Bayesian) family,
//! core-set (k-center greedy), and diversity / hybrid methods.

pub mod adversarial;
pub mod badge;
pub mod bald;
pub mod base;
pub mod batchbald;
pub mod cluster_margin;
pub mod dacs;
pub mod entropy;
pub mod epig;
pub mod kcenter;
pub mod kmeans;
pub mod least_confidence;
pub mod margin;
pub mod mc_dropout;
pub mod mc_entropy;
pub mod mc_least_confidence;
pub mod mc_margin;
pub mod mean_std;
pub mod poal;
pub mod similar;
pub mod tod;
mod uncertainty;
pub mod variation_ratios;

pub use adversarial::{AdversarialBim, AdversarialDeepFool, BimParams, DeepFoolParams};
pub use badge::Badge;
pub use bald::Bald;
pub use base::BalancedSelection;
pub use batchbald::{BatchBald, BatchBaldParams};
pub use cluster_margin::{ClusterMargin, ClusterMarginParams};
pub use dacs::{Dacs, DacsParams};
pub use entropy::EntropySampling;
pub use epig::{Epig, EpigParams};
pub use kcenter::{farthest_first, KCenterGreedy, KCenterParams, Metric};
pub use kmeans::{KMeansParams, KMeansSampling};
pub use least_confidence::LeastConfidence;
pub use margin::MarginSampling;
pub use mc_dropout::McParams;
pub use mc_entropy::McEntropy;
pub use mc_least_confidence::McLeastConfidence;
pub use mc_margin::McMargin;
pub use mean_std::MeanStd;
pub use poal::{Poal, PoalParams};
pub use similar::{Similar, SimilarFunction};
pub use tod::TemporalOutputDiscrepancy;
pub use variation_ratios::VariationRatios;
