#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

mod common;

use std::path::Path;

use sieve_datasets::{load_idx_dir, read_idx_images, read_idx_labels, ExampleShape};

fn pixel(i: usize) -> u8 {
    (i * 7 % 256) as u8
}

/// Writes a valid 4-file IDX directory; `suffix` is "" or ".gz".
fn write_dir(dir: &Path, suffix: &str, train_labels: &[u8], test_labels: &[u8]) {
    common::write(
        &dir.join(format!("train-images-idx3-ubyte{suffix}")),
        &common::idx_images(train_labels.len(), 4, 3, pixel),
    );
    common::write(
        &dir.join(format!("train-labels-idx1-ubyte{suffix}")),
        &common::idx_labels(train_labels),
    );
    common::write(
        &dir.join(format!("t10k-images-idx3-ubyte{suffix}")),
        &common::idx_images(test_labels.len(), 4, 3, pixel),
    );
    common::write(
        &dir.join(format!("t10k-labels-idx1-ubyte{suffix}")),
        &common::idx_labels(test_labels),
    );
}

#[test]
fn round_trips_raw_and_gz() {
    for suffix in ["", ".gz"] {
        let dir = tempfile::tempdir().unwrap();
        write_dir(dir.path(), suffix, &[3, 1, 4, 1, 5], &[9, 2]);
        let splits = load_idx_dir(dir.path()).unwrap();
        assert_eq!(splits.train.shape, ExampleShape::new(1, 4, 3));
        assert_eq!(splits.train.num_classes, 10);
        assert_eq!(splits.train.labels, vec![3, 1, 4, 1, 5]);
        assert_eq!(splits.test.labels, vec![9, 2]);
        let expected: Vec<f32> = (0..5 * 12).map(|i| f32::from(pixel(i)) / 255.0).collect();
        assert_eq!(splits.train.features, expected);
        assert!(splits.test.features.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}

#[test]
fn accepts_dotted_names_and_more_than_ten_classes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::write(
        &d.join("train-images.idx3-ubyte"),
        &common::idx_images(2, 2, 2, pixel),
    );
    common::write(
        &d.join("train-labels.idx1-ubyte.gz"),
        &common::idx_labels(&[0, 25]),
    );
    common::write(
        &d.join("t10k-images-idx3-ubyte"),
        &common::idx_images(1, 2, 2, pixel),
    );
    common::write(
        &d.join("t10k-labels-idx1-ubyte"),
        &common::idx_labels(&[12]),
    );
    let splits = load_idx_dir(d).unwrap();
    assert_eq!(splits.train.num_classes, 26);
    assert_eq!(splits.test.labels, vec![12]);
}

#[test]
fn readers_return_header_and_payload() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x-idx3-ubyte");
    common::write(&p, &common::idx_images(3, 2, 5, pixel));
    let (shape, n, pixels) = read_idx_images(&p).unwrap();
    assert_eq!((shape, n), (ExampleShape::new(1, 2, 5), 3));
    assert_eq!(pixels, (0..30).map(pixel).collect::<Vec<_>>());
    let l = dir.path().join("y.gz");
    common::write(&l, &common::idx_labels(&[7, 8]));
    assert_eq!(read_idx_labels(&l).unwrap(), vec![7, 8]);
}

#[test]
fn wrong_magic_names_file_and_numbers() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), "", &[1, 2], &[3]);
    let images = dir.path().join("train-images-idx3-ubyte");
    common::write(&images, &common::idx_labels(&[1, 2]));
    let msg = load_idx_dir(dir.path()).unwrap_err().to_string();
    assert_eq!(
        msg,
        format!(
            "{}: bad magic number 0x00000801, expected 0x00000803 (IDX images)",
            images.display()
        )
    );
}

#[test]
fn truncated_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), ".gz", &[1, 2], &[3]);
    let images = dir.path().join("t10k-images-idx3-ubyte.gz");
    let mut bytes = common::idx_images(1, 4, 3, pixel);
    bytes.truncate(bytes.len() - 5);
    common::write(&images, &bytes);
    let msg = load_idx_dir(dir.path()).unwrap_err().to_string();
    assert!(msg.starts_with(&images.display().to_string()), "{msg}");
    assert!(
        msg.contains("length 23") && msg.contains("1x4x3") && msg.contains("truncated"),
        "{msg}"
    );

    // A file too short even for its header.
    common::write(&images, &[0, 0, 8]);
    let msg = load_idx_dir(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("too short"), "{msg}");
}

#[test]
fn image_label_count_mismatch_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), "", &[1, 2, 3], &[3]);
    common::write(
        &dir.path().join("train-labels-idx1-ubyte"),
        &common::idx_labels(&[1, 2]),
    );
    let msg = load_idx_dir(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("train-images-idx3-ubyte"), "{msg}");
    assert!(
        msg.contains("3 images") && msg.contains("2 labels"),
        "{msg}"
    );
    assert!(msg.contains("train-labels-idx1-ubyte"), "{msg}");
}

#[test]
fn test_label_outside_train_classes_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), "", &[1, 2], &[10]);
    let msg = load_idx_dir(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("t10k-labels-idx1-ubyte"), "{msg}");
    assert!(msg.contains("label 10 of item 0 is out of range"), "{msg}");
}

#[test]
fn missing_file_lists_accepted_names() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), "", &[1], &[2]);
    std::fs::remove_file(dir.path().join("train-images-idx3-ubyte")).unwrap();
    let msg = load_idx_dir(dir.path()).unwrap_err().to_string();
    let p = dir.path().join("train-images-idx3-ubyte");
    assert!(
        msg.starts_with(&format!(
            "missing file: expected {} or {}.gz",
            p.display(),
            p.display()
        )),
        "{msg}"
    );
}

#[test]
fn corrupt_gzip_is_an_io_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.gz");
    std::fs::write(&p, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    let msg = read_idx_labels(&p).unwrap_err().to_string();
    assert!(msg.starts_with(&p.display().to_string()), "{msg}");
}
