//! `gradmatch`: GradMatch (Killamsetty et al. 2021, "GRAD-MATCH: gradient matching based
//! data subset selection for efficient deep model training"), one-shot per candidates
//! set as DeepCore's `GradMatch` runs it.
//!
//! The paper selects, every few epochs during training, a weighted subset whose weighted
//! gradient sum matches the full training (or validation) gradient, by orthogonal
//! matching pursuit (OMP) with a ridge term. DeepCore runs it once after training the
//! selection model, per class: the columns `a_j` are the last-layer gradient embeddings
//! of the class, the target `b` is their mean (a validation set is never passed), and:
//!
//! ```text
//! residual = b; S = []
//! repeat budget times:
//!     j = argmax over j ∉ S of <a_j, residual>   (signed: non-negative OMP)
//!     S += j
//!     x = <a_j, b>/||a_j||² on the first step, else solve (A_S A_Sᵀ + λI) x = A_S b
//!     residual = b - A_Sᵀ x
//! w = NNLS(A_S A_Sᵀ + λI, A_S b)            (budget 1: w = 1)
//! return the rows of S with w > 0, with their weights
//! ```
//!
//! Sieve does the same with `lambda` (default 1.0, DeepCore's; its constructor
//! argument is accepted but never stored, so DeepCore always runs λ = 1). Products
//! `<a_i, a_j>` come from the factorised embeddings, the residual is a dense vector of
//! length `C·(D+1)`, the ridge system is solved through a Cholesky factor grown by one
//! row per pick, and NNLS is a Lawson–Hanson active set ([`super::nnls`]) warm-started
//! from the ridge solution. Picks are made for the largest count once; each count takes
//! that prefix of the pursuit (OMP's picks do not depend on the budget) and solves its
//! own NNLS. Training uses the weights as `sum(w·CE)/sum(w)`, so only ratios matter.
//!
//! Deviations from DeepCore:
//! - **Exactly `count` rows.** DeepCore drops the rows whose NNLS weight is exactly 0 and
//!   returns fewer than the budget. Sieve drops them, excludes them from later picks,
//!   continues the pursuit from the remaining rows until the set is full again, and
//!   re-solves the NNLS, at most [`MAX_REFILL_ROUNDS`] times. When the rounds are spent or
//!   the candidates run out, the remaining zero-weight rows (then the dropped rows, in
//!   the order they were dropped, then any other candidates) fill the selection with the
//!   smallest positive weight any of its NNLS solutions gave (weight 1 when none was
//!   positive).
//! - Per-example gradients, without DeepCore's `1/batch` scaling ([`super::gradients`]).
//!   The ridge is not scale-free: with full batches of `B` examples DeepCore's `λ = 1`
//!   equals `λ = B²` (65,536 for its batch of 256) on sieve's unscaled gradients, so
//!   sieve's default `λ = 1` regularises far less than DeepCore's run does.
//! - A candidate whose gradient is numerically dependent on the picked ones (the ridge
//!   system's Cholesky pivot vanishes, possible only with a tiny `lambda`) is skipped
//!   rather than producing a singular system.

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, SelectionContext, StrategyError,
};

use super::gradients::GradientEmbeddings;
use super::greedy::argmax_where;
use super::nnls::{nnls, Cholesky};
use super::similarity::{combine, dense_dot, gradient_dot};
use crate::params::{in_range, ValidateParams};

/// Rounds of dropping zero-weight rows and refilling them from the pursuit.
pub const MAX_REFILL_ROUNDS: usize = 10;

/// Parameters of `gradmatch`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GradMatchParams {
    /// Ridge of the least-squares systems (DeepCore: 1.0).
    pub lambda: f64,
}

impl Default for GradMatchParams {
    fn default() -> Self {
        Self { lambda: 1.0 }
    }
}

impl ValidateParams for GradMatchParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        in_range(strategy, "lambda", self.lambda, (0.0, true), f64::MAX)
    }
}

/// GradMatch selection.
#[derive(Debug, Default)]
pub struct GradMatch {
    pub params: GradMatchParams,
}

/// What every pursuit state shares: the gradients, the target and its products.
struct Problem<'a> {
    grads: &'a GradientEmbeddings,
    lambda: f64,
    /// `<a_j, b>`.
    target_products: Vec<f64>,
    /// `||a_j||²`.
    norms: Vec<f64>,
}

/// One orthogonal-matching-pursuit state.
#[derive(Clone)]
struct Pursuit<'p, 'a> {
    problem: &'p Problem<'a>,
    selected: Vec<usize>,
    /// `gram[t][u] = <a_{S_t}, a_{S_u}>` for `u <= t`.
    gram: Vec<Vec<f64>>,
    /// Cholesky factor of `A_S A_Sᵀ + λI`.
    factor: Cholesky,
    /// Coefficients of the current fit, aligned with `selected`.
    x: Vec<f64>,
    /// `<a_j, residual>` for every candidate.
    projections: Vec<f64>,
    in_set: Vec<bool>,
    /// Candidates that cannot join the current set (dependent gradients).
    unusable: Vec<bool>,
}

impl<'p, 'a> Pursuit<'p, 'a> {
    fn new(problem: &'p Problem<'a>) -> Self {
        let n = problem.norms.len();
        Self {
            problem,
            selected: Vec::new(),
            gram: Vec::new(),
            factor: Cholesky::default(),
            x: Vec::new(),
            projections: problem.target_products.clone(),
            in_set: vec![false; n],
            unusable: vec![false; n],
        }
    }

    fn len(&self) -> usize {
        self.selected.len()
    }

    fn gram_at(&self, t: usize, u: usize) -> f64 {
        if u <= t {
            self.gram[t][u]
        } else {
            self.gram[u][t]
        }
    }

    /// Adds the candidate with the largest projection on the residual (not in the set,
    /// not `excluded`); false when none can be added.
    fn step(&mut self, excluded: &[bool]) -> bool {
        loop {
            let Some(j) = argmax_where(&self.projections, |i| {
                !self.in_set[i] && !excluded[i] && !self.unusable[i]
            }) else {
                return false;
            };
            let grads = self.problem.grads;
            let mut column: Vec<f64> = self
                .selected
                .iter()
                .map(|&s| gradient_dot(grads, s, j))
                .collect();
            if !self
                .factor
                .push(&column, self.problem.norms[j] + self.problem.lambda)
            {
                self.unusable[j] = true;
                continue;
            }
            column.push(self.problem.norms[j]);
            self.gram.push(column);
            self.selected.push(j);
            self.in_set[j] = true;
            self.refit();
            return true;
        }
    }

    /// Re-solves the coefficients for the current set and updates the projections.
    fn refit(&mut self) {
        let p = self.problem;
        let rhs: Vec<f64> = self
            .selected
            .iter()
            .map(|&s| p.target_products[s])
            .collect();
        self.x = match self.selected.len() {
            0 => Vec::new(),
            1 => {
                let norm = p.norms[self.selected[0]];
                vec![if norm > 0.0 { rhs[0] / norm } else { 0.0 }]
            }
            _ => self.factor.solve(&rhs),
        };
        let fit = combine(p.grads, &self.selected, &self.x);
        self.projections = (0..p.norms.len())
            .into_par_iter()
            .map(|i| p.target_products[i] - dense_dot(p.grads, i, &fit))
            .collect();
    }

    /// The state after the first `len` picks.
    fn prefix(&self, len: usize) -> Self {
        let mut state = Self::new(self.problem);
        state.selected = self.selected[..len].to_vec();
        state.gram = self.gram[..len].to_vec();
        state.factor = self.factor.clone();
        state.factor.truncate(len);
        for &s in &state.selected {
            state.in_set[s] = true;
        }
        state.refit();
        state
    }

    /// Removes the picks at `positions` (flags aligned with `selected`).
    fn remove(&mut self, positions: &[bool]) {
        let keep: Vec<usize> = (0..self.len()).filter(|&t| !positions[t]).collect();
        let gram: Vec<Vec<f64>> = keep
            .iter()
            .enumerate()
            .map(|(a, &t)| keep[..=a].iter().map(|&u| self.gram_at(t, u)).collect())
            .collect();
        for (t, &s) in self.selected.iter().enumerate() {
            if positions[t] {
                self.in_set[s] = false;
            }
        }
        self.selected = keep.iter().map(|&t| self.selected[t]).collect();
        self.factor = Cholesky::default();
        for row in &gram {
            let last = row.len() - 1;
            // The rows were factored before, so their leading blocks are too.
            self.factor
                .push(&row[..last], row[last] + self.problem.lambda);
        }
        self.gram = gram;
        self.unusable.iter_mut().for_each(|u| *u = false);
        self.refit();
    }

    /// NNLS weights of the current set: `argmin ||(G + λI) w - A_S b||` over `w >= 0`,
    /// warm-started from the ridge solution. One pick gets weight 1 (DeepCore).
    fn weights(&self) -> Vec<f64> {
        let k = self.len();
        if k <= 1 {
            return vec![1.0; k];
        }
        let mut m = vec![0.0; k * k];
        for t in 0..k {
            for u in 0..k {
                m[t * k + u] = self.gram_at(t, u) + if t == u { self.problem.lambda } else { 0.0 };
            }
        }
        let rhs: Vec<f64> = self
            .selected
            .iter()
            .map(|&s| self.problem.target_products[s])
            .collect();
        let ridge = self.factor.solve(&rhs);
        nnls(&m, k, k, &rhs, Some(&ridge))
    }
}

/// GradMatch for each of `counts` over the rows of `grads`: rows (indices into `grads`)
/// and their weights, exactly `min(count, rows)` of each.
pub fn gradmatch_select(
    grads: &GradientEmbeddings,
    lambda: f64,
    counts: &[usize],
) -> Vec<(Vec<usize>, Vec<f64>)> {
    let n = grads.len();
    let largest = counts.iter().copied().max().unwrap_or(0).min(n);
    if largest == 0 {
        return counts.iter().map(|_| (Vec::new(), Vec::new())).collect();
    }
    let target = grads.mean();
    let problem = Problem {
        grads,
        lambda,
        target_products: (0..n)
            .into_par_iter()
            .map(|j| dense_dot(grads, j, &target))
            .collect(),
        norms: (0..n).map(|j| gradient_dot(grads, j, j)).collect(),
    };
    let none = vec![false; n];
    let mut path = Pursuit::new(&problem);
    while path.len() < largest && path.step(&none) {}
    counts
        .iter()
        .map(|&count| complete(path.prefix(count.min(path.len())), count.min(n)))
        .collect()
}

/// Solves the weights of `state`, replacing zero-weight picks, until `count` rows have
/// positive weights (or the refill rounds or the candidates run out).
fn complete(mut state: Pursuit<'_, '_>, count: usize) -> (Vec<usize>, Vec<f64>) {
    let n = state.in_set.len();
    if count == 0 {
        return (Vec::new(), Vec::new());
    }
    let mut excluded = vec![false; n];
    let mut dropped: Vec<usize> = Vec::new();
    let mut smallest_positive = f64::INFINITY;
    let mut rounds = 0;
    loop {
        while state.len() < count && state.step(&excluded) {}
        let w = state.weights();
        for &v in &w {
            if v > 0.0 && v.is_finite() {
                smallest_positive = smallest_positive.min(v);
            }
        }
        let zero: Vec<bool> = w.iter().map(|&v| !(v > 0.0 && v.is_finite())).collect();
        let any_zero = zero.iter().any(|&z| z);
        if !any_zero && state.len() == count {
            return (state.selected, w);
        }
        let available = (0..n).any(|i| !state.in_set[i] && !excluded[i] && !state.unusable[i]);
        if any_zero && rounds < MAX_REFILL_ROUNDS && available {
            for (t, &s) in state.selected.iter().enumerate() {
                if zero[t] {
                    excluded[s] = true;
                    dropped.push(s);
                }
            }
            state.remove(&zero);
            rounds += 1;
            continue;
        }
        // Fill what is missing with the smallest positive weight found.
        let fill = if smallest_positive.is_finite() {
            smallest_positive
        } else {
            1.0
        };
        let mut rows = state.selected.clone();
        let mut weights: Vec<f64> = w
            .iter()
            .map(|&v| if v > 0.0 && v.is_finite() { v } else { fill })
            .collect();
        let mut taken = state.in_set.clone();
        for i in dropped.iter().copied().chain(0..n) {
            if rows.len() >= count {
                break;
            }
            if !taken[i] {
                taken[i] = true;
                rows.push(i);
                weights.push(fill);
            }
        }
        return (rows, weights);
    }
}

impl CoresetMethod for GradMatch {
    fn name(&self) -> &'static str {
        "gradmatch"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn needs(&self) -> CoresetNeeds {
        CoresetNeeds {
            selection_model: true,
            ..CoresetNeeds::default()
        }
    }

    fn select(
        &mut self,
        request: &CoresetRequest<'_>,
        context: &dyn SelectionContext,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<CoresetSelection>, StrategyError> {
        if request.max_count().min(request.candidates.len()) == 0 {
            return Ok(request
                .counts
                .iter()
                .map(|_| CoresetSelection {
                    indices: Vec::new(),
                    weights: Some(Vec::new()),
                })
                .collect());
        }
        let grads = GradientEmbeddings::of(
            self.name(),
            context.model()?,
            request.candidates,
            request.labels,
        )?;
        Ok(gradmatch_select(&grads, self.params.lambda, request.counts)
            .into_iter()
            .map(|(rows, weights)| CoresetSelection {
                indices: rows.into_iter().map(|i| request.candidates[i]).collect(),
                weights: Some(weights.into_iter().map(|w| w as f32).collect()),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sieve_bench_core::Matrix;

    /// Gradients `[g, g⊗h]` with the given residuals and features.
    fn grads(residual: &[Vec<f32>], features: &[Vec<f32>]) -> GradientEmbeddings {
        GradientEmbeddings {
            residual: Matrix::from_rows(residual),
            features: Matrix::from_rows(features),
        }
    }

    #[test]
    fn pursuit_residual_matches_the_materialised_fit() {
        let n = 12;
        let residual: Vec<Vec<f32>> = (0..n)
            .map(|i| vec![(i as f32 * 0.9).sin(), (i as f32 * 0.4).cos(), -0.3])
            .collect();
        let features: Vec<Vec<f32>> = (0..n)
            .map(|i| vec![(i as f32).sin(), (i as f32 * 2.1).cos()])
            .collect();
        let g = grads(&residual, &features);
        let target = g.mean();
        let problem = Problem {
            grads: &g,
            lambda: 0.5,
            target_products: (0..n).map(|j| g.dot_dense(j, &target)).collect(),
            norms: (0..n).map(|j| g.norm_squared(j)).collect(),
        };
        let mut p = Pursuit::new(&problem);
        for _ in 0..4 {
            assert!(p.step(&vec![false; n]));
        }
        // x solves (G + λI) x = A_S b.
        for t in 0..4 {
            let v: f64 = (0..4)
                .map(|u| (p.gram_at(t, u) + if t == u { 0.5 } else { 0.0 }) * p.x[u])
                .sum();
            assert!((v - problem.target_products[p.selected[t]]).abs() < 1e-9);
        }
        // The projections are <a_j, b - A_S x>.
        let mut resid = target.clone();
        for (&s, &x) in p.selected.iter().zip(&p.x) {
            g.add_to(s, -x, &mut resid);
        }
        for j in 0..n {
            assert!((p.projections[j] - g.dot_dense(j, &resid)).abs() < 1e-9);
        }
        // Removing and prefixing rebuild consistent states.
        let q = p.prefix(2);
        assert_eq!(q.selected, p.selected[..2].to_vec());
        let mut r = p.clone();
        r.remove(&[false, true, false, true]);
        assert_eq!(r.selected, vec![p.selected[0], p.selected[2]]);
        for t in 0..2 {
            let v: f64 = (0..2)
                .map(|u| (r.gram_at(t, u) + if t == u { 0.5 } else { 0.0 }) * r.x[u])
                .sum();
            assert!((v - problem.target_products[r.selected[t]]).abs() < 1e-9);
        }
    }

    /// Random gradients: softmax of random logits minus a random one-hot label.
    fn random_grads(n: usize, c: usize, d: usize, seed: u64) -> GradientEmbeddings {
        use rand::{Rng, SeedableRng};
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut residual = Vec::with_capacity(n * c);
        for _ in 0..n {
            let logits: Vec<f32> = (0..c).map(|_| rng.random::<f32>() * 5.0).collect();
            let z: f32 = logits.iter().map(|l| l.exp()).sum();
            let label = rng.random_range(0..c);
            residual.extend(
                logits
                    .iter()
                    .enumerate()
                    .map(|(k, l)| l.exp() / z - if k == label { 1.0 } else { 0.0 }),
            );
        }
        GradientEmbeddings {
            residual: Matrix::new(n, c, residual),
            features: Matrix::new(n, d, (0..n * d).map(|_| rng.random::<f32>()).collect()),
        }
    }

    #[test]
    fn zero_weights_are_replaced_by_later_picks() {
        // Find a case where DeepCore's NNLS on the pursuit's first `k` picks zeroes a row
        // (it would return fewer than k rows), then check sieve's answer.
        let k = 50;
        let mut found = false;
        for seed in 0..100 {
            let g = random_grads(300, 5, 8, seed);
            let target = g.mean();
            let problem = Problem {
                grads: &g,
                lambda: 1.0,
                target_products: (0..g.len()).map(|j| g.dot_dense(j, &target)).collect(),
                norms: (0..g.len()).map(|j| g.norm_squared(j)).collect(),
            };
            let mut path = Pursuit::new(&problem);
            while path.len() < k && path.step(&vec![false; g.len()]) {}
            let deepcore = path.weights();
            let zeros = deepcore.iter().filter(|&&w| w == 0.0).count();
            if zeros == 0 {
                continue;
            }
            found = true;
            let (rows, w) = gradmatch_select(&g, 1.0, &[k]).remove(0);
            assert_eq!(rows.len(), k);
            let mut sorted = rows.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), k);
            assert!(w.iter().all(|&v| v > 0.0), "seed {seed}: {w:?}");
            // 250 candidates remain, so nothing is filled: the dropped rows are gone.
            for (t, &row) in path.selected.iter().enumerate() {
                if deepcore[t] == 0.0 {
                    assert!(
                        !rows.contains(&row),
                        "seed {seed}: dropped row {row} came back"
                    );
                }
            }
            break;
        }
        assert!(found, "no seed produced a zero NNLS weight");
    }

    #[test]
    fn every_count_gets_exactly_that_many_distinct_rows_with_positive_weights() {
        let n = 30;
        let residual: Vec<Vec<f32>> = (0..n)
            .map(|i| {
                let a = (i as f32 * 1.3).sin() * 0.4;
                vec![a - 0.2, 0.2 - a * 0.5, -0.5 * a]
            })
            .collect();
        let features: Vec<Vec<f32>> = (0..n)
            .map(|i| vec![(i as f32 * 0.7).cos(), (i as f32 * 0.3).sin() * 2.0])
            .collect();
        let g = grads(&residual, &features);
        let counts = [1, 2, 7, 29, 30, 40];
        for (count, (rows, w)) in counts.iter().zip(gradmatch_select(&g, 1.0, &counts)) {
            let expected = (*count).min(n);
            assert_eq!(rows.len(), expected);
            assert_eq!(w.len(), expected);
            let mut sorted = rows.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), expected);
            assert!(w.iter().all(|&v| v > 0.0 && v.is_finite()), "{w:?}");
        }
    }
}
