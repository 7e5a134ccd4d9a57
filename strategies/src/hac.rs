//! Agglomerative clustering with average linkage (UPGMA) by the nearest-neighbour-chain
//! algorithm: O(m²) time and one condensed m(m-1)/2 distance table (f32), so it is only
//! ever run on a bounded candidate set, never on the whole pool.

use sieve_bench_core::Matrix;

use crate::linalg::squared_distance;

/// Index of pair (i, j), i != j, in the condensed upper triangle of an m x m table.
fn slot(m: usize, i: usize, j: usize) -> usize {
    let (a, b) = if i < j { (i, j) } else { (j, i) };
    a * (2 * m - a - 1) / 2 + (b - a - 1)
}

/// Cuts the average-linkage dendrogram of `points`' rows (Euclidean distance) into
/// `clusters` groups. Returns each row's cluster label in `0..clusters`; labels are
/// numbered by each cluster's lowest row. Deterministic: ties go to lower rows.
pub fn average_linkage(points: &Matrix, clusters: usize) -> Vec<usize> {
    let m = points.rows;
    if m == 0 {
        return Vec::new();
    }
    let clusters = clusters.clamp(1, m);
    let mut dist = vec![0f32; m * (m - 1) / 2];
    for i in 0..m {
        for j in i + 1..m {
            dist[slot(m, i, j)] = squared_distance(points.row(i), points.row(j)).sqrt() as f32;
        }
    }
    let mut size = vec![1usize; m];
    let mut active = vec![true; m];
    // Merges as (height, kept slot, absorbed slot), in the order the chain finds them.
    let mut merges: Vec<(f32, usize, usize)> = Vec::with_capacity(m - 1);
    let mut chain: Vec<usize> = Vec::new();
    while merges.len() + 1 < m {
        if chain.is_empty() {
            if let Some(start) = (0..m).find(|&i| active[i]) {
                chain.push(start);
            }
        }
        let Some(&a) = chain.last() else { break };
        let prev = chain.len().checked_sub(2).map(|k| chain[k]);
        // Nearest active neighbour of a; the previous chain element wins ties, which is
        // what keeps the chain from cycling.
        let mut best = prev;
        let mut best_d = prev.map_or(f32::INFINITY, |p| dist[slot(m, a, p)]);
        for b in 0..m {
            if b != a && active[b] && Some(b) != prev {
                let d = dist[slot(m, a, b)];
                if d < best_d {
                    best_d = d;
                    best = Some(b);
                }
            }
        }
        let Some(b) = best else { break };
        if Some(b) == prev {
            chain.pop();
            chain.pop();
            let (keep, gone) = if a < b { (a, b) } else { (b, a) };
            // Lance-Williams update for average linkage.
            let (na, nb) = (size[keep] as f32, size[gone] as f32);
            for k in 0..m {
                if active[k] && k != keep && k != gone {
                    let dk =
                        (na * dist[slot(m, k, keep)] + nb * dist[slot(m, k, gone)]) / (na + nb);
                    dist[slot(m, k, keep)] = dk;
                }
            }
            size[keep] += size[gone];
            active[gone] = false;
            merges.push((best_d, keep, gone));
        } else {
            chain.push(b);
        }
    }
    // Apply the m - clusters lowest merges (stable, so equal heights keep chain order;
    // average linkage has no inversions, so this is a cut of the dendrogram).
    let mut order: Vec<usize> = (0..merges.len()).collect();
    order.sort_by(|&x, &y| {
        crate::ranking::ascending_nan_last(f64::from(merges[x].0), f64::from(merges[y].0))
            .then(x.cmp(&y))
    });
    let mut parent: Vec<usize> = (0..m).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &k in order.iter().take(m - clusters) {
        let (_, keep, gone) = merges[k];
        let (ra, rb) = (find(&mut parent, keep), find(&mut parent, gone));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent[hi] = lo;
        }
    }
    let mut label_of_root = vec![usize::MAX; m];
    let mut next = 0;
    let mut labels = vec![0; m];
    for (i, label) in labels.iter_mut().enumerate() {
        let r = find(&mut parent, i);
        if label_of_root[r] == usize::MAX {
            label_of_root[r] = next;
            next += 1;
        }
        *label = label_of_root[r];
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_obvious_groups() {
        let pts = Matrix::new(7, 1, vec![0.0, 10.0, 0.5, 10.4, 30.0, 1.0, 30.2]);
        assert_eq!(average_linkage(&pts, 3), vec![0, 1, 0, 1, 2, 0, 2]);
        assert_eq!(average_linkage(&pts, 1), vec![0; 7]);
        assert_eq!(average_linkage(&pts, 7), vec![0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn average_not_single_linkage() {
        // Single linkage would chain 0-1-2-3 (gaps 1.0) before joining 4 (gap 1.1);
        // average linkage joins {3, 4} first and keeps {0, 1} apart from {2, 3, 4}.
        let pts = Matrix::new(5, 1, vec![0.0, 1.0, 2.0, 3.0, 4.1]);
        let labels = average_linkage(&pts, 2);
        assert_eq!(labels[0], labels[1]);
        assert_eq!(labels[3], labels[4]);
        assert_ne!(labels[0], labels[4]);
    }
}
