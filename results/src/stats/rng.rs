//! A small seeded random generator (xoshiro256**, seeded through SplitMix64).
//!
//! Written here so the bootstrap is reproducible bit for bit from a seed in the
//! config, on every platform and across dependency upgrades; never seeded from
//! the clock.

/// xoshiro256** (Blackman and Vigna): fast, 256 bits of state, good statistical
/// quality for resampling.
#[derive(Clone, Debug)]
pub struct Rng {
    state: [u64; 4],
}

use sieve_seeds::splitmix64;

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut s = seed;
        Self {
            state: [
                splitmix64(&mut s),
                splitmix64(&mut s),
                splitmix64(&mut s),
                splitmix64(&mut s),
            ],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n) for n > 0 (Lemire's multiply-shift with
    /// rejection, so there is no modulo bias); 0 when n = 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }

    /// A standard normal draw (Box-Muller); for simulations in tests and checks.
    pub fn normal(&mut self) -> f64 {
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u = 1.0 - self.next_f64();
        let v = self.next_f64();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// A stable 64-bit hash (FNV-1a) of text, to derive per-cell seeds that do not
/// depend on the order cells are visited in.
pub fn stable_hash(text: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut r = Rng::new(1);
        let n = 200_000;
        let (mut s, mut s2, mut counts) = (0.0, 0.0, [0usize; 5]);
        for _ in 0..n {
            let z = r.normal();
            s += z;
            s2 += z * z;
            counts[r.below(5)] += 1;
        }
        let mean = s / n as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((s2 / n as f64 - 1.0).abs() < 0.02);
        for c in counts {
            assert!((c as f64 / n as f64 - 0.2).abs() < 0.005);
        }
    }

    #[test]
    fn fnv_reference() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the FNV reference table).
        assert_eq!(stable_hash("a"), 0xAF63_DC4C_8601_EC8C);
    }
}
