//! Data-selection strategies, one file per method, grouped by family, and the registry
//! that maps a config name (with its parameters) to a constructed strategy.

pub mod active;
pub mod candidate_pool;
pub mod condense;
pub mod continual;
pub mod coreset;
pub mod hac;
pub mod init;
pub mod linalg;
pub mod online;
pub mod params;
pub mod random;
pub mod ranking;
pub mod registry;
pub mod seeding;

pub use registry::{
    build_strategy, strategy_info, strategy_infos, strategy_names, suggest, ParamInfo,
    RegistryError, StrategyInfo,
};
