//! Small numeric helpers shared by the strategies: dot products, distances, arg-max,
//! shape checks on what a model returned, and Gaussian draws from the strategy's rng.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{Matrix, StrategyError};

/// Rows scaled to unit length (a zero row stays zero).
pub fn normalized(points: &Matrix) -> Matrix {
    let mut data = Vec::with_capacity(points.rows * points.cols);
    for row in points.iter_rows() {
        let norm = dot(row, row).sqrt();
        let scale = if norm > 0.0 { (1.0 / norm) as f32 } else { 0.0 };
        data.extend(row.iter().map(|&v| v * scale));
    }
    Matrix::new(points.rows, points.cols, data)
}

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

/// Squared Euclidean distance in f32 with eight independent partial sums, so the
/// compiler can keep them in one SIMD register (the hot loop of k-center and k-means).
/// The summation order is fixed, so results are deterministic.
pub fn squared_distance_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            let d = x[k] - y[k];
            lanes[k] += d * d;
        }
    }
    let mut total = lanes.iter().sum::<f32>();
    for (x, y) in ra.iter().zip(rb) {
        total += (x - y) * (x - y);
    }
    total
}

/// `min_dist[i] = min(min_dist[i], |row_i - center|²)` for every row of `points`, in
/// parallel over rows (each element is written by one thread: deterministic).
pub fn lower_min_distances(points: &Matrix, center: &[f32], min_dist: &mut [f32]) {
    use rayon::prelude::*;
    let cols = points.cols.max(1);
    min_dist
        .par_iter_mut()
        .zip(points.data.par_chunks(cols))
        .with_min_len(256)
        .for_each(|(m, row)| {
            let d = squared_distance_f32(row, center);
            if d < *m {
                *m = d;
            }
        });
}

/// Index of the largest value; ties go to the lower index (NaN never wins).
pub fn argmax<T: Copy + PartialOrd>(row: &[T]) -> usize {
    // `x.partial_cmp(&x)` is `None` only for NaN: any number beats a NaN.
    let is_nan = |x: T| x.partial_cmp(&x).is_none();
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] || is_nan(row[best]) && !is_nan(v) {
            best = i;
        }
    }
    best
}

/// Lower Cholesky factor of the symmetric `d x d` matrix `m` (row-major). A pivot below
/// `floor` is raised to it, so a nearly singular matrix still factors (callers add a
/// ridge first; the floor only guards rounding).
pub fn cholesky(m: &[f64], d: usize, floor: f64) -> Vec<f64> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut v = m[i * d + j];
            for k in 0..j {
                v -= l[i * d + k] * l[j * d + k];
            }
            l[i * d + j] = if i == j {
                v.max(floor).sqrt()
            } else {
                v / l[j * d + j]
            };
        }
    }
    l
}

/// `L⁻¹ z` for a lower-triangular `d x d` factor `l` (forward substitution).
pub fn forward_solve(l: &[f64], z: &[f64], d: usize) -> Vec<f64> {
    let mut y = vec![0.0; d];
    for i in 0..d {
        let mut v = z[i];
        for k in 0..i {
            v -= l[i * d + k] * y[k];
        }
        y[i] = v / l[i * d + i];
    }
    y
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
    order
        .sort_by(|&a, &b| crate::ranking::ascending_nan_last(values[a], values[b]).then(a.cmp(&b)));
    order.truncate(count);
    order
}

#[cfg(test)]
mod fast_distance_tests {
    use super::*;

    #[test]
    fn fast_distance_matches_the_plain_sum() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| (i * i) as f32 * 0.1).collect();
        let plain = squared_distance(&a, &b);
        assert!((f64::from(squared_distance_f32(&a, &b)) - plain).abs() < 1e-3 * plain);
        let points = Matrix::new(3, 2, vec![0.0, 0.0, 3.0, 4.0, 1.0, 1.0]);
        let mut min_dist = vec![f32::INFINITY, 1.0, 100.0];
        lower_min_distances(&points, &[0.0, 0.0], &mut min_dist);
        assert_eq!(min_dist, vec![0.0, 1.0, 2.0]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_k_puts_nan_last_and_never_panics() {
        let values = [0.3, f64::NAN, 0.1, f64::NAN, 0.2];
        assert_eq!(smallest_k(&values, 5), vec![2, 4, 0, 1, 3]);
        let many: Vec<f64> = (0..4000)
            .map(|i| {
                if i % 2 == 0 {
                    f64::NAN
                } else {
                    (i % 13) as f64
                }
            })
            .collect();
        assert_eq!(smallest_k(&many, 4000).len(), 4000);
    }
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
