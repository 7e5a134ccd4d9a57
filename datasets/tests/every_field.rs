//! No field may be accepted and ignored: for every field of the `[[dataset]]` and
//! `[[scenario]]` blocks, a non-default value changes the data the loader or scenario
//! hands on. The field lists come from serde (the blocks serialised with every field), so
//! a new field fails this test until it has a case here.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};
use sieve_datasets::{
    DataSplits, DatasetSpec, ExampleShape, LabeledSet, ScenarioData, ScenarioKind, ScenarioSpec,
    SyntheticConfig, SCENARIO_KINDS,
};

/// Every key of a JSON object.
fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// `base` with `key = value` merged in.
fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut out = base.clone();
    out.as_object_mut().unwrap().insert(key.into(), value);
    out
}

/// Everything a model could see of a set: sizes, shape, classes, values, labels, padding.
fn fingerprint(set: &LabeledSet) -> String {
    let sum: f64 = set.features.iter().map(|&v| f64::from(v)).sum();
    let weighted: f64 = set
        .features
        .iter()
        .enumerate()
        .map(|(i, &v)| f64::from(v) * ((i % 97) as f64))
        .sum();
    format!(
        "{} {} {} {sum:.6} {weighted:.6} {:?} {:?}",
        set.len(),
        set.shape,
        set.num_classes,
        set.labels,
        set.pad_value
    )
}

fn splits_fingerprint(s: &DataSplits) -> String {
    format!("{} | {}", fingerprint(&s.train), fingerprint(&s.test))
}

fn load(spec: &Value) -> DataSplits {
    let spec: DatasetSpec = serde_json::from_value(spec.clone()).unwrap();
    spec.load(7).unwrap()
}

fn write_idx_dir(dir: &Path, offset: u8) {
    let labels: Vec<u8> = (0..40u8).map(|i| i % 4).collect();
    let pixel = move |i: usize| ((i * 7) as u8).wrapping_add(offset);
    common::write(
        &dir.join("train-images-idx3-ubyte"),
        &common::idx_images(40, 6, 6, pixel),
    );
    common::write(
        &dir.join("train-labels-idx1-ubyte"),
        &common::idx_labels(&labels),
    );
    common::write(
        &dir.join("t10k-images-idx3-ubyte"),
        &common::idx_images(20, 6, 6, pixel),
    );
    common::write(
        &dir.join("t10k-labels-idx1-ubyte"),
        &common::idx_labels(&labels[..20]),
    );
}

fn write_cifar100_dir(dir: &Path) {
    // Coarse label i % 20, fine label i % 100: the two readings differ.
    let label = |i: usize| vec![(i % 20) as u8, ((i * 3) % 100) as u8];
    common::write(&dir.join("train.bin"), &common::cifar_records(30, 2, label));
    common::write(&dir.join("test.bin"), &common::cifar_records(10, 2, label));
}

#[test]
fn every_dataset_field_changes_the_loaded_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (idx_a, idx_b, cifar) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c100"),
    );
    for d in [&idx_a, &idx_b, &cifar] {
        std::fs::create_dir_all(d).unwrap();
    }
    write_idx_dir(&idx_a, 0);
    write_idx_dir(&idx_b, 13);
    write_cifar100_dir(&cifar);
    let table = tmp.path().join("t.csv");
    let mut text = String::from("label,a,b,other\n");
    for i in 0..30 {
        text.push_str(&format!("{},{},{},{}\n", i % 3, i, i * 2, (i * 7) % 2));
    }
    std::fs::write(&table, text).unwrap();

    let digits = json!({"name": "d", "source": "digits"});
    let synthetic = json!({"name": "s", "source": "synthetic"});
    let idx = json!({"name": "i", "source": "idx", "path": idx_a});
    let c100 = json!({"name": "c", "source": "cifar100", "path": cifar});
    let csv = json!({"name": "t", "source": "csv", "path": table});
    // (field, base block, the field's non-default value)
    let cases: Vec<(&str, Value, Value)> = vec![
        ("source", digits.clone(), json!("synthetic")),
        ("path", idx.clone(), json!(idx_b)),
        ("test_fraction", digits.clone(), json!(0.5)),
        ("pool_size", digits.clone(), json!(100)),
        ("test_size", idx.clone(), json!(8)),
        ("cifar100_labels", c100.clone(), json!("coarse")),
        ("synthetic", synthetic.clone(), json!({"classes": 3})),
        ("label_column", csv.clone(), json!("other")),
    ];
    // `name` is the label of records (and, in a sweep, part of the load seed); the
    // loader itself must not depend on it.
    let exempt = ["name"];

    let all_fields = keys(&serde_json::to_value(DatasetSpec::named("x")).unwrap());
    let covered: BTreeSet<String> = cases
        .iter()
        .map(|c| c.0.to_string())
        .chain(exempt.iter().map(|s| s.to_string()))
        .collect();
    assert_eq!(
        covered, all_fields,
        "every [[dataset]] field needs a case here"
    );

    for (field, base, value) in cases {
        let before = splits_fingerprint(&load(&base));
        let after = splits_fingerprint(&load(&with(&base, field, value.clone())));
        assert_ne!(
            before, after,
            "dataset field `{field}` = {value} changed nothing"
        );
    }
    // The label really is only a label.
    let renamed = with(&digits, "name", json!("other"));
    assert_eq!(
        splits_fingerprint(&load(&digits)),
        splits_fingerprint(&load(&renamed))
    );
}

#[test]
fn every_synthetic_field_changes_the_generated_data() {
    let base = json!({"name": "s", "source": "synthetic", "synthetic": {}});
    let cases: Vec<(&str, Value)> = vec![
        ("classes", json!(3)),
        ("per_class", json!(20)),
        ("shape", json!({"channels": 1, "height": 4, "width": 4})),
        ("separation", json!(9.0)),
        ("noise", json!(0.1)),
    ];
    let all = keys(&serde_json::to_value(SyntheticConfig::default()).unwrap());
    let covered: BTreeSet<String> = cases.iter().map(|c| c.0.to_string()).collect();
    assert_eq!(covered, all, "every [dataset.synthetic] field needs a case");
    let before = splits_fingerprint(&load(&base));
    for (field, value) in cases {
        let spec = with(&base, "synthetic", json!({ field: value.clone() }));
        let after = splits_fingerprint(&load(&spec));
        assert_ne!(before, after, "synthetic.{field} = {value} changed nothing");
    }
}

fn scenario_fingerprint(d: &ScenarioData) -> String {
    format!(
        "{} | {} | {:?} | {:?} | {}",
        fingerprint(&d.pool),
        fingerprint(&d.test),
        d.ood,
        d.noisy,
        d.target_classes
    )
}

fn apply(spec: &Value, splits: &DataSplits) -> String {
    let spec: ScenarioSpec = serde_json::from_value(spec.clone()).unwrap();
    scenario_fingerprint(&spec.apply(splits, 3).unwrap())
}

#[test]
fn every_scenario_field_changes_the_pool() {
    let splits = DatasetSpec::named("digits").load(1).unwrap();
    // One instance of every kind: a kind or field added later does not compile here
    // (struct literals) or fails the coverage check below.
    let samples = [
        ScenarioKind::None {},
        ScenarioKind::Imbalance { ratio: 10.0 },
        ScenarioKind::Redundancy {
            copies: 2,
            noise: 0.0,
        },
        ScenarioKind::Ood {
            share: 0.1,
            held_out_classes: 2,
        },
        ScenarioKind::LabelNoise { share: 0.1 },
    ];
    // (kind, field, non-default value); the base is the sample of that kind.
    let cases: Vec<(&str, &str, Value)> = vec![
        ("imbalance", "ratio", json!(3.0)),
        ("redundancy", "copies", json!(3)),
        ("redundancy", "noise", json!(0.5)),
        ("ood", "share", json!(0.15)),
        ("ood", "held_out_classes", json!(3)),
        ("label_noise", "share", json!(0.3)),
    ];
    let mut kinds_seen = BTreeSet::new();
    for kind in &samples {
        let base = serde_json::to_value(ScenarioSpec {
            name: "s".into(),
            kind: kind.clone(),
        })
        .unwrap();
        let kind_name = base["kind"].as_str().unwrap().to_string();
        kinds_seen.insert(kind_name.clone());
        for field in keys(&base) {
            if field == "name" || field == "kind" {
                continue;
            }
            let (_, _, value) = cases
                .iter()
                .find(|(k, f, _)| *k == kind_name && *f == field)
                .unwrap_or_else(|| panic!("scenario `{kind_name}`.{field} needs a case"));
            let before = apply(&base, &splits);
            let after = apply(&with(&base, &field, value.clone()), &splits);
            assert_ne!(
                before, after,
                "{kind_name}.{field} = {value} changed nothing"
            );
        }
        // The kind itself takes effect: every kind differs from `none`.
        if kind_name != "none" {
            let none = json!({"name": "s", "kind": "none"});
            assert_ne!(apply(&none, &splits), apply(&base, &splits), "{kind_name}");
        }
    }
    let all_kinds: BTreeSet<String> = SCENARIO_KINDS.iter().map(|s| s.to_string()).collect();
    assert_eq!(kinds_seen, all_kinds, "every scenario kind needs a sample");
}

#[test]
fn unknown_scenario_and_dataset_keys_are_refused() {
    for text in [
        r#"{"name": "s", "kind": "none", "ratio": 3}"#,
        r#"{"name": "s", "kind": "imbalance", "ratio": 3, "copies": 2}"#,
        r#"{"name": "s", "kind": "label_noise", "share": 0.1, "shares": 0.2}"#,
    ] {
        let err = serde_json::from_str::<ScenarioSpec>(text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field"), "{text}: {err}");
    }
    let err = serde_json::from_str::<DatasetSpec>(r#"{"name": "digits", "pool": 10}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `pool`"), "{err}");
    let _ = ExampleShape::flat(1);
}
