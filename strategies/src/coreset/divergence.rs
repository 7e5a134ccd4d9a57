//! Divergences between probability rows, with a floor so an exact 0 gives a large but
//! finite value (DeepCore's versions have no floor and return NaN or infinity).

/// Smallest probability used inside a logarithm.
pub const PROBABILITY_FLOOR: f64 = 1e-12;

/// `KL(p || q) = sum_c p_c ln(p_c / q_c)`.
pub fn kl(p: &[f32], q: &[f32]) -> f64 {
    p.iter()
        .zip(q)
        .map(|(&a, &b)| {
            let a = f64::from(a).max(PROBABILITY_FLOOR);
            let b = f64::from(b).max(PROBABILITY_FLOOR);
            a * (a / b).ln()
        })
        .sum()
}

/// The symmetric KL `0.5·KL(p||q) + 0.5·KL(q||p)`.
pub fn symmetric_kl(p: &[f32], q: &[f32]) -> f64 {
    0.5 * kl(p, q) + 0.5 * kl(q, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_values() {
        let p = [0.5f32, 0.5];
        let q = [0.9f32, 0.1];
        // 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1) = 0.5108256...
        assert!((kl(&p, &q) - 0.510_825_623_765_990_7).abs() < 1e-6);
        assert!((symmetric_kl(&p, &q) - symmetric_kl(&q, &p)).abs() < 1e-12);
        assert!(kl(&p, &p).abs() < 1e-12);
        assert!(kl(&[1.0, 0.0], &[0.0, 1.0]).is_finite());
    }
}
