//! LabeledSet, stratified split/subsample and normalization.
#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

use std::collections::HashSet;

use sieve_datasets::{
    generate_synthetic, load_digits, stratified_split, stratified_subsample, ChannelStats,
    DataSplits, ExampleShape, LabeledSet, SyntheticConfig,
};

/// Ten examples, value = 10 * index + position, labels 0,0,0,0,0,0,1,1,1,2.
fn small() -> LabeledSet {
    let shape = ExampleShape::flat(2);
    let features = (0..10)
        .flat_map(|i| [10.0 * i as f32, 10.0 * i as f32 + 1.0])
        .collect();
    LabeledSet::new(shape, 3, features, vec![0, 0, 0, 0, 0, 0, 1, 1, 1, 2]).unwrap()
}

#[test]
fn new_checks_lengths_and_labels() {
    let shape = ExampleShape::flat(2);
    let err = LabeledSet::new(shape, 3, vec![0.0; 5], vec![0, 1]).unwrap_err();
    assert!(err.to_string().contains("5 values"), "{err}");
    let err = LabeledSet::new(shape, 3, vec![0.0; 4], vec![0, 3]).unwrap_err();
    assert!(err.to_string().contains("label 3 of example 1"), "{err}");
    assert!(LabeledSet::new(ExampleShape::flat(0), 3, vec![], vec![]).is_err());
    assert!(LabeledSet::new(shape, 0, vec![], vec![]).is_err());
    let empty = LabeledSet::new(shape, 3, vec![], vec![]).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn gather_equals_example_rows_and_reuses_buffers() {
    let set = small();
    let mut out = vec![99.0; 3];
    let mut labels = vec![7];
    set.gather(&[9, 0, 6], &mut out, &mut labels);
    let expected: Vec<f32> = [9, 0, 6]
        .iter()
        .flat_map(|&i| set.example(i).to_vec())
        .collect();
    assert_eq!(out, expected);
    assert_eq!(labels, vec![2, 0, 1]);
    set.gather(&[1], &mut out, &mut labels);
    assert_eq!(out, set.example(1));
    assert_eq!(labels, vec![0]);

    let sub = set.subset(&[6, 9]);
    assert_eq!(sub.features, [set.example(6), set.example(9)].concat());
    assert_eq!(sub.class_counts(), vec![0, 1, 1]);
    assert_eq!(set.class_counts(), vec![6, 3, 1]);
}

/// Recovers original indices from the `small()` encoding.
fn ids(set: &LabeledSet) -> Vec<usize> {
    (0..set.len())
        .map(|i| (set.example(i)[0] / 10.0) as usize)
        .collect()
}

#[test]
fn stratified_split_counts_and_determinism() {
    let set = load_digits().unwrap();
    let splits = stratified_split(&set, 0.3, 5).unwrap();
    let counts = set.class_counts();
    let test_counts = splits.test.class_counts();
    let train_counts = splits.train.class_counts();
    for c in 0..10 {
        let expected = (0.3 * counts[c] as f64).round() as usize;
        assert_eq!(test_counts[c], expected);
        assert_eq!(train_counts[c], counts[c] - expected);
    }
    let again = stratified_split(&set, 0.3, 5).unwrap();
    assert_eq!(again.test.features, splits.test.features);
    let other = stratified_split(&set, 0.3, 6).unwrap();
    assert_ne!(other.test.features, splits.test.features);
    assert_eq!(other.test.class_counts(), test_counts);
}

#[test]
fn stratified_split_is_disjoint_and_covering() {
    let set = small();
    for seed in 0..20 {
        let s = stratified_split(&set, 0.5, seed).unwrap();
        let train: HashSet<usize> = ids(&s.train).into_iter().collect();
        let test: HashSet<usize> = ids(&s.test).into_iter().collect();
        assert!(train.is_disjoint(&test));
        assert_eq!(train.len() + test.len(), 10);
        // round(0.5*6)=3, round(0.5*3)=2, round(0.5*1)=1
        assert_eq!(s.test.class_counts(), vec![3, 2, 1]);
        // Labels still match their examples.
        for (i, id) in ids(&s.test).into_iter().enumerate() {
            assert_eq!(s.test.labels[i], set.labels[id]);
        }
    }
    for bad in [0.0, 1.0, -0.1, f64::NAN] {
        assert!(stratified_split(&set, bad, 0).is_err());
    }
}

#[test]
fn stratified_subsample_exact_and_proportional() {
    let set = load_digits().unwrap();
    for size in [1, 10, 95, 500, 1797] {
        let sub = stratified_subsample(&set, size, 1).unwrap();
        assert_eq!(sub.len(), size);
        let counts = sub.class_counts();
        for (c, &n) in counts.iter().enumerate() {
            let ideal = size as f64 * set.class_counts()[c] as f64 / set.len() as f64;
            assert!((n as f64 - ideal).abs() < 1.0, "class {c}: {n} vs {ideal}");
        }
    }
    let a = stratified_subsample(&set, 100, 1).unwrap();
    let b = stratified_subsample(&set, 100, 1).unwrap();
    let c = stratified_subsample(&set, 100, 2).unwrap();
    assert_eq!(a.features, b.features);
    assert_ne!(a.features, c.features);
    assert!(stratified_subsample(&set, 0, 1).is_err());
    let err = stratified_subsample(&set, 1798, 1).unwrap_err();
    assert!(err.to_string().contains("1798"), "{err}");
}

#[test]
fn normalize_gives_zero_mean_unit_std_per_channel_on_train() {
    let config = SyntheticConfig {
        shape: ExampleShape::new(3, 4, 4),
        ..Default::default()
    };
    let mut set = generate_synthetic(&config, 3).unwrap();
    // Give channels different offsets and scales.
    for ex in set.features.chunks_exact_mut(48) {
        for (c, plane) in ex.chunks_exact_mut(16).enumerate() {
            plane
                .iter_mut()
                .for_each(|v| *v = *v * (c as f32 + 1.0) + 5.0 * c as f32);
        }
    }
    let mut splits: DataSplits = stratified_split(&set, 0.25, 0).unwrap();
    let stats = splits.normalize();
    assert_eq!(stats.mean.len(), 3);
    let refit = ChannelStats::fit(&splits.train);
    for c in 0..3 {
        assert!(refit.mean[c].abs() < 1e-4, "{:?}", refit.mean);
        assert!((refit.std[c] - 1.0).abs() < 1e-4, "{:?}", refit.std);
    }
    // Test is transformed with the train statistics (close to, not exactly, standard).
    let test = ChannelStats::fit(&splits.test);
    assert!(test.mean.iter().all(|m| m.abs() < 0.5));
}

#[test]
fn normalize_constant_channel_is_finite() {
    let set = LabeledSet::new(ExampleShape::flat(3), 2, vec![1.0; 6], vec![0, 1]).unwrap();
    let mut splits = DataSplits {
        train: set.clone(),
        test: set,
    };
    let stats = splits.normalize();
    assert_eq!(stats.std, vec![1e-6]);
    assert!(splits.train.features.iter().all(|&v| v == 0.0));
}

#[test]
fn normalisation_records_the_value_of_a_raw_zero_pixel() {
    let splits = sieve_datasets::DatasetSpec::named("digits")
        .load(0)
        .unwrap();
    let stats = sieve_datasets::ChannelStats::fit(&{
        // Refit on the raw training split to know the expected value.
        let raw = sieve_datasets::load_digits().unwrap();
        sieve_datasets::stratified_split(&raw, 0.3, 0)
            .unwrap()
            .train
    });
    assert_eq!(splits.train.pad_value.len(), 1);
    let expected = -stats.mean[0] / stats.std[0];
    assert!(expected < -0.5, "digits have a dark background: {expected}");
    assert!(
        (splits.train.pad_value[0] - expected).abs() < 0.05,
        "{:?} vs {expected}",
        splits.train.pad_value
    );
    assert_eq!(splits.train.pad_value, splits.test.pad_value);
    // And the background pixels of a digit (raw 0) are exactly that value.
    let corner = splits.train.example(0)[0];
    assert!(
        (corner - splits.train.pad_value[0]).abs() < 1e-5,
        "{corner}"
    );
}
