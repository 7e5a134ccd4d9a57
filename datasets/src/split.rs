//! Seeded stratified splitting and subsampling.
//!
//! Stratification keeps class proportions, so a small pool or test split of an
//! imbalanced set does not lose a class by bad luck.

use crate::error::DatasetError;
use crate::rng;
use crate::set::{DataSplits, LabeledSet};

/// Seeded stratified split: within each class, a seeded shuffle, then
/// `round(test_fraction * class_count)` examples go to test and the rest to train.
/// Both splits keep the original data order.
pub fn stratified_split(
    set: &LabeledSet,
    test_fraction: f64,
    seed: u64,
) -> Result<DataSplits, DatasetError> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(DatasetError::Invalid(format!(
            "test fraction must be in (0, 1), found {test_fraction}"
        )));
    }
    let mut rng = rng::seeded(seed);
    let mut train = Vec::with_capacity(set.len());
    let mut test = Vec::new();
    for mut members in set.indices_by_class() {
        rng::shuffle(&mut rng, &mut members);
        let n_test = ((test_fraction * members.len() as f64).round() as usize).min(members.len());
        test.extend_from_slice(&members[..n_test]);
        train.extend_from_slice(&members[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok(DataSplits {
        train: set.subset(&train),
        test: set.subset(&test),
    })
}

/// Seeded stratified subsample of exactly `size` examples, proportional per
/// class (largest-remainder rounding; ties go to the lower class index).
/// Keeps the original data order.
pub fn stratified_subsample(
    set: &LabeledSet,
    size: usize,
    seed: u64,
) -> Result<LabeledSet, DatasetError> {
    Ok(set.subset(&stratified_subsample_indices(set, size, seed)?))
}

/// The rows [`stratified_subsample`] keeps, in increasing order (for tools that must
/// name the same examples elsewhere, such as a PyTorch twin).
pub fn stratified_subsample_indices(
    set: &LabeledSet,
    size: usize,
    seed: u64,
) -> Result<Vec<usize>, DatasetError> {
    if size == 0 {
        return Err(DatasetError::Invalid("subsample size must be > 0".into()));
    }
    if size > set.len() {
        return Err(DatasetError::Invalid(format!(
            "cannot subsample {size} examples from a set of {}",
            set.len()
        )));
    }
    let by_class = set.indices_by_class();
    let quotas = largest_remainder(&by_class.iter().map(Vec::len).collect::<Vec<_>>(), size);
    let mut rng = rng::seeded(seed);
    let mut chosen = Vec::with_capacity(size);
    for (mut members, quota) in by_class.into_iter().zip(quotas) {
        rng::shuffle(&mut rng, &mut members);
        chosen.extend_from_slice(&members[..quota]);
    }
    chosen.sort_unstable();
    Ok(chosen)
}

/// Splits `size` among classes proportionally to `counts` (which sum to at
/// least `size`), so the quotas sum to exactly `size` and none exceeds its count.
fn largest_remainder(counts: &[usize], size: usize) -> Vec<usize> {
    let total: u128 = counts.iter().map(|&c| c as u128).sum();
    if total == 0 {
        return vec![0; counts.len()];
    }
    let mut quotas = Vec::with_capacity(counts.len());
    let mut remainders = Vec::with_capacity(counts.len());
    for (class, &count) in counts.iter().enumerate() {
        let exact = size as u128 * count as u128;
        quotas.push((exact / total) as usize);
        remainders.push((exact % total, class));
    }
    let assigned: usize = quotas.iter().sum();
    // Largest remainder first, then lower class index: integer keys, so exact.
    remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, class) in remainders.iter().take(size.saturating_sub(assigned)) {
        quotas[class] += 1;
    }
    quotas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_sums_exactly() {
        assert_eq!(largest_remainder(&[5, 3, 2], 5), vec![3, 1, 1]);
        assert_eq!(largest_remainder(&[1, 1, 1], 2), vec![1, 1, 0]);
        assert_eq!(largest_remainder(&[10, 0, 10], 20), vec![10, 0, 10]);
        for size in 1..=17 {
            let q = largest_remainder(&[7, 6, 4], size);
            assert_eq!(q.iter().sum::<usize>(), size);
            assert!(q[0] <= 7 && q[1] <= 6 && q[2] <= 4);
        }
    }
}
