//! k-means++ seeding (Arthur & Vassilvitskii, 2007) over any distance: the caller
//! supplies how one new centre lowers every point's squared distance to its nearest
//! centre, so BADGE can use a factorised gradient-embedding distance and k-means plain
//! Euclidean, without either materialising more than one distance per point.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Picks `k` distinct points out of `n`: the first is `first` (or uniform from `rng`),
/// each next one with probability proportional to its squared distance to the nearest
/// centre so far (D² sampling). `lower(c, d2)` must set `d2[i] = min(d2[i], dist²(i, c))`
/// for every `i`. When every remaining distance is zero (duplicates), the next centre is
/// uniform among the points not yet chosen. Memory: one f64 per point.
pub fn kmeans_pp(
    n: usize,
    k: usize,
    first: Option<usize>,
    rng: &mut ChaCha8Rng,
    mut lower: impl FnMut(usize, &mut [f64]),
) -> Vec<usize> {
    let k = k.min(n);
    let mut chosen = Vec::with_capacity(k);
    if k == 0 {
        return chosen;
    }
    let mut taken = vec![false; n];
    let mut d2 = vec![f64::INFINITY; n];
    let mut next = match first {
        Some(i) if i < n => i,
        _ => rng.random_range(0..n),
    };
    loop {
        taken[next] = true;
        chosen.push(next);
        if chosen.len() == k {
            return chosen;
        }
        lower(next, &mut d2);
        next = draw_proportional(&d2, &taken, rng);
    }
}

/// One index among the untaken ones, with probability proportional to `weights`
/// (uniform when they sum to zero or are not finite).
fn draw_proportional(weights: &[f64], taken: &[bool], rng: &mut ChaCha8Rng) -> usize {
    let weight = |i: usize| {
        let w = weights[i];
        if taken[i] || !w.is_finite() || w <= 0.0 {
            0.0
        } else {
            w
        }
    };
    let total: f64 = (0..weights.len()).map(weight).sum();
    if total > 0.0 && total.is_finite() {
        let target = rng.random::<f64>() * total;
        let mut acc = 0.0;
        let mut last = None;
        for i in 0..weights.len() {
            let w = weight(i);
            if w > 0.0 {
                acc += w;
                last = Some(i);
                if acc > target {
                    return i;
                }
            }
        }
        if let Some(i) = last {
            return i;
        }
    }
    let free: Vec<usize> = (0..taken.len()).filter(|&i| !taken[i]).collect();
    free.get(rng.random_range(0..free.len().max(1)))
        .copied()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn seeds_are_distinct_and_cover_far_groups() {
        // Points on a line: three tight groups far apart.
        let xs = [0.0, 0.1, 0.2, 100.0, 100.1, 200.0, 200.2];
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let picks = kmeans_pp(xs.len(), 3, None, &mut rng, |c, d2| {
            for (i, d) in d2.iter_mut().enumerate() {
                *d = d.min((xs[i] - xs[c]) * (xs[i] - xs[c]));
            }
        });
        let mut groups: Vec<usize> = picks.iter().map(|&i| (xs[i] / 100.0) as usize).collect();
        groups.sort_unstable();
        assert_eq!(groups, vec![0, 1, 2]);
    }

    #[test]
    fn duplicates_fall_back_to_uniform_distinct() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut picks = kmeans_pp(4, 4, Some(2), &mut rng, |_, d2| d2.fill(0.0));
        assert_eq!(picks[0], 2);
        picks.sort_unstable();
        assert_eq!(picks, vec![0, 1, 2, 3]);
    }
}
