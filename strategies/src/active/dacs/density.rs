//! DACS's density: the mean cosine similarity of an example to its k nearest
//! neighbours in the unlabeled pool (high = dense), with the neighbours searched among
//! the examples that share a locality-sensitive-hashing bucket with it.
//!
//! LSH: sign random projections (SimHash, Charikar 2002), whose collision probability
//! grows with cosine similarity. Each of `tables` tables draws `hash_bits` Gaussian
//! hyperplanes through the origin from the strategy's rng; an example's candidates are
//! the union of its buckets over the tables. An example with fewer than k candidates is
//! searched exactly over the whole pool, so the estimate never rests on a too-small
//! bucket. Cost O(N·tables·hash_bits·D) to hash plus O(N·candidates·D) to search.

use std::collections::HashMap;

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::Matrix;

use crate::linalg::{dot, standard_normal};

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

/// Hash bits that give buckets of about 2k members on a pool of n (at least 1, at
/// most 20): enough candidates for k neighbours without searching the whole pool.
pub fn automatic_hash_bits(n: usize, knn: usize) -> usize {
    let target = (n as f64 / (2.0 * knn.max(1) as f64)).max(1.0);
    (target.log2().floor() as usize).clamp(1, 20)
}

/// Mean cosine similarity of each row of `unit` (unit-length rows) to its `knn`
/// nearest other rows, neighbours searched within shared LSH buckets.
pub fn knn_density(
    unit: &Matrix,
    knn: usize,
    hash_bits: usize,
    tables: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<f64> {
    let n = unit.rows;
    let mut buckets: Vec<Vec<u64>> = Vec::with_capacity(tables);
    for _ in 0..tables {
        let planes: Vec<Vec<f32>> = (0..hash_bits)
            .map(|_| {
                (0..unit.cols)
                    .map(|_| standard_normal(rng) as f32)
                    .collect()
            })
            .collect();
        buckets.push(
            unit.iter_rows()
                .map(|row| {
                    planes.iter().enumerate().fold(0u64, |key, (bit, w)| {
                        if dot(row, w) > 0.0 {
                            key | (1u64 << bit)
                        } else {
                            key
                        }
                    })
                })
                .collect(),
        );
    }
    let members: Vec<HashMap<u64, Vec<usize>>> = buckets
        .iter()
        .map(|keys| {
            let mut map: HashMap<u64, Vec<usize>> = HashMap::new();
            for (i, &key) in keys.iter().enumerate() {
                map.entry(key).or_default().push(i);
            }
            map
        })
        .collect();
    let everyone: Vec<usize> = (0..n).collect();
    let mut seen = vec![usize::MAX; n];
    let mut candidates = Vec::new();
    let mut similarities = Vec::new();
    (0..n)
        .map(|i| {
            candidates.clear();
            for (bucket_of, keys) in members.iter().zip(&buckets) {
                for &j in bucket_of.get(&keys[i]).map(Vec::as_slice).unwrap_or(&[]) {
                    if j != i && seen[j] != i {
                        seen[j] = i;
                        candidates.push(j);
                    }
                }
            }
            let pool: &[usize] = if candidates.len() >= knn {
                &candidates
            } else {
                &everyone
            };
            similarities.clear();
            similarities.extend(
                pool.iter()
                    .filter(|&&j| j != i)
                    .map(|&j| dot(unit.row(i), unit.row(j))),
            );
            mean_of_largest(&mut similarities, knn)
        })
        .collect()
}

/// Mean of the `k` largest values (all of them when fewer); 0 for none.
fn mean_of_largest(values: &mut [f64], k: usize) -> f64 {
    let k = k.min(values.len());
    if k == 0 {
        return 0.0;
    }
    values.select_nth_unstable_by(k - 1, |a, b| crate::ranking::descending_nan_last(*a, *b));
    values[..k].iter().sum::<f64>() / k as f64
}
