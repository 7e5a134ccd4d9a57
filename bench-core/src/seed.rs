//! Seeds: every random stream in sieve is derived from the sweep's master seed by a stable
//! hash of named parts, never from the clock. The trial seed covers everything but the
//! strategy, so at repeat r every strategy shares the initial set, weights and data order.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// FNV-1a over the parts (with a separator), finished with SplitMix64 for good mixing.
/// Stable across platforms and versions: records depend on it.
pub fn derive_seed(base: u64, parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ splitmix64(base);
    for part in parts {
        for byte in part.as_bytes().iter().chain(std::iter::once(&0x1f)) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    splitmix64(hash)
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The named streams derived from one trial seed.
#[derive(Clone, Copy, Debug)]
pub struct SeedStream {
    pub trial_seed: u64,
}

impl SeedStream {
    /// Streams of the trial with this seed.
    pub fn new(trial_seed: u64) -> Self {
        Self { trial_seed }
    }

    /// Seed of the initial labeled set (shared by all strategies).
    pub fn initial_set(&self) -> u64 {
        derive_seed(self.trial_seed, &["initial-set"])
    }

    /// Backend seed for the model initialisation of round `round` (shared by all strategies).
    pub fn model_init(&self, round: usize) -> u64 {
        derive_seed(self.trial_seed, &["model-init", &round.to_string()])
    }

    /// Seed for the data order, augmentation and dropout of round `round`.
    pub fn training(&self, round: usize) -> u64 {
        derive_seed(self.trial_seed, &["training", &round.to_string()])
    }

    /// Seed for MC-dropout masks at round `round`.
    pub fn inference(&self, round: usize) -> u64 {
        derive_seed(self.trial_seed, &["inference", &round.to_string()])
    }
}

/// The strategy's own random stream: a function of the trial seed and the strategy's name
/// and parameters, so method randomness never disturbs the shared streams.
pub fn strategy_rng(trial_seed: u64, strategy: &str, params: &str) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(derive_seed(trial_seed, &["strategy", strategy, params]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// derive_seed(42, ["x", "y"]) as first computed; a change here changes every record.
    const PINNED_42_X_Y: u64 = 4_902_095_087_141_745_061;

    #[test]
    fn derived_seeds_are_stable_and_distinct() {
        // Pinned value: records depend on this hash never changing.
        assert_eq!(derive_seed(0, &[]), derive_seed(0, &[]));
        assert_ne!(derive_seed(0, &["a"]), derive_seed(0, &["b"]));
        assert_ne!(derive_seed(0, &["ab", "c"]), derive_seed(0, &["a", "bc"]));
        assert_ne!(derive_seed(1, &["a"]), derive_seed(2, &["a"]));
        assert_eq!(derive_seed(42, &["x", "y"]), PINNED_42_X_Y);
    }
}
