//! Principal components by randomized subspace iteration (Halko, Martinsson & Tropp,
//! 2011): fit on a seeded subsample, then project every row. Memory O(rows x dims +
//! fit_rows x (dims + oversampling)); no d x d covariance is formed.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::Matrix;

use super::Features;

const OVERSAMPLING: usize = 8;
const POWER_ITERATIONS: usize = 3;

/// Projects every row of `features` onto its top `dims` principal components, fitted on
/// at most `max_fit_rows` rows drawn with `rng`. With `dims >= cols` the centred features
/// are returned as they are (a rotation would add nothing).
pub fn pca_project(
    features: &Features<'_>,
    dims: usize,
    max_fit_rows: usize,
    rng: &mut ChaCha8Rng,
) -> Matrix {
    let (n, d) = (features.rows, features.cols);
    let mut mean = vec![0f64; d];
    for i in 0..n {
        for (m, &v) in mean.iter_mut().zip(features.row(i)) {
            *m += f64::from(v);
        }
    }
    mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
    let centred = |i: usize| -> Vec<f64> {
        features
            .row(i)
            .iter()
            .zip(&mean)
            .map(|(&v, m)| f64::from(v) - m)
            .collect()
    };
    if dims >= d || n == 0 {
        let data = (0..n)
            .flat_map(|i| centred(i).into_iter().map(|v| v as f32))
            .collect();
        return Matrix::new(n, d, data);
    }
    // Fit rows: a seeded subsample (all rows when few).
    let fit: Vec<usize> = if n <= max_fit_rows {
        (0..n).collect()
    } else {
        let mut idx: Vec<usize> = rand::seq::index::sample(rng, n, max_fit_rows).into_vec();
        idx.sort_unstable();
        idx
    };
    let x: Vec<Vec<f64>> = fit.iter().map(|&i| centred(i)).collect();
    let l = (dims + OVERSAMPLING).min(d);
    // Omega: d x l Gaussian, stored as l columns of length d.
    let mut basis: Vec<Vec<f64>> = (0..l)
        .map(|_| (0..d).map(|_| gaussian(rng)).collect())
        .collect();
    // Subspace iteration on the row space: basis <- orth(X^T X basis).
    for _ in 0..POWER_ITERATIONS {
        let projected: Vec<Vec<f64>> = basis
            .iter()
            .map(|col| x.iter().map(|row| dot(row, col)).collect())
            .collect(); // l x m
        basis = projected
            .iter()
            .map(|p| {
                let mut col = vec![0f64; d];
                for (row, &w) in x.iter().zip(p) {
                    for (c, &v) in col.iter_mut().zip(row) {
                        *c += w * v;
                    }
                }
                col
            })
            .collect();
        orthonormalise(&mut basis);
    }
    // Rayleigh-Ritz: the l x l matrix S = Q^T X^T X Q, its eigenvectors rotate Q.
    let scores: Vec<Vec<f64>> = basis
        .iter()
        .map(|col| x.iter().map(|row| dot(row, col)).collect())
        .collect(); // l x m
    let mut s = vec![vec![0f64; l]; l];
    for a in 0..l {
        for b in a..l {
            let v = dot(&scores[a], &scores[b]);
            s[a][b] = v;
            s[b][a] = v;
        }
    }
    let (values, vectors) = jacobi_eigen(s);
    let mut order: Vec<usize> = (0..l).collect();
    order.sort_by(|&a, &b| {
        crate::ranking::descending_nan_last(values[a], values[b]).then(a.cmp(&b))
    });
    let components: Vec<Vec<f64>> = order
        .iter()
        .take(dims)
        .map(|&j| {
            let mut comp = vec![0f64; d];
            for (i, col) in basis.iter().enumerate() {
                let w = vectors[i][j];
                for (c, &v) in comp.iter_mut().zip(col) {
                    *c += w * v;
                }
            }
            // Fix the sign so the largest-magnitude entry is positive (deterministic output).
            let pivot = comp
                .iter()
                .copied()
                .fold(0f64, |a, b| if b.abs() > a.abs() { b } else { a });
            if pivot < 0.0 {
                comp.iter_mut().for_each(|c| *c = -*c);
            }
            comp
        })
        .collect();
    let mut data = Vec::with_capacity(n * dims);
    for i in 0..n {
        let row = centred(i);
        data.extend(components.iter().map(|c| dot(&row, c) as f32));
    }
    Matrix::new(n, dims, data)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Modified Gram-Schmidt on the columns (a column that vanishes is left at zero).
fn orthonormalise(columns: &mut [Vec<f64>]) {
    for j in 0..columns.len() {
        for k in 0..j {
            let (head, tail) = columns.split_at_mut(j);
            let proj = dot(&tail[0], &head[k]);
            for (v, &q) in tail[0].iter_mut().zip(&head[k]) {
                *v -= proj * q;
            }
        }
        let norm = dot(&columns[j], &columns[j]).sqrt();
        if norm > 1e-12 {
            columns[j].iter_mut().for_each(|v| *v /= norm);
        } else {
            columns[j].iter_mut().for_each(|v| *v = 0.0);
        }
    }
}

/// Cyclic Jacobi eigen-decomposition of a small symmetric matrix: (eigenvalues,
/// eigenvectors as columns of the returned matrix).
fn jacobi_eigen(mut a: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = a.len();
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        let scale: f64 = (0..n).map(|i| a[i][i] * a[i][i]).sum::<f64>().max(1e-300);
        if off <= 1e-24 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (row_p, row_q) = (a[p].clone(), a[q].clone());
                for (k, (apk, aqk)) in row_p.into_iter().zip(row_q).enumerate() {
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vp, vq) = (row[p], row[q]);
                    row[p] = c * vp - s * vq;
                    row[q] = s * vp + c * vq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i][i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn jacobi_recovers_a_known_spectrum() {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1.
        let (mut values, _) = jacobi_eigen(vec![vec![2.0, 1.0], vec![1.0, 2.0]]);
        values.sort_by(|a, b| b.total_cmp(a));
        assert!(
            (values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12,
            "{values:?}"
        );
    }

    #[test]
    fn the_first_component_follows_the_line_the_points_lie_on() {
        // Points t * (1, 2, 2) / 3 + small orthogonal wobble, t = 0..50: the first
        // component is the line, so the projection is monotone in t.
        let mut data = Vec::new();
        for t in 0..50 {
            let t = t as f32;
            let wobble = if (t as usize).is_multiple_of(2) {
                0.01
            } else {
                -0.01
            };
            data.extend([
                t / 3.0 + 2.0 * wobble,
                2.0 * t / 3.0 - wobble,
                2.0 * t / 3.0,
            ]);
        }
        let features = Features::new(&data, 50, 3).unwrap();
        let z = pca_project(&features, 1, 10_000, &mut ChaCha8Rng::seed_from_u64(1));
        let values: Vec<f32> = z.data.clone();
        let increasing = values.windows(2).all(|w| w[1] > w[0]);
        let decreasing = values.windows(2).all(|w| w[1] < w[0]);
        assert!(increasing || decreasing, "{values:?}");
        // Spread along the line: t spans 0..49 with unit-norm direction -> range 49.
        let range = values.iter().cloned().fold(f32::MIN, f32::max)
            - values.iter().cloned().fold(f32::MAX, f32::min);
        assert!((range - 49.0).abs() < 0.1, "{range}");
    }
}
