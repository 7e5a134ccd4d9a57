//! The `.npy` loader: features and labels in NumPy's format, with or without a test
//! pair, and an error naming the file for every malformed array.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::npy;

use sieve_datasets::{load_npy_dir, DatasetSpec};

fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn i64s(v: &[i64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn write(dir: &Path, name: &str, bytes: Vec<u8>) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn vectors_and_images_load_with_and_without_a_test_pair() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let x: Vec<f32> = (0..12).map(|i| i as f32).collect();
    write(d, "x_train.npy", npy("<f4", &[4, 3], &f32s(&x), false));
    write(
        d,
        "y_train.npy",
        npy("<i8", &[4], &i64s(&[0, 2, 1, 2]), false),
    );
    let (train, test) = load_npy_dir(d).unwrap();
    assert!(test.is_none());
    assert_eq!(
        (train.len(), train.shape.len(), train.num_classes),
        (4, 3, 3)
    );
    assert_eq!(train.features, x);
    assert_eq!(train.labels, vec![0, 2, 1, 2]);
    // A test pair: classes over both splits (label 4 only in test).
    write(d, "x_test.npy", npy("<f4", &[2, 3], &f32s(&x[..6]), false));
    write(d, "y_test.npy", npy("|u1", &[2], &[4, 0], false));
    let (train, test) = load_npy_dir(d).unwrap();
    assert_eq!(train.num_classes, 5);
    assert_eq!(test.unwrap().labels, vec![4, 0]);
    // uint8 grey images (N, H, W): scaled by 1/255, shape 1 x H x W.
    let img = tempfile::tempdir().unwrap();
    write(
        img.path(),
        "x_train.npy",
        npy("|u1", &[2, 2, 2], &[0, 255, 51, 102, 0, 0, 0, 255], false),
    );
    write(
        img.path(),
        "y_train.npy",
        npy("<i4", &[2], &[0, 0, 0, 0, 1, 0, 0, 0], false),
    );
    let (set, _) = load_npy_dir(img.path()).unwrap();
    assert_eq!(set.shape.channels, 1);
    assert_eq!(set.shape.height, 2);
    assert!((set.features[1] - 1.0).abs() < 1e-6 && (set.features[2] - 0.2).abs() < 1e-6);
    assert_eq!(set.labels, vec![0, 1]);
}

#[test]
fn a_npy_dataset_block_splits_when_there_is_no_test_pair() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let x: Vec<f32> = (0..80).map(|i| (i % 13) as f32).collect();
    let y: Vec<i64> = (0..40).map(|i| i % 2).collect();
    write(d, "x_train.npy", npy("<f4", &[40, 2], &f32s(&x), false));
    write(d, "y_train.npy", npy("<i8", &[40], &i64s(&y), false));
    let spec: DatasetSpec = serde_json::from_value(serde_json::json!({
        "name": "arrays", "source": "npy", "path": d, "test_fraction": 0.25
    }))
    .unwrap();
    let splits = spec.load(3).unwrap();
    assert_eq!((splits.train.len(), splits.test.len()), (30, 10));
    // With a test pair, test_fraction is refused.
    write(d, "x_test.npy", npy("<f4", &[2, 2], &f32s(&x[..4]), false));
    write(d, "y_test.npy", npy("<i8", &[2], &i64s(&[0, 1]), false));
    let err = spec.load(3).err().unwrap().to_string();
    assert!(err.contains("test_fraction"), "{err}");
}

#[test]
fn malformed_arrays_are_errors_naming_the_file() {
    let x = f32s(&[0.0; 6]);
    let y = i64s(&[0, 1]);
    let cases: Vec<(&str, Vec<u8>, Vec<u8>, &str)> = vec![
        (
            "x_train.npy",
            b"not an array".to_vec(),
            npy("<i8", &[2], &y, false),
            "magic",
        ),
        (
            "x_train.npy",
            npy("<f4", &[2, 3], &x, true),
            npy("<i8", &[2], &y, false),
            "fortran_order",
        ),
        (
            "x_train.npy",
            npy("<f4", &[2, 4], &x, false),
            npy("<i8", &[2], &y, false),
            "needs 32 bytes",
        ),
        (
            "x_train.npy",
            npy(">f4", &[2, 3], &x, false),
            npy("<i8", &[2], &y, false),
            "not supported",
        ),
        (
            "x_train.npy",
            npy("<f4", &[6], &x, false),
            npy("<i8", &[2], &y, false),
            "(N, D)",
        ),
        (
            "y_train.npy",
            npy("<f4", &[2, 3], &x, false),
            npy("<f8", &[2], &y, false),
            "integers",
        ),
        (
            "y_train.npy",
            npy("<f4", &[2, 3], &x, false),
            npy("<i8", &[2], &i64s(&[0, -1]), false),
            "is -1",
        ),
        (
            "y_train.npy",
            npy("<f4", &[2, 3], &x, false),
            npy("<i8", &[1], &i64s(&[0]), false),
            "1 labels",
        ),
    ];
    for (culprit, xb, yb, what) in cases {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "x_train.npy", xb);
        write(tmp.path(), "y_train.npy", yb);
        let err = load_npy_dir(tmp.path()).err().unwrap().to_string();
        assert!(err.contains(culprit), "{what}: {err}");
        assert!(err.contains(what), "{what}: {err}");
    }
    let empty = tempfile::tempdir().unwrap();
    let err = load_npy_dir(empty.path()).err().unwrap().to_string();
    assert!(err.contains("x_train.npy"), "{err}");
}

/// `.npz` archives as NumPy 2.4 writes them (`np.savez` with all four keys, stored with
/// zip64 local headers; `np.savez_compressed` with the training pair, deflated): the
/// fixtures in tests/data.
#[test]
fn npz_archives_from_numpy_load() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let (train, test) = sieve_datasets::load_npz(&data.join("arrays.npz")).unwrap();
    let test = test.unwrap();
    assert_eq!(
        (train.len(), train.shape.len(), train.num_classes),
        (8, 3, 2)
    );
    assert_eq!(
        train.features,
        (0..24).map(|i| i as f32).collect::<Vec<_>>()
    );
    assert_eq!(train.labels, vec![0, 1, 0, 1, 0, 1, 0, 1]);
    assert_eq!(test.labels, vec![1, 0]);
    let (train, test) = sieve_datasets::load_npz(&data.join("arrays-compressed.npz")).unwrap();
    assert!(test.is_none());
    assert_eq!(train.features[23], 23.0);
    // Through a data set block: `path` names the archive.
    let spec: DatasetSpec = serde_json::from_value(serde_json::json!({
        "name": "z", "source": "npy", "path": data.join("arrays.npz")
    }))
    .unwrap();
    let splits = spec.load(0).unwrap();
    assert_eq!((splits.train.len(), splits.test.len()), (8, 2));
    // A corrupt archive: an error naming it.
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(data.join("arrays-compressed.npz")).unwrap();
    let len = bytes.len();
    bytes.truncate(len - 30);
    std::fs::write(tmp.path().join("bad.npz"), &bytes).unwrap();
    let err = sieve_datasets::load_npz(&tmp.path().join("bad.npz"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("bad.npz"), "{err}");
}
