//! Seeded randomness with algorithms fixed in this crate.
//!
//! Everything random goes through ChaCha8 seeded with `seed_from_u64`, and the
//! derived draws (shuffles, bounded integers, normals) are implemented here
//! rather than taken from `rand`'s distributions, so a seed gives the same data
//! on every platform and across `rand` upgrades.

use rand::RngCore;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator for a seed.
pub(crate) fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

pub(crate) use sieve_seeds::derive_stream;

/// Uniform integer in `0..n` (unbiased, by rejection). Returns 0 when `n == 0`.
pub(crate) fn below<R: RngCore + ?Sized>(rng: &mut R, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    let n = n as u64;
    // 2^64 mod n: draws below this would bias the modulo.
    let threshold = n.wrapping_neg() % n;
    loop {
        let x = rng.next_u64();
        if x >= threshold {
            return (x % n) as usize;
        }
    }
}

/// Uniform `f64` in `[0, 1)` with 53 random bits.
pub(crate) fn unit_f64<R: RngCore + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A fair coin.
pub(crate) fn coin<R: RngCore + ?Sized>(rng: &mut R) -> bool {
    rng.next_u64() >> 63 == 1
}

/// Standard normal draw (Box–Muller; one of the pair is discarded for simplicity).
pub(crate) fn normal<R: RngCore + ?Sized>(rng: &mut R) -> f64 {
    let u1 = 1.0 - unit_f64(rng); // (0, 1], so ln is finite
    let u2 = unit_f64(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Fisher–Yates shuffle.
pub(crate) fn shuffle<T, R: RngCore + ?Sized>(rng: &mut R, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i + 1);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_hits_every_value() {
        let mut rng = seeded(1);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = below(&mut rng, 7);
            seen[v] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(below(&mut rng, 0), 0);
    }

    #[test]
    fn normal_has_unit_moments() {
        let mut rng = seeded(2);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
    }

    #[test]
    fn derived_seeds_differ() {
        assert_ne!(derive_stream(0, 1), derive_stream(0, 2));
        assert_ne!(derive_stream(0, 1), derive_stream(1, 1));
    }
}
