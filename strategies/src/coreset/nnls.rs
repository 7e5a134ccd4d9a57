//! Small dense solvers for `gradmatch`: a Cholesky factor that grows one row at a time,
//! and non-negative least squares by the Lawson–Hanson active-set method (Lawson &
//! Hanson 1974, ch. 23, the algorithm behind `scipy.optimize.nnls`).
//!
//! [`nnls`] solves `min ||A w - r||²` subject to `w >= 0` through the normal equations
//! `Q = AᵀA`, `q = Aᵀr`, factoring the passive set's `Q_PP` by Cholesky (grown by one row
//! when a variable enters, rebuilt when one leaves). It can be warm-started from a
//! guess (the unconstrained solution, in `gradmatch`): the guess's positive entries form
//! the first passive set, pruned of the entries whose passive solution is not positive
//! until it is; from then on every iterate satisfies Lawson–Hanson's invariant (passive
//! variables positive and optimal on their set, the others zero), so the method
//! converges as from `w = 0`, usually in far fewer steps. Outer iterations are capped
//! at `3·cols` as in SciPy; at the cap the current feasible iterate is returned.

use rayon::prelude::*;

/// A lower-triangular Cholesky factor `L` (`M = L Lᵀ`), stored by rows.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cholesky {
    rows: Vec<Vec<f64>>,
}

impl Cholesky {
    /// Appends the row and column of a new variable: `column[t] = M[new, t]` for the
    /// variables already factored, `diagonal = M[new, new]`. Returns false, and leaves
    /// the factor unchanged, when the pivot is not positive relative to the diagonal
    /// (the new variable is numerically dependent on the others).
    pub fn push(&mut self, column: &[f64], diagonal: f64) -> bool {
        let mut row = Vec::with_capacity(self.rows.len() + 1);
        for (t, lt) in self.rows.iter().enumerate() {
            let inner: f64 = lt[..t].iter().zip(&row).map(|(a, b)| a * b).sum();
            row.push((column[t] - inner) / lt[t]);
        }
        let pivot = diagonal - row.iter().map(|v| v * v).sum::<f64>();
        if !(pivot.is_finite() && pivot > 1e-14 * diagonal.abs().max(f64::MIN_POSITIVE)) {
            return false;
        }
        row.push(pivot.sqrt());
        self.rows.push(row);
        true
    }

    /// Keeps the factor of the first `len` variables (a leading block of `M`).
    pub fn truncate(&mut self, len: usize) {
        self.rows.truncate(len);
    }

    /// Solves `M x = b`.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let n = self.rows.len();
        let mut y = vec![0.0; n];
        for i in 0..n {
            let inner: f64 = self.rows[i][..i].iter().zip(&y).map(|(a, b)| a * b).sum();
            y[i] = (b[i] - inner) / self.rows[i][i];
        }
        for i in (0..n).rev() {
            let mut v = y[i];
            for (k, row) in self.rows.iter().enumerate().skip(i + 1) {
                v -= row[i] * y[k];
            }
            y[i] = v / self.rows[i][i];
        }
        y
    }
}

/// The passive set and its factor.
struct Passive {
    index: Vec<usize>,
    factor: Cholesky,
}

impl Passive {
    fn new() -> Self {
        Self {
            index: Vec::new(),
            factor: Cholesky::default(),
        }
    }

    fn push(&mut self, q: &[f64], k: usize, j: usize) -> bool {
        let column: Vec<f64> = self.index.iter().map(|&i| q[j * k + i]).collect();
        if self.factor.push(&column, q[j * k + j]) {
            self.index.push(j);
            true
        } else {
            false
        }
    }

    /// Refactors for `index` (in order), leaving out variables that are numerically
    /// dependent on the earlier ones.
    fn rebuild(&mut self, q: &[f64], k: usize, index: Vec<usize>) {
        self.index.clear();
        self.factor = Cholesky::default();
        for j in index {
            self.push(q, k, j);
        }
    }

    fn solve(&self, rhs: &[f64]) -> Vec<f64> {
        let b: Vec<f64> = self.index.iter().map(|&i| rhs[i]).collect();
        self.factor.solve(&b)
    }
}

/// `AᵀA` and `Aᵀr` for `A` (`rows x cols`, row-major).
fn normal_equations(a: &[f64], rows: usize, cols: usize, r: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let columns: Vec<Vec<f64>> = (0..cols)
        .map(|j| (0..rows).map(|t| a[t * cols + j]).collect())
        .collect();
    let dot = |x: &[f64], y: &[f64]| -> f64 { x.iter().zip(y).map(|(a, b)| a * b).sum() };
    let mut q = vec![0.0; cols * cols];
    q.par_chunks_mut(cols.max(1))
        .enumerate()
        .for_each(|(i, row)| {
            for j in i..cols {
                row[j] = dot(&columns[i], &columns[j]);
            }
        });
    for i in 0..cols {
        for j in 0..i {
            q[i * cols + j] = q[j * cols + i];
        }
    }
    let rhs = columns.iter().map(|c| dot(c, r)).collect();
    (q, rhs)
}

/// `argmin ||A w - r||²` over `w >= 0`, `A` being `rows x cols` row-major; `start`
/// (length `cols`), when given, warm-starts the passive set with its positive entries.
pub(crate) fn nnls(
    a: &[f64],
    rows: usize,
    cols: usize,
    r: &[f64],
    start: Option<&[f64]>,
) -> Vec<f64> {
    let k = cols;
    let (q, rhs) = normal_equations(a, rows, cols, r);
    let mut w = vec![0.0; k];
    let mut passive = Passive::new();
    if let Some(start) = start {
        let mut index: Vec<usize> = (0..k).filter(|&i| start[i] > 0.0).collect();
        while !index.is_empty() {
            passive.rebuild(&q, k, index);
            let z = passive.solve(&rhs);
            if z.iter().all(|&v| v > 0.0) {
                for (&i, &v) in passive.index.iter().zip(&z) {
                    w[i] = v;
                }
                break;
            }
            index = passive
                .index
                .iter()
                .zip(&z)
                .filter(|(_, &v)| v > 0.0)
                .map(|(&i, _)| i)
                .collect();
            if index.is_empty() {
                passive.rebuild(&q, k, Vec::new());
            }
        }
    }
    let scale = rhs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let tol = 1e-12 * scale;
    let mut banned = vec![false; k];
    for _ in 0..3 * k.max(1) {
        let mut in_passive = vec![false; k];
        for &i in &passive.index {
            in_passive[i] = true;
        }
        // The dual (negative gradient) of the variables at zero.
        let mut best: Option<(usize, f64)> = None;
        for i in 0..k {
            if in_passive[i] || banned[i] {
                continue;
            }
            let row = &q[i * k..(i + 1) * k];
            let dual = rhs[i] - passive.index.iter().map(|&t| row[t] * w[t]).sum::<f64>();
            if dual.is_finite() && dual > tol && best.is_none_or(|(_, b)| dual > b) {
                best = Some((i, dual));
            }
        }
        let Some((j, _)) = best else { break };
        if !passive.push(&q, k, j) {
            banned[j] = true;
            continue;
        }
        for _ in 0..=k {
            let z = passive.solve(&rhs);
            if z.iter().all(|&v| v > 0.0) {
                for (&i, &v) in passive.index.iter().zip(&z) {
                    w[i] = v;
                }
                break;
            }
            // Step from w toward z until the first passive variable reaches zero.
            let mut alpha = f64::INFINITY;
            let mut leaving = usize::MAX;
            for (&i, &v) in passive.index.iter().zip(&z) {
                if v <= 0.0 || !v.is_finite() {
                    let denominator = w[i] - v;
                    let step = if v.is_finite() && denominator > 0.0 {
                        w[i] / denominator
                    } else {
                        0.0
                    };
                    if step < alpha || leaving == usize::MAX {
                        alpha = step;
                        leaving = i;
                    }
                }
            }
            let alpha = alpha.clamp(0.0, 1.0);
            for (&i, &v) in passive.index.iter().zip(&z) {
                w[i] += alpha * (if v.is_finite() { v } else { 0.0 } - w[i]);
            }
            if leaving != usize::MAX {
                w[leaving] = 0.0;
            }
            let before = passive.index.clone();
            let keep: Vec<usize> = before.iter().copied().filter(|&i| w[i] > 0.0).collect();
            passive.rebuild(&q, k, keep);
            for i in before {
                if !passive.index.contains(&i) {
                    w[i] = 0.0;
                }
            }
        }
        if !passive.index.contains(&j) {
            // It entered and left at once (a numerically flat direction): do not retry.
            banned[j] = true;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn residual(a: &[f64], rows: usize, cols: usize, r: &[f64], w: &[f64]) -> f64 {
        (0..rows)
            .map(|t| {
                let v: f64 = (0..cols).map(|j| a[t * cols + j] * w[j]).sum::<f64>() - r[t];
                v * v
            })
            .sum()
    }

    #[test]
    fn cholesky_solves_and_grows() {
        let m = [[4.0, 2.0, 0.6], [2.0, 5.0, 1.0], [0.6, 1.0, 3.0]];
        let mut c = Cholesky::default();
        assert!(c.push(&[], m[0][0]));
        assert!(c.push(&[m[1][0]], m[1][1]));
        assert!(c.push(&[m[2][0], m[2][1]], m[2][2]));
        let x = c.solve(&[1.0, 2.0, 3.0]);
        for (i, row) in m.iter().enumerate() {
            let v: f64 = row.iter().zip(&x).map(|(a, b)| a * b).sum();
            assert!((v - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        // A dependent variable is refused.
        let mut d = Cholesky::default();
        assert!(d.push(&[], 1.0));
        assert!(!d.push(&[1.0], 1.0));
        assert_eq!(d.rows.len(), 1);
    }

    #[test]
    fn nnls_matches_the_known_solution_and_the_kkt_conditions() {
        // min ||A w - r|| with the unconstrained optimum negative in w[1].
        let a = [1.0, 0.5, 0.0, 0.2, 1.0, 0.3, 0.0, 0.4, 1.0, 0.3, 0.3, 0.3];
        let (rows, cols) = (4, 3);
        let r = [1.0, -1.0, 0.5, 0.2];
        for start in [
            None,
            Some([1.0, -1.0, 1.0].as_slice()),
            Some([1.0, 1.0, 1.0].as_slice()),
        ] {
            let w = nnls(&a, rows, cols, &r, start);
            assert!(w.iter().all(|&v| v >= 0.0), "{w:?}");
            assert_eq!(w[1], 0.0, "{w:?}");
            // KKT: the gradient A^T(Aw - r) is 0 on positive entries and >= 0 elsewhere.
            for j in 0..cols {
                let g: f64 = (0..rows)
                    .map(|t| {
                        let fit: f64 = (0..cols).map(|i| a[t * cols + i] * w[i]).sum();
                        a[t * cols + j] * (fit - r[t])
                    })
                    .sum();
                if w[j] > 0.0 {
                    assert!(g.abs() < 1e-10, "{j} {g}");
                } else {
                    assert!(g > -1e-10, "{j} {g}");
                }
            }
            // No feasible perturbation does better.
            let best = residual(&a, rows, cols, &r, &w);
            for j in 0..cols {
                for step in [-1e-3, 1e-3] {
                    let mut v = w.clone();
                    v[j] = (v[j] + step).max(0.0);
                    assert!(residual(&a, rows, cols, &r, &v) >= best - 1e-12);
                }
            }
        }
    }

    #[test]
    fn nnls_of_a_positive_solution_is_the_solution() {
        let a = [2.0, 0.0, 0.0, 1.0];
        let w = nnls(&a, 2, 2, &[4.0, 3.0], None);
        assert!((w[0] - 2.0).abs() < 1e-12 && (w[1] - 3.0).abs() < 1e-12);
        let w = nnls(&a, 2, 2, &[-4.0, -3.0], None);
        assert_eq!(w, vec![0.0, 0.0]);
    }
}
