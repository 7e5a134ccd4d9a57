//! POAL's optimiser: Pareto pre-selection of candidates, then Monte-Carlo Pareto
//! optimisation of fixed-size subsets (Zhan, Zhang, Tsang, Xie & Chan, "Pareto
//! Optimization for Active Learning under Out-of-Distribution Data Scenarios", TMLR
//! 2023; reference `select_poal`, `normal_pareto_optimization`,
//! `select_POSS_intersection` in the authors' code). Both objectives are maximised.

use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

/// Iterations between two early-stopping checks (the reference's 200).
pub const CHECK_EVERY: usize = 200;
/// Checks in the early-stopping window (the reference's 10).
pub const WINDOW: usize = 10;
/// Largest change of the MMD between consecutive fronts over the window that stops the
/// search (the reference's 0.01).
pub const STOP_TOLERANCE: f64 = 0.01;

/// `a` dominates `b`: at least as good in both objectives and better in one.
fn dominates(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 >= b.0 && a.1 >= b.1 && (a.0 > b.0 || a.1 > b.1)
}

/// Indices of the non-dominated points among `rows` (ascending), by one sort and a sweep
/// (O(n log n)): in decreasing order of the first objective, a point is on the front when
/// its second objective beats every point with a larger first one and equals the best of
/// the points sharing its first one.
pub fn pareto_front(values: &[(f64, f64)], rows: &[usize]) -> Vec<usize> {
    let mut order = rows.to_vec();
    order.sort_by(|&a, &b| {
        values[b]
            .0
            .total_cmp(&values[a].0)
            .then(values[b].1.total_cmp(&values[a].1))
    });
    let mut front = Vec::new();
    let mut best_before = f64::NEG_INFINITY;
    let mut i = 0;
    while i < order.len() {
        let first = values[order[i]].0;
        let group_best = values[order[i]].1;
        let mut j = i;
        while j < order.len() && values[order[j]].0.total_cmp(&first).is_eq() {
            let second = values[order[j]].1;
            if second.total_cmp(&group_best).is_eq() && second > best_before {
                front.push(order[j]);
            }
            j += 1;
        }
        best_before = best_before.max(group_best);
        i = j;
    }
    front.sort_unstable();
    front
}

/// Successive Pareto fronts of the points until at least `want` are taken (all of them
/// when there are fewer): the candidates POAL optimises over.
pub fn preselect(values: &[(f64, f64)], want: usize) -> Vec<usize> {
    let mut remaining: Vec<usize> = (0..values.len()).collect();
    let mut taken = Vec::new();
    let mut in_front = vec![false; values.len()];
    while taken.len() < want && !remaining.is_empty() {
        let front = pareto_front(values, &remaining);
        for &i in &front {
            in_front[i] = true;
        }
        remaining.retain(|&i| !in_front[i]);
        taken.extend(front);
    }
    taken.sort_unstable();
    taken
}

/// Squared-distance RBF MMD between two point sets, with the multi-bandwidth kernel of
/// the reference (5 bandwidths, ratio 2, centred on the mean pairwise distance).
pub fn mmd_rbf(a: &[(f64, f64)], b: &[(f64, f64)]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let all: Vec<(f64, f64)> = a.iter().chain(b).copied().collect();
    let n = all.len();
    let d2 = |p: (f64, f64), q: (f64, f64)| (p.0 - q.0).powi(2) + (p.1 - q.1).powi(2);
    let mut total = 0.0;
    for &p in &all {
        for &q in &all {
            total += d2(p, q);
        }
    }
    let pairs = (n * n - n).max(1) as f64;
    let base = (total / pairs).max(f64::MIN_POSITIVE) / 4.0; // kernel_mul^(kernel_num / 2)
    let kernel = |p, q| -> f64 {
        (0..5)
            .map(|k| (-d2(p, q) / (base * 2f64.powi(k))).exp())
            .sum()
    };
    let mean = |x: &[(f64, f64)], y: &[(f64, f64)]| {
        let mut s = 0.0;
        for &p in x {
            for &q in y {
                s += kernel(p, q);
            }
        }
        s / (x.len() * y.len()) as f64
    };
    mean(a, a) + mean(b, b) - 2.0 * mean(a, b)
}

/// One subset in the archive: its members (positions in the candidate list, sorted)
/// and its objectives (sums over members).
#[derive(Clone, Debug)]
struct Solution {
    members: Vec<usize>,
    fitness: (f64, f64),
}

/// Monte-Carlo Pareto optimisation of `budget`-subsets of `values`: each iteration draws
/// a uniformly random subset, keeps it unless an archived subset dominates it, and drops
/// the archived subsets it weakly dominates. At most `max_iterations`; every
/// [`CHECK_EVERY`] iterations the archive's objective front is compared (MMD) with the
/// previous check's, and the search stops once the last [`WINDOW`] comparisons vary by
/// at most [`STOP_TOLERANCE`]. Returns the archived subset sharing the most members
/// with the others (the reference's "intersection" choice), and the iterations run.
pub fn monte_carlo_subset(
    values: &[(f64, f64)],
    budget: usize,
    max_iterations: usize,
    rng: &mut ChaCha8Rng,
) -> (Vec<usize>, usize) {
    let n = values.len();
    if budget >= n {
        return ((0..n).collect(), 0);
    }
    let mut archive: Vec<Solution> = Vec::new();
    let mut previous_front: Option<Vec<(f64, f64)>> = None;
    let mut changes: Vec<f64> = Vec::new();
    let mut iterations = 0;
    for round in 1..=max_iterations.max(1) {
        iterations = round;
        let mut members = sample(rng, n, budget).into_vec();
        members.sort_unstable();
        let fitness = members
            .iter()
            .fold((0.0, 0.0), |(a, b), &i| (a + values[i].0, b + values[i].1));
        if !archive.iter().any(|s| dominates(s.fitness, fitness)) {
            archive.retain(|s| !(s.fitness.0 <= fitness.0 && s.fitness.1 <= fitness.1));
            archive.push(Solution { members, fitness });
        }
        if round % CHECK_EVERY == 0 {
            let front: Vec<(f64, f64)> = archive.iter().map(|s| s.fitness).collect();
            if let Some(previous) = &previous_front {
                changes.push(mmd_rbf(&front, previous));
                if changes.len() > WINDOW {
                    changes.remove(0);
                }
                if changes.len() == WINDOW {
                    let (lo, hi) = changes
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &c| {
                            (lo.min(c), hi.max(c))
                        });
                    if hi - lo <= STOP_TOLERANCE {
                        break;
                    }
                }
            }
            previous_front = Some(front);
        }
    }
    // The subset overlapping most with the whole archive.
    let mut counts = vec![0usize; n];
    for s in &archive {
        for &i in &s.members {
            counts[i] += 1;
        }
    }
    let best = archive
        .iter()
        .enumerate()
        .max_by(|(ia, a), (ib, b)| {
            let overlap = |s: &Solution| s.members.iter().map(|&i| counts[i]).sum::<usize>();
            overlap(a).cmp(&overlap(b)).then(ib.cmp(ia))
        })
        .map(|(_, s)| s.members.clone())
        .unwrap_or_default();
    (best, iterations)
}
