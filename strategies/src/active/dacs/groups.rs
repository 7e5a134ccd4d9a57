//! DACS's density groups and their share of the batch.
//!
//! Groups: the natural breaks of the density values — a one-dimensional k-means
//! (Lloyd iterations from quantile starts, which converge to contiguous intervals of
//! the sorted densities). Shares: softmax(-mean density of the group / temperature), so
//! sparse groups get most of the batch; a group never gets more than it has, and what
//! it cannot take goes to the next sparsest group with room.

/// Group of each value (0 = sparsest), and the mean of each group, for `groups`
/// natural-breaks groups of `density` (high = dense).
pub fn density_groups(density: &[f64], groups: usize, max_iter: usize) -> (Vec<usize>, Vec<f64>) {
    let n = density.len();
    let mut sorted: Vec<f64> = density.to_vec();
    sorted.sort_by(|a, b| crate::ranking::ascending_nan_last(*a, *b));
    let mut centres: Vec<f64> = (0..groups.min(n).max(1))
        .map(|g| {
            let g_count = groups.min(n).max(1);
            sorted[((2 * g + 1) * n / (2 * g_count)).min(n.saturating_sub(1))]
        })
        .collect();
    centres.dedup();
    let mut assignment = vec![0usize; n];
    for _ in 0..max_iter.max(1) {
        for (a, &v) in assignment.iter_mut().zip(density) {
            *a = nearest(&centres, v);
        }
        let mut sums = vec![0f64; centres.len()];
        let mut counts = vec![0usize; centres.len()];
        for (&a, &v) in assignment.iter().zip(density) {
            sums[a] += v;
            counts[a] += 1;
        }
        let updated: Vec<f64> = centres
            .iter()
            .enumerate()
            .map(|(g, &c)| {
                if counts[g] > 0 {
                    sums[g] / counts[g] as f64
                } else {
                    c
                }
            })
            .collect();
        if updated == centres {
            break;
        }
        centres = updated;
    }
    // Centres stay sorted (1-D k-means keeps the order of its starts); drop empty groups.
    let mut counts = vec![0usize; centres.len()];
    for &a in &assignment {
        counts[a] += 1;
    }
    let mut renumber = vec![usize::MAX; centres.len()];
    let mut means = Vec::new();
    for g in 0..centres.len() {
        if counts[g] > 0 {
            renumber[g] = means.len();
            means.push(centres[g]);
        }
    }
    for a in &mut assignment {
        *a = renumber[*a];
    }
    (assignment, means)
}

fn nearest(centres: &[f64], v: f64) -> usize {
    let mut best = 0;
    for (g, &c) in centres.iter().enumerate() {
        if (v - c).abs() < (v - centres[best]).abs() {
            best = g;
        }
    }
    best
}

/// How many of `count` picks each group gets: softmax(-mean / temperature) rounded by
/// largest remainder (ties to the sparser group), capped by `sizes`, the surplus moved
/// to the sparsest group with room. Groups are ordered sparsest first.
pub fn group_quotas(means: &[f64], sizes: &[usize], count: usize, temperature: f64) -> Vec<usize> {
    let logits: Vec<f64> = means.iter().map(|m| -m / temperature).collect();
    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logits.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| w / total * count as f64).collect();
    let mut quotas: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..means.len()).collect();
    order.sort_by(|&a, &b| {
        crate::ranking::descending_nan_last(
            exact[a] - exact[a].floor(),
            exact[b] - exact[b].floor(),
        )
        .then(a.cmp(&b))
    });
    let mut left = count.saturating_sub(quotas.iter().sum());
    for &g in order.iter().cycle().take(left * order.len().max(1)) {
        if left == 0 {
            break;
        }
        quotas[g] += 1;
        left -= 1;
    }
    let mut surplus = 0;
    for (q, &size) in quotas.iter_mut().zip(sizes) {
        if *q > size {
            surplus += *q - size;
            *q = size;
        }
    }
    for (q, &size) in quotas.iter_mut().zip(sizes) {
        let room = size - *q;
        let moved = room.min(surplus);
        *q += moved;
        surplus -= moved;
    }
    quotas
}
