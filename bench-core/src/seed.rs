//! Seeds live in the `sieve-seeds` crate (one place for every derivation); re-exported
//! here because every trial uses them.

pub use sieve_seeds::{derive_seed, strategy_rng, SeedStream};
