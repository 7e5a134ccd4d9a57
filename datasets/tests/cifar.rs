#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

mod common;

use std::path::Path;

use sieve_datasets::{load_cifar10, load_cifar100, Cifar100Labels, ExampleShape};

fn write_cifar10(dir: &Path, per_file: usize, suffix: &str) {
    for i in 1..=5 {
        common::write(
            &dir.join(format!("data_batch_{i}.bin{suffix}")),
            &common::cifar_records(per_file, 1, |r| vec![((r + i) % 10) as u8]),
        );
    }
    common::write(
        &dir.join(format!("test_batch.bin{suffix}")),
        &common::cifar_records(per_file, 1, |r| vec![(r % 10) as u8]),
    );
}

#[test]
fn cifar10_round_trips_raw_and_gz() {
    for suffix in ["", ".gz"] {
        let dir = tempfile::tempdir().unwrap();
        write_cifar10(dir.path(), 3, suffix);
        let splits = load_cifar10(dir.path()).unwrap();
        assert_eq!(splits.train.shape, ExampleShape::new(3, 32, 32));
        assert_eq!(splits.train.num_classes, 10);
        assert_eq!(splits.train.len(), 15);
        assert_eq!(splits.test.labels, vec![0, 1, 2]);
        assert_eq!(&splits.train.labels[..4], &[1, 2, 3, 2]);
        // Record 1 of test: pixel p is (p + 1) % 256; R plane first.
        let ex = splits.test.example(1);
        assert_eq!(ex[0], 1.0 / 255.0);
        assert_eq!(ex[1024], f32::from(((1024 + 1) % 256) as u8) / 255.0);
        assert_eq!(ex[3071], f32::from(((3071 + 1) % 256) as u8) / 255.0);
    }
}

#[test]
fn cifar10_accepts_the_parent_directory() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("cifar-10-batches-bin");
    std::fs::create_dir(&inner).unwrap();
    write_cifar10(&inner, 1, "");
    assert_eq!(load_cifar10(dir.path()).unwrap().train.len(), 5);
}

#[test]
fn cifar10_bad_length_names_file_and_length() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar10(dir.path(), 1, "");
    let p = dir.path().join("data_batch_1.bin");
    std::fs::write(&p, vec![0u8; 3000]).unwrap();
    let msg = load_cifar10(dir.path()).unwrap_err().to_string();
    assert_eq!(
        msg,
        format!(
            "{}: length 3000 is not a multiple of 3073 bytes (CIFAR-10 record)",
            p.display()
        )
    );
}

#[test]
fn cifar10_label_out_of_range_names_file_and_record() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar10(dir.path(), 2, "");
    let p = dir.path().join("test_batch.bin");
    common::write(
        &p,
        &common::cifar_records(3, 1, |r| vec![if r == 2 { 10 } else { 0 }]),
    );
    let msg = load_cifar10(dir.path()).unwrap_err().to_string();
    assert!(msg.starts_with(&p.display().to_string()), "{msg}");
    assert!(msg.contains("record 2: label 10 is out of range"), "{msg}");
}

#[test]
fn cifar10_missing_batch_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar10(dir.path(), 1, "");
    std::fs::remove_file(dir.path().join("data_batch_4.bin")).unwrap();
    let msg = load_cifar10(dir.path()).unwrap_err().to_string();
    assert!(msg.starts_with("missing file: expected"), "{msg}");
    assert!(msg.contains("data_batch_4.bin"), "{msg}");
}

fn write_cifar100(dir: &Path) {
    common::write(
        &dir.join("train.bin"),
        &common::cifar_records(4, 2, |r| vec![(r % 20) as u8, (r * 30 % 100) as u8]),
    );
    common::write(
        &dir.join("test.bin.gz"),
        &common::cifar_records(2, 2, |_| vec![19, 99]),
    );
}

#[test]
fn cifar100_fine_and_coarse() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar100(dir.path());
    let fine = load_cifar100(dir.path(), Cifar100Labels::Fine).unwrap();
    assert_eq!(fine.train.num_classes, 100);
    assert_eq!(fine.train.labels, vec![0, 30, 60, 90]);
    assert_eq!(fine.test.labels, vec![99, 99]);
    let coarse = load_cifar100(dir.path(), Cifar100Labels::Coarse).unwrap();
    assert_eq!(coarse.train.num_classes, 20);
    assert_eq!(coarse.train.labels, vec![0, 1, 2, 3]);
    assert_eq!(coarse.test.labels, vec![19, 19]);
    assert_eq!(coarse.train.example(1)[0], 1.0 / 255.0);
}

#[test]
fn cifar100_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar100(dir.path());
    let p = dir.path().join("train.bin");
    std::fs::write(&p, vec![0u8; 3073]).unwrap();
    let msg = load_cifar100(dir.path(), Cifar100Labels::Fine)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("train.bin: length 3073 is not a multiple of 3074 bytes (CIFAR-100 record)"),
        "{msg}"
    );

    common::write(&p, &common::cifar_records(2, 2, |r| vec![20 + r as u8, 5]));
    // Fine labels are fine; coarse 20 is out of range.
    assert!(load_cifar100(dir.path(), Cifar100Labels::Fine).is_ok());
    let msg = load_cifar100(dir.path(), Cifar100Labels::Coarse)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("record 0: label 20 is out of range, expected 0..20"),
        "{msg}"
    );
}

#[test]
fn cifar100_serde_names() {
    let v: Cifar100Labels = serde_json::from_str("\"coarse\"").unwrap();
    assert_eq!(v, Cifar100Labels::Coarse);
    assert_eq!(
        serde_json::to_string(&Cifar100Labels::Fine).unwrap(),
        "\"fine\""
    );
}
