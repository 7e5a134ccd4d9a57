//! The greedy optimizer shared by the submodular coreset methods (`facility_location`,
//! `graph_cut`, `log_determinant`, `craig`): lazy greedy (Minoux 1978), DeepCore's
//! `LazyGreedy` and its default through `main.py`.
//!
//! Every candidate keeps an upper bound on its marginal gain (its gain when last
//! evaluated; for a submodular function gains only shrink as the set grows). Each step
//! pops the candidate with the largest bound; if that bound was computed against the
//! current set it is the true best gain and the candidate is selected, otherwise its gain
//! is re-evaluated and it goes back into the queue. Ties go to the lower candidate index
//! (the heap orders equal gains by index), so the order equals that of plain greedy with
//! the same tie rule. DeepCore's `LazyGreedy` accepts an element once it is the arg-max
//! twice in a row, which selects the same element up to ties; it returns the selection
//! in index order, sieve returns the greedy order so that every subset size is a prefix.
//!
//! NaN gains rank below every number (never selected before a finite gain).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A set function seen through its marginal gains, with the current set as state.
pub(crate) trait MarginalGain {
    /// `f(S ∪ {x}) - f(S)` for the current set `S` (`x` not in `S`).
    fn gain(&mut self, x: usize) -> f64;
    /// Adds `x` to the current set.
    fn commit(&mut self, x: usize);
    /// The gains of every candidate `0..n` against the empty set (override to compute
    /// them in parallel).
    fn initial_gains(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|x| self.gain(x)).collect()
    }
}

/// A queue entry: an upper bound on `index`'s gain, valid for sets of size `stamp`.
struct Entry {
    gain: f64,
    index: usize,
    stamp: usize,
}

/// NaN compares below every number.
fn key(g: f64) -> f64 {
    if g.is_nan() {
        f64::NEG_INFINITY
    } else {
        g
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Larger gain first, then lower index (the max-heap pops the greatest).
    fn cmp(&self, other: &Self) -> Ordering {
        key(self.gain)
            .total_cmp(&key(other.gain))
            .then(other.index.cmp(&self.index))
            .then(self.stamp.cmp(&other.stamp))
    }
}

/// The lazy-greedy order of `budget` candidates out of `0..n` (fewer when `n` is
/// smaller), maximising the function behind `f`.
pub(crate) fn lazy_greedy(n: usize, budget: usize, f: &mut impl MarginalGain) -> Vec<usize> {
    let budget = budget.min(n);
    let mut order = Vec::with_capacity(budget);
    if budget == 0 {
        return order;
    }
    let mut heap: BinaryHeap<Entry> = f
        .initial_gains(n)
        .into_iter()
        .enumerate()
        .map(|(index, gain)| Entry {
            gain,
            index,
            stamp: 0,
        })
        .collect();
    while order.len() < budget {
        let Some(top) = heap.pop() else { break };
        if top.stamp == order.len() {
            f.commit(top.index);
            order.push(top.index);
        } else {
            heap.push(Entry {
                gain: f.gain(top.index),
                index: top.index,
                stamp: order.len(),
            });
        }
    }
    order
}

/// The index of the largest `values[i]` with `allowed(i)`; ties to the lower index; NaN
/// never wins over a number (an all-NaN choice takes the lowest allowed index). `None`
/// when nothing is allowed.
pub(crate) fn argmax_where(values: &[f64], allowed: impl Fn(usize) -> bool) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, &v) in values.iter().enumerate() {
        if !allowed(i) {
            continue;
        }
        match best {
            None => best = Some(i),
            Some(b) if key(v) > key(values[b]) => best = Some(i),
            Some(_) => {}
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A modular function with fixed weights, plus a counter of evaluations.
    struct Modular {
        weights: Vec<f64>,
        evaluations: usize,
    }

    impl MarginalGain for Modular {
        fn gain(&mut self, x: usize) -> f64 {
            self.evaluations += 1;
            self.weights[x]
        }
        fn commit(&mut self, _x: usize) {}
    }

    /// Plain greedy with ties to the lower index, for comparison.
    fn naive(n: usize, budget: usize, f: &mut impl MarginalGain) -> Vec<usize> {
        let mut taken = vec![false; n];
        let mut order = Vec::new();
        for _ in 0..budget.min(n) {
            let gains: Vec<f64> = (0..n)
                .map(|x| if taken[x] { f64::NAN } else { f.gain(x) })
                .collect();
            let best = argmax_where(&gains, |i| !taken[i]).unwrap_or(0);
            taken[best] = true;
            f.commit(best);
            order.push(best);
        }
        order
    }

    /// Coverage of small sets: a submodular function with many ties.
    struct Coverage {
        sets: Vec<Vec<usize>>,
        covered: Vec<bool>,
    }

    impl MarginalGain for Coverage {
        fn gain(&mut self, x: usize) -> f64 {
            self.sets[x].iter().filter(|&&e| !self.covered[e]).count() as f64
        }
        fn commit(&mut self, x: usize) {
            for &e in &self.sets[x] {
                self.covered[e] = true;
            }
        }
    }

    #[test]
    fn modular_gains_come_out_sorted_with_ties_to_the_lower_index() {
        let mut f = Modular {
            weights: vec![1.0, 3.0, f64::NAN, 3.0, 2.0],
            evaluations: 0,
        };
        assert_eq!(lazy_greedy(5, 5, &mut f), vec![1, 3, 4, 0, 2]);
        assert_eq!(lazy_greedy(5, 0, &mut f), Vec::<usize>::new());
    }

    #[test]
    fn lazy_greedy_equals_plain_greedy_on_coverage() {
        let sets: Vec<Vec<usize>> = (0..40)
            .map(|i| (0..(i % 5 + 1)).map(|k| (i * 7 + k * 3) % 23).collect())
            .collect();
        let fresh = || Coverage {
            sets: sets.clone(),
            covered: vec![false; 23],
        };
        assert_eq!(
            lazy_greedy(40, 25, &mut fresh()),
            naive(40, 25, &mut fresh())
        );
    }

    #[test]
    fn argmax_skips_disallowed_and_nan() {
        let v = [f64::NAN, 2.0, 5.0, 5.0];
        assert_eq!(argmax_where(&v, |_| true), Some(2));
        assert_eq!(argmax_where(&v, |i| i != 2), Some(3));
        assert_eq!(argmax_where(&v, |i| i == 0), Some(0));
        assert_eq!(argmax_where(&v, |_| false), None);
    }
}
