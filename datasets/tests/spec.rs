#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

mod common;

use std::path::PathBuf;

use sieve_datasets::{
    Augmentation, ChannelStats, DatasetSource, DatasetSpec, SyntheticConfig, DATASET_SOURCES,
};

fn spec(json: &str) -> DatasetSpec {
    serde_json::from_str(json).unwrap()
}

#[test]
fn source_is_inferred_for_builtin_names() {
    assert_eq!(
        DatasetSpec::named("digits").validate().unwrap(),
        DatasetSource::Digits
    );
    assert_eq!(
        DatasetSpec::named("synthetic").validate().unwrap(),
        DatasetSource::Synthetic
    );
    // The fetchable data sets: source inferred, path defaulting to the fetch folder.
    assert_eq!(
        DatasetSpec::named("mnist").validate().unwrap(),
        DatasetSource::Idx
    );
    assert_eq!(
        DatasetSpec::named("cifar100").validate().unwrap(),
        DatasetSource::Cifar100
    );
    assert!(DatasetSpec::named("kmnist").fetched().is_some());
    // Another source under a fetchable name is the user's own data: it needs a path.
    let own = DatasetSpec {
        source: Some(DatasetSource::Csv),
        ..DatasetSpec::named("mnist")
    };
    assert!(own.fetched().is_none());
    let msg = own.validate().unwrap_err().to_string();
    assert!(msg.contains("field `path` is required"), "{msg}");
    let msg = DatasetSpec::named("my-data")
        .validate()
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("dataset `my-data`: field `source` is required"),
        "{msg}"
    );
    for s in DATASET_SOURCES {
        let parsed: DatasetSource = serde_json::from_str(&format!("\"{s}\"")).unwrap();
        assert_eq!(parsed.as_str(), *s);
    }
}

#[test]
fn validate_names_the_field() {
    let cases = [
        (
            r#"{"name":"x","source":"idx"}"#,
            "dataset `x`: field `path` is required for source `idx`",
        ),
        (
            r#"{"name":"x","source":"cifar10"}"#,
            "field `path` is required for source `cifar10`",
        ),
        (
            r#"{"name":"digits","path":"/d"}"#,
            "field `path` is not used by source `digits`",
        ),
        (
            r#"{"name":"digits","test_fraction":1.0}"#,
            "field `test_fraction` must be in (0, 1)",
        ),
        (
            r#"{"name":"x","source":"idx","path":"/d","test_fraction":0.2}"#,
            "field `test_fraction` is not used",
        ),
        (
            r#"{"name":"digits","pool_size":0}"#,
            "field `pool_size` must be > 0",
        ),
        (
            r#"{"name":"digits","test_size":0}"#,
            "field `test_size` must be > 0",
        ),
        (
            r#"{"name":"digits","cifar100_labels":"fine"}"#,
            "field `cifar100_labels` is not used",
        ),
        (
            r#"{"name":"digits","synthetic":{}}"#,
            "field `synthetic` is not used",
        ),
        (
            r#"{"name":"synthetic","synthetic":{"classes":1}}"#,
            "field `synthetic`: synthetic data: `classes`",
        ),
        (r#"{"name":" "}"#, "field `name`"),
    ];
    for (json, expected) in cases {
        let msg = spec(json).validate().unwrap_err().to_string();
        assert!(msg.contains(expected), "{json}: {msg}");
    }
    assert!(serde_json::from_str::<DatasetSpec>(r#"{"name":"x","bogus":1}"#).is_err());
    assert!(
        spec(r#"{"name":"c","source":"cifar100","path":"/d","cifar100_labels":"coarse"}"#)
            .validate()
            .is_ok()
    );
}

#[test]
fn load_digits_is_deterministic_split_subsampled_and_normalized() {
    let s = spec(r#"{"name":"digits","pool_size":500,"test_size":200}"#);
    let a = s.load(3).unwrap();
    let b = s.load(3).unwrap();
    let c = s.load(4).unwrap();
    assert_eq!(a.train.len(), 500);
    assert_eq!(a.test.len(), 200);
    assert_eq!(a.train.features, b.train.features);
    assert_eq!(a.test.labels, b.test.labels);
    assert_ne!(a.train.features, c.train.features);
    let stats = ChannelStats::fit(&a.train);
    assert!(stats.mean[0].abs() < 1e-4 && (stats.std[0] - 1.0).abs() < 1e-4);

    let full = DatasetSpec::named("digits").load(0).unwrap();
    assert_eq!(full.train.len() + full.test.len(), 1797);
    // Default test fraction 0.3, per class.
    assert!((full.test.len() as f64 - 0.3 * 1797.0).abs() <= 10.0);

    let msg = spec(r#"{"name":"digits","pool_size":5000}"#)
        .load(0)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("dataset `digits`: field `pool_size` is 5000"),
        "{msg}"
    );
}

#[test]
fn load_synthetic_and_idx() {
    let mut s = DatasetSpec::named("synthetic");
    s.synthetic = Some(SyntheticConfig {
        classes: 3,
        per_class: 10,
        ..Default::default()
    });
    s.test_fraction = Some(0.2);
    let splits = s.load(1).unwrap();
    assert_eq!(splits.test.class_counts(), vec![2, 2, 2]);
    assert_eq!(splits.train.len(), 24);

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::write(
        &d.join("train-images-idx3-ubyte.gz"),
        &common::idx_images(20, 3, 3, |i| i as u8),
    );
    let labels: Vec<u8> = (0..20).map(|i| (i % 10) as u8).collect();
    common::write(
        &d.join("train-labels-idx1-ubyte.gz"),
        &common::idx_labels(&labels),
    );
    common::write(
        &d.join("t10k-images-idx3-ubyte.gz"),
        &common::idx_images(10, 3, 3, |i| i as u8),
    );
    common::write(
        &d.join("t10k-labels-idx1-ubyte.gz"),
        &common::idx_labels(&labels[..10]),
    );
    let mut s = DatasetSpec::named("tiny-mnist");
    s.source = Some(DatasetSource::Idx);
    s.path = Some(PathBuf::from(d));
    s.pool_size = Some(10);
    let splits = s.load(0).unwrap();
    assert_eq!(splits.train.len(), 10);
    assert_eq!(splits.train.class_counts(), vec![1; 10]);
    assert_eq!(splits.test.len(), 10);

    s.path = Some(d.join("nope"));
    let msg = s.load(0).unwrap_err().to_string();
    assert!(msg.starts_with("missing file: expected"), "{msg}");
}

#[test]
fn augmentation_deserializes() {
    let a: Augmentation = serde_json::from_str(r#"{"flip":true,"crop_padding":4}"#).unwrap();
    assert_eq!(
        a,
        Augmentation {
            flip: true,
            crop_padding: 4,
            cutout: 0,
            dsa: None,
        }
    );
    assert!(serde_json::from_str::<Augmentation>(r#"{"flop":true}"#).is_err());
}
