//! Lloyd's k-means with k-means++ seeding, on a plain matrix. Memory O(n + k x d): the
//! assignment step streams over rows, never forming an n x k distance matrix.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::Matrix;

use crate::linalg::squared_distance_f32 as squared_distance;

/// Centroids (`k x d`) and each row's cluster.
#[derive(Clone, Debug)]
pub struct KMeansResult {
    pub centroids: Matrix,
    pub assignment: Vec<usize>,
}

/// k-means++ seeding then Lloyd iterations until the assignment is stable or
/// `max_iter` is reached. An emptied cluster is re-seeded at the row farthest from its
/// centroid. Requires `1 <= k <= points.rows`.
pub fn kmeans(points: &Matrix, k: usize, max_iter: usize, rng: &mut ChaCha8Rng) -> KMeansResult {
    let (n, d) = (points.rows, points.cols);
    let k = k.clamp(1, n.max(1));
    // k-means++ seeding: first centre uniform, then proportional to squared distance.
    let centres = crate::seeding::kmeans_pp(n, k, None, rng, |c, d2| {
        let centre = points.row(c);
        for (i, row) in points.iter_rows().enumerate() {
            d2[i] = d2[i].min(f64::from(squared_distance(row, centre)));
        }
    });
    let k = centres.len();
    let mut centroids = Matrix::new(
        k,
        d,
        centres
            .iter()
            .flat_map(|&c| points.row(c).to_vec())
            .collect(),
    );
    let mut assignment = vec![usize::MAX; n];
    for _ in 0..max_iter.max(1) {
        let mut changed = false;
        for (i, row) in points.iter_rows().enumerate() {
            let best = closest(&centroids, row).0;
            if assignment[i] != best {
                assignment[i] = best;
                changed = true;
            }
        }
        let mut sums = vec![0f64; k * d];
        let mut counts = vec![0usize; k];
        for (i, row) in points.iter_rows().enumerate() {
            let c = assignment[i];
            counts[c] += 1;
            for (s, &v) in sums[c * d..(c + 1) * d].iter_mut().zip(row) {
                *s += f64::from(v);
            }
        }
        // Rows already used to re-seed an empty cluster in this iteration: several empty
        // clusters must not all land on the same farthest point.
        let mut reseeded: Vec<usize> = Vec::new();
        for c in 0..k {
            if counts[c] == 0 {
                // Re-seed an empty cluster at the row farthest from its own centroid.
                let far = (0..n)
                    .filter(|r| !reseeded.contains(r))
                    .max_by(|&a, &b| {
                        let da = squared_distance(points.row(a), centroids.row(assignment[a]));
                        let db = squared_distance(points.row(b), centroids.row(assignment[b]));
                        crate::ranking::ascending_nan_last(f64::from(da), f64::from(db))
                            .then(b.cmp(&a))
                    })
                    .unwrap_or(0);
                reseeded.push(far);
                centroids.data[c * d..(c + 1) * d].copy_from_slice(points.row(far));
                changed = true;
            } else {
                for j in 0..d {
                    centroids.data[c * d + j] = (sums[c * d + j] / counts[c] as f64) as f32;
                }
            }
        }
        if !changed {
            break;
        }
    }
    KMeansResult {
        centroids,
        assignment,
    }
}

/// The closest centroid to `row` and its squared distance (ties to the lower index).
pub(crate) fn closest(centroids: &Matrix, row: &[f32]) -> (usize, f32) {
    let mut best = (0, f32::INFINITY);
    for (c, centre) in centroids.iter_rows().enumerate() {
        let dist = squared_distance(row, centre);
        if dist < best.1 {
            best = (c, dist);
        }
    }
    best
}

/// For each centroid in order, the nearest row not yet taken (so the result is distinct).
pub fn nearest_distinct_to_centroids(points: &Matrix, centroids: &Matrix) -> Vec<usize> {
    let mut taken = vec![false; points.rows];
    let mut picks = Vec::with_capacity(centroids.rows);
    for centre in centroids.iter_rows() {
        let mut best: Option<(usize, f32)> = None;
        for (i, row) in points.iter_rows().enumerate() {
            if taken[i] {
                continue;
            }
            let dist = squared_distance(row, centre);
            if best.is_none_or(|(_, b)| dist < b) {
                best = Some((i, dist));
            }
        }
        if let Some((i, _)) = best {
            taken[i] = true;
            picks.push(i);
        }
    }
    picks
}

#[cfg(test)]
mod reseed_tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn several_empty_clusters_are_reseeded_on_distinct_points() {
        // Mostly duplicates: k-means++ may put several centres on one location, which
        // leaves clusters empty in the same iteration.
        let mut values = vec![0.0f32; 12];
        values.extend(vec![1.0; 12]);
        values.extend([2.0, 3.0]);
        let points = Matrix::new(values.len(), 1, values);
        for seed in 0..20 {
            let result = kmeans(&points, 4, 20, &mut ChaCha8Rng::seed_from_u64(seed));
            let mut centres: Vec<f32> = result.centroids.data.clone();
            centres.sort_by(f32::total_cmp);
            centres.dedup();
            assert_eq!(centres.len(), 4, "seed {seed}: {:?}", result.centroids.data);
        }
    }
}
