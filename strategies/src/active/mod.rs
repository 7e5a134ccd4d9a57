//! Pool-based active learning: uncertainty sampling and core-set (k-center greedy).

pub mod entropy;
pub mod kcenter;
pub mod least_confidence;
pub mod margin;
mod uncertainty;

pub use entropy::EntropySampling;
pub use kcenter::{KCenterGreedy, KCenterParams, Metric};
pub use least_confidence::LeastConfidence;
pub use margin::MarginSampling;
