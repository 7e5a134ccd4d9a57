//! DACS's density: the mean cosine similarity of an example to its k nearest
//! neighbours in the unlabeled pool (high = dense), with the neighbours searched among
//! approximate candidates.
//!
//! The paper finds the candidates by locality-sensitive hashing. Sign random projections
//! through the origin (SimHash) put a tight cluster far from the origin into one bucket
//! whatever the number of bits, so on real embeddings a few buckets hold thousands of
//! examples and the search degrades to O(N²) (37 s on a 60,000-example pool of 10
//! clusters). sieve uses the data-dependent form of the same hashing: random-projection
//! trees (Dasgupta & Freund, STOC 2008), each of which splits its cell by a random
//! hyperplane at the median projection until a cell holds at most `leaf_size` examples.
//! An example's candidates are the members of its leaf in each of `trees` trees: every
//! leaf holds more than `knn` examples, so no estimate rests on a too-small bucket, and a
//! pool no larger than a leaf is searched exactly. Cost O(N·D·trees·log(N/leaf)) to
//! build plus O(N·trees·leaf·D) to search; memory O(N·trees).

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::Matrix;

use crate::linalg::{dot, standard_normal};

pub use crate::linalg::normalized;

/// The smallest leaf that still gives every example `knn` other candidates after a
/// median split: a split cell has more than `leaf_size` members, so each half has at
/// least (leaf_size + 1) / 2 ≥ knn + 1.
pub fn minimum_leaf_size(knn: usize) -> usize {
    2 * (knn + 1)
}

/// Default leaf: four times the minimum (a few dozen candidates per tree).
pub fn automatic_leaf_size(knn: usize) -> usize {
    4 * (knn + 1)
}

/// One random-projection tree: the pool permuted so that every leaf is a contiguous
/// range, and each example's leaf range.
struct ProjectionTree {
    order: Vec<usize>,
    leaf_of: Vec<(usize, usize)>,
}

impl ProjectionTree {
    fn build(unit: &Matrix, leaf_size: usize, rng: &mut ChaCha8Rng) -> Self {
        let n = unit.rows;
        let mut order: Vec<usize> = (0..n).collect();
        let mut leaf_of = vec![(0, 0); n];
        // Depth-first over cells (start, end), so the rng draws in a fixed order.
        let mut cells = vec![(0, n)];
        let mut projected: Vec<(f64, usize)> = Vec::new();
        while let Some((start, end)) = cells.pop() {
            if end - start <= leaf_size {
                for &i in &order[start..end] {
                    leaf_of[i] = (start, end);
                }
                continue;
            }
            let direction: Vec<f32> = (0..unit.cols)
                .map(|_| standard_normal(rng) as f32)
                .collect();
            projected.clear();
            projected.extend(
                order[start..end]
                    .iter()
                    .map(|&i| (dot(unit.row(i), &direction), i)),
            );
            let middle = projected.len() / 2;
            // Total order (projection, then index): ties and NaN never break the split.
            projected
                .select_nth_unstable_by(middle, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (slot, &(_, i)) in order[start..end].iter_mut().zip(&projected) {
                *slot = i;
            }
            cells.push((start + middle, end));
            cells.push((start, start + middle));
        }
        Self { order, leaf_of }
    }

    fn leaf(&self, example: usize) -> &[usize] {
        let (start, end) = self.leaf_of[example];
        &self.order[start..end]
    }
}

/// Mean cosine similarity of each row of `unit` (unit-length rows) to its `knn`
/// nearest other rows, the neighbours searched among its leaves in `trees`
/// random-projection trees with leaves of at most `leaf_size` (raised to
/// [`minimum_leaf_size`]) examples.
pub fn knn_density(
    unit: &Matrix,
    knn: usize,
    leaf_size: usize,
    trees: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<f64> {
    let n = unit.rows;
    let leaf_size = leaf_size.max(minimum_leaf_size(knn));
    let forest: Vec<ProjectionTree> = (0..trees.max(1))
        .map(|_| ProjectionTree::build(unit, leaf_size, rng))
        .collect();
    let mut seen = vec![usize::MAX; n];
    let mut similarities = Vec::new();
    (0..n)
        .map(|i| {
            similarities.clear();
            for tree in &forest {
                for &j in tree.leaf(i) {
                    if j != i && seen[j] != i {
                        seen[j] = i;
                        similarities.push(dot(unit.row(i), unit.row(j)));
                    }
                }
            }
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
