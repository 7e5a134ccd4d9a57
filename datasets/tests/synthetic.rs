#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

use sieve_datasets::{
    generate_synthetic, stratified_split, ExampleShape, LabeledSet, SyntheticConfig,
};

fn centroids(set: &LabeledSet) -> Vec<Vec<f32>> {
    let d = set.shape.len();
    let mut sums = vec![vec![0.0f32; d]; set.num_classes];
    for i in 0..set.len() {
        let c = set.labels[i] as usize;
        sums[c]
            .iter_mut()
            .zip(set.example(i))
            .for_each(|(s, v)| *s += v);
    }
    let counts = set.class_counts();
    sums.iter_mut()
        .zip(counts)
        .for_each(|(s, n)| s.iter_mut().for_each(|v| *v /= n as f32));
    sums
}

fn nearest_centroid_accuracy(train: &LabeledSet, test: &LabeledSet) -> f64 {
    let cents = centroids(train);
    let correct = (0..test.len())
        .filter(|&i| {
            let x = test.example(i);
            let best = cents
                .iter()
                .enumerate()
                .map(|(c, m)| {
                    (
                        c,
                        m.iter().zip(x).map(|(a, b)| (a - b).powi(2)).sum::<f32>(),
                    )
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap()
                .0;
            best == test.labels[i] as usize
        })
        .count();
    correct as f64 / test.len() as f64
}

#[test]
fn deterministic_in_seed() {
    let config = SyntheticConfig::default();
    let a = generate_synthetic(&config, 1).unwrap();
    let b = generate_synthetic(&config, 1).unwrap();
    let c = generate_synthetic(&config, 2).unwrap();
    assert_eq!(a.features, b.features);
    assert_ne!(a.features, c.features);
    assert_eq!(a.len(), 200);
    assert_eq!(a.class_counts(), vec![50; 4]);
    assert_eq!(&a.labels[..5], &[0, 1, 2, 3, 0]);
}

#[test]
fn well_separated_classes_are_perfectly_separable() {
    // Centres are mutually orthogonal while classes <= dimension.
    for (classes, shape) in [
        (4, ExampleShape::flat(16)),
        (10, ExampleShape::new(1, 4, 4)),
        (2, ExampleShape::flat(2)),
    ] {
        let config = SyntheticConfig {
            classes,
            per_class: 40,
            shape,
            separation: 10.0,
            noise: 0.1,
        };
        let set = generate_synthetic(&config, 11).unwrap();
        let splits = stratified_split(&set, 0.5, 0).unwrap();
        let acc = nearest_centroid_accuracy(&splits.train, &splits.test);
        assert_eq!(acc, 1.0, "{shape}");
    }
}

#[test]
fn validation_rejects_bad_configs() {
    let ok = SyntheticConfig::default();
    let cases = [
        (
            SyntheticConfig {
                classes: 1,
                ..ok.clone()
            },
            "classes",
        ),
        (
            SyntheticConfig {
                per_class: 0,
                ..ok.clone()
            },
            "per_class",
        ),
        (
            SyntheticConfig {
                shape: ExampleShape::flat(0),
                ..ok.clone()
            },
            "shape",
        ),
        (
            SyntheticConfig {
                noise: -1.0,
                ..ok.clone()
            },
            "noise",
        ),
        (
            SyntheticConfig {
                separation: f32::NAN,
                ..ok.clone()
            },
            "separation",
        ),
        (
            SyntheticConfig {
                shape: ExampleShape::new(usize::MAX, 2, 2),
                ..ok.clone()
            },
            "exceed",
        ),
    ];
    for (config, word) in cases {
        let msg = generate_synthetic(&config, 0).unwrap_err().to_string();
        assert!(msg.contains(word), "{msg}");
    }
}

#[test]
fn config_deserializes_with_defaults_and_rejects_unknown_fields() {
    let c: SyntheticConfig = serde_json::from_str(r#"{"classes": 3}"#).unwrap();
    assert_eq!(c.classes, 3);
    assert_eq!(c.per_class, 50);
    assert!(serde_json::from_str::<SyntheticConfig>(r#"{"clases": 3}"#).is_err());
}
