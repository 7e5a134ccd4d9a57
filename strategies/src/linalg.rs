//! Small numeric helpers shared by the strategies: dot products, distances, arg-max,
//! shape checks on what a model returned, and Gaussian draws from the strategy's rng.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{Matrix, StrategyError};

/// Dot product accumulated in f64 (so factorised and materialised forms agree closely).
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum()
}

/// Squared Euclidean distance accumulated in f64.
pub fn squared_distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = f64::from(x) - f64::from(y);
            d * d
        })
        .sum()
}

/// Index of the largest value; ties go to the lower index (NaN never wins).
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] || row[best].is_nan() && !v.is_nan() {
            best = i;
        }
    }
    best
}

/// A standard normal draw (Box-Muller) from the strategy's own stream.
pub fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    // 1 - u is in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Checks that a matrix the model returned has `rows` rows (and `cols` columns when
/// given), so a misbehaving model is an error rather than an out-of-bounds panic.
pub fn check_shape(
    strategy: &str,
    what: &str,
    m: &Matrix,
    rows: usize,
    cols: Option<usize>,
) -> Result<(), StrategyError> {
    let cols_ok = cols.is_none_or(|c| m.cols == c);
    if m.rows != rows || !cols_ok || m.data.len() != m.rows * m.cols {
        return Err(StrategyError::Request {
            strategy: strategy.to_string(),
            message: format!(
                "the model returned {what} of shape {}x{}, expected {rows} rows{}",
                m.rows,
                m.cols,
                cols.map(|c| format!(" x {c} columns")).unwrap_or_default()
            ),
        });
    }
    Ok(())
}

/// The `count` rows with the smallest `values`; ties go to the lower row.
pub fn smallest_k(values: &[f64], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        values[a]
            .partial_cmp(&values[b])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    order.truncate(count);
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn argmax_ties_to_lower_index() {
        assert_eq!(argmax(&[0.2, 0.4, 0.4]), 1);
        assert_eq!(argmax(&[f32::NAN, 0.1]), 1);
    }

    #[test]
    fn smallest_k_is_stable() {
        assert_eq!(smallest_k(&[3.0, 1.0, 1.0, 0.5], 3), vec![3, 1, 2]);
    }

    #[test]
    fn normal_draws_have_unit_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let xs: Vec<f64> = (0..20_000).map(|_| standard_normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }
}
