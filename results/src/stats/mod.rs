//! Statistics over repeats: descriptive estimates, the distributions they rest on,
//! paired differences against the reference, rank tests, multiple-testing
//! adjustment, the bootstrap and the verdict rule.

pub mod bootstrap;
pub mod descriptive;
pub mod holm;
pub mod mann_whitney;
pub mod normal;
pub mod paired;
mod ranks;
pub mod rng;
mod special;
pub mod student_t;
pub mod verdict;
pub mod welch;
pub mod wilcoxon;
