//! Scenario transforms: exact declared counts, seeded, and the test set untouched.
#![allow(clippy::unwrap_used)]

use sieve_datasets::{
    imbalance_count, ood_count, DataSplits, ExampleShape, LabeledSet, ScenarioKind, ScenarioSpec,
};

/// 4 classes x 30 train examples (values encode the index), 4 x 5 test examples.
fn splits() -> DataSplits {
    let make = |per_class: usize, offset: f32| {
        let n = per_class * 4;
        let features: Vec<f32> = (0..n * 2).map(|v| v as f32 + offset).collect();
        let labels: Vec<u32> = (0..n).map(|i| (i % 4) as u32).collect();
        LabeledSet::new(ExampleShape::flat(2), 4, features, labels).unwrap()
    };
    DataSplits::new(make(30, 0.0), make(5, 1000.0)).unwrap()
}

fn spec(kind: ScenarioKind) -> ScenarioSpec {
    ScenarioSpec {
        name: "s".into(),
        kind,
    }
}

#[test]
fn imbalance_keeps_the_long_tail_counts() {
    let data = spec(ScenarioKind::Imbalance { ratio: 10.0 })
        .apply(&splits(), 1)
        .unwrap();
    // n_max = 30; counts floor(30 * 10^(-c/3)): 30, 13, 6, 3 (by hand: 30/2.154=13.9, 30/4.642=6.46, 30/10=3).
    assert_eq!(data.pool.class_counts(), vec![30, 13, 6, 3]);
    assert_eq!(imbalance_count(30, 10.0, 3, 4), 3);
    assert_eq!(
        data.test.features,
        splits().test.features,
        "test set untouched"
    );
    assert_eq!(data.target_classes, 4);
}

#[test]
fn redundancy_duplicates_every_example() {
    let data = spec(ScenarioKind::Redundancy {
        copies: 3,
        noise: 0.0,
    })
    .apply(&splits(), 1)
    .unwrap();
    assert_eq!(data.pool.len(), 120 * 3);
    assert_eq!(data.pool.example(5), data.pool.example(5 + 120));
    assert_eq!(data.pool.class_counts(), vec![90; 4]);
    let noisy = spec(ScenarioKind::Redundancy {
        copies: 2,
        noise: 0.1,
    })
    .apply(&splits(), 1)
    .unwrap();
    assert_eq!(
        noisy.pool.example(0),
        splits().train.example(0),
        "the first copy is the original"
    );
    assert_ne!(
        noisy.pool.example(120),
        splits().train.example(0),
        "later copies carry noise"
    );
    assert_eq!(noisy.test.features, splits().test.features);
}

#[test]
fn ood_contaminates_the_pool_with_held_out_classes() {
    let data = spec(ScenarioKind::Ood {
        share: 0.2,
        held_out_classes: 1,
    })
    .apply(&splits(), 1)
    .unwrap();
    // 90 in-distribution examples (classes 0..2); OOD = round(0.2/0.8 * 90) = 23 (22.5 rounds to even? no: to 23).
    assert_eq!(ood_count(90, 0.2), 23);
    assert_eq!(data.pool.len(), 113);
    assert_eq!(data.ood.iter().filter(|&&o| o).count(), 23);
    assert!(data
        .ood
        .iter()
        .zip(&data.pool.labels)
        .all(|(&o, &l)| o == (l == 3)));
    assert_eq!(data.target_classes, 3);
    // The test set keeps its target-class examples exactly, and drops the held-out class.
    assert_eq!(data.test.len(), 15);
    assert!(data.test.labels.iter().all(|&l| l < 3));
    let original = splits().test;
    let kept: Vec<&[f32]> = (0..original.len())
        .filter(|&i| original.labels[i] < 3)
        .map(|i| original.example(i))
        .collect();
    let now: Vec<&[f32]> = (0..data.test.len()).map(|i| data.test.example(i)).collect();
    assert_eq!(kept, now);
    let too_much = spec(ScenarioKind::Ood {
        share: 0.5,
        held_out_classes: 1,
    })
    .apply(&splits(), 1)
    .unwrap_err();
    assert!(
        too_much.to_string().contains("out-of-distribution"),
        "{too_much}"
    );
}

#[test]
fn label_noise_flips_exactly_the_declared_share() {
    let clean = splits();
    let data = spec(ScenarioKind::LabelNoise { share: 0.25 })
        .apply(&clean, 3)
        .unwrap();
    let flipped = data
        .pool
        .labels
        .iter()
        .zip(&clean.train.labels)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(flipped, 30, "round(0.25 * 120)");
    assert_eq!(data.noisy.iter().filter(|&&n| n).count(), 30);
    assert_eq!(data.pool.features, clean.train.features);
    assert_eq!(data.test.labels, clean.test.labels);
    let again = spec(ScenarioKind::LabelNoise { share: 0.25 })
        .apply(&clean, 3)
        .unwrap();
    assert_eq!(again.pool.labels, data.pool.labels, "seeded");
}

#[test]
fn bad_parameters_name_the_field() {
    let e = spec(ScenarioKind::Imbalance { ratio: 0.5 })
        .validate(None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ratio"), "{e}");
    let e = spec(ScenarioKind::Ood {
        share: 0.2,
        held_out_classes: 3,
    })
    .validate(Some(4))
    .unwrap_err()
    .to_string();
    assert!(e.contains("held_out_classes"), "{e}");
    let e = spec(ScenarioKind::Redundancy {
        copies: 1,
        noise: 0.0,
    })
    .validate(None)
    .unwrap_err()
    .to_string();
    assert!(e.contains("copies"), "{e}");
    let toml_like = serde_json::json!({"name": "lt", "kind": "imbalance", "ratio": 10.0});
    let parsed: ScenarioSpec = serde_json::from_value(toml_like).unwrap();
    assert_eq!(parsed.kind, ScenarioKind::Imbalance { ratio: 10.0 });
    let typo = serde_json::json!({"name": "lt", "kind": "imbalance", "ratio": 10.0, "ration": 2});
    let e = serde_json::from_value::<ScenarioSpec>(typo)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ration"), "{e}");
}
