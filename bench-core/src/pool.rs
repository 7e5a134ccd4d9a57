//! The pool: which training examples are labeled and which are not.

/// Labeled and unlabeled index sets over a training split of `len` examples.
/// Labeled indices keep their acquisition order; unlabeled are always listed ascending.
#[derive(Clone, Debug)]
pub struct Pool {
    labeled: Vec<usize>,
    is_labeled: Vec<bool>,
}

impl Pool {
    /// A pool of `len` examples, none labeled.
    pub fn new(len: usize) -> Self {
        Self {
            labeled: Vec::new(),
            is_labeled: vec![false; len],
        }
    }

    /// Number of examples in the pool.
    pub fn len(&self) -> usize {
        self.is_labeled.len()
    }

    /// True when the pool has no examples.
    pub fn is_empty(&self) -> bool {
        self.is_labeled.is_empty()
    }

    /// Labeled indices, in acquisition order.
    pub fn labeled(&self) -> &[usize] {
        &self.labeled
    }

    /// Unlabeled indices, ascending.
    pub fn unlabeled(&self) -> Vec<usize> {
        (0..self.len()).filter(|&i| !self.is_labeled[i]).collect()
    }

    /// Number of unlabeled examples.
    pub fn unlabeled_count(&self) -> usize {
        self.len() - self.labeled.len()
    }

    /// Whether example `i` is labeled.
    pub fn is_labeled(&self, i: usize) -> bool {
        self.is_labeled.get(i).copied().unwrap_or(false)
    }

    /// The labeled examples a model may train on: those not flagged in `excluded`
    /// (out-of-distribution queries spend budget but give no training label).
    pub fn training_indices(&self, excluded: &[bool]) -> Vec<usize> {
        self.labeled
            .iter()
            .copied()
            .filter(|&i| !excluded.get(i).copied().unwrap_or(false))
            .collect()
    }

    /// Labels `indices`. Fails (changing nothing) when an index is out of range, already
    /// labeled, or repeated: a strategy must return distinct unlabeled examples.
    pub fn label(&mut self, indices: &[usize]) -> Result<(), String> {
        let mut seen = std::collections::HashSet::with_capacity(indices.len());
        for &i in indices {
            if i >= self.len() {
                return Err(format!(
                    "index {i} is outside the pool (size {})",
                    self.len()
                ));
            }
            if self.is_labeled[i] {
                return Err(format!("index {i} is already labeled"));
            }
            if !seen.insert(i) {
                return Err(format!("index {i} was selected twice"));
            }
        }
        for &i in indices {
            self.is_labeled[i] = true;
            self.labeled.push(i);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labeling_moves_indices_and_rejects_bad_picks() {
        let mut pool = Pool::new(5);
        pool.label(&[3, 1]).unwrap();
        assert_eq!(pool.labeled(), &[3, 1]);
        assert_eq!(pool.unlabeled(), vec![0, 2, 4]);
        assert!(pool.label(&[1]).is_err());
        assert!(pool.label(&[7]).is_err());
        assert!(pool.label(&[0, 0]).is_err());
        assert_eq!(pool.unlabeled_count(), 3);
    }

    #[test]
    fn out_of_distribution_queries_cost_budget_but_never_train() {
        let mut pool = Pool::new(5);
        pool.label(&[4, 0, 2]).unwrap();
        let ood = [false, false, true, false, false];
        assert_eq!(pool.labeled().len(), 3, "all three queries spent budget");
        assert_eq!(
            pool.training_indices(&ood),
            vec![4, 0],
            "the OOD one is not trained on"
        );
    }
}
