//! Bounded fuzzing of the data-file parsers (IDX, CIFAR, CSV, `.npy`, image folders):
//! seeded random truncations, bit flips, byte runs and oversized header fields applied
//! to valid files. Every case must return (never panic, never allocate from an
//! unchecked header), and every error must name the file. A fixed number of cases per
//! parser keeps it in the test suite.
#![allow(clippy::unwrap_used)]

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sieve_datasets::{
    load_cifar10, load_csv, load_image_folder, load_npy_dir, read_idx_images, read_idx_labels,
    DatasetError,
};

/// Cases per parser.
const CASES: usize = 200;

/// One random corruption of `bytes`: truncate, flip bits, overwrite a run, or set a
/// 4-byte field near the start to a huge value.
fn mutate(bytes: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match rng.random_range(0..4) {
        0 => out.truncate(rng.random_range(0..=bytes.len())),
        1 => {
            for _ in 0..rng.random_range(1..8) {
                if out.is_empty() {
                    break;
                }
                let i = rng.random_range(0..out.len());
                out[i] ^= 1 << rng.random_range(0..8);
            }
        }
        2 => {
            if !out.is_empty() {
                let start = rng.random_range(0..out.len());
                let end = (start + rng.random_range(1..16)).min(out.len());
                let value: u8 = rng.random();
                out[start..end].fill(value);
            }
        }
        _ => {
            let at = rng.random_range(0..16.min(out.len().saturating_sub(3)).max(1));
            if at + 4 <= out.len() {
                let huge: u32 = rng.random_range(1 << 24..=u32::MAX);
                out[at..at + 4].copy_from_slice(&huge.to_be_bytes());
            }
        }
    }
    out
}

/// Runs `parse` on each corrupted copy of `valid` written to `file`: no panic, and
/// an error (if any) names `file`'s name.
fn fuzz<T>(seed: u64, valid: &[u8], file: &Path, parse: impl Fn(&Path) -> Result<T, DatasetError>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    for case in 0..CASES {
        let bytes = mutate(valid, &mut rng);
        std::fs::write(file, &bytes).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| parse(file)));
        match outcome {
            Err(_) => panic!("case {case} of {name} panicked ({} bytes)", bytes.len()),
            Ok(Err(e)) => {
                let message = e.to_string();
                assert!(
                    message.contains(&name) || message.contains(&file.display().to_string()),
                    "case {case}: the error does not name {name}: {message}"
                );
            }
            Ok(Ok(_)) => {}
        }
    }
}

#[test]
fn idx_parsers_survive_corruption() {
    let tmp = tempfile::tempdir().unwrap();
    let images = common::idx_images(20, 6, 6, |i| (i * 7) as u8);
    fuzz(
        1,
        &images,
        &tmp.path().join("train-images-idx3-ubyte"),
        read_idx_images,
    );
    let labels = common::idx_labels(&(0..20).map(|i| (i % 4) as u8).collect::<Vec<_>>());
    fuzz(
        2,
        &labels,
        &tmp.path().join("train-labels-idx1-ubyte"),
        read_idx_labels,
    );
}

#[test]
fn the_cifar_parser_survives_corruption() {
    let tmp = tempfile::tempdir().unwrap();
    let record = common::cifar_records(3, 1, |i| vec![(i % 10) as u8]);
    for i in 1..=5 {
        std::fs::write(tmp.path().join(format!("data_batch_{i}.bin")), &record).unwrap();
    }
    let target = tmp.path().join("test_batch.bin");
    fuzz(3, &record, &target, |_| load_cifar10(tmp.path()));
}

#[test]
fn the_csv_parser_survives_corruption() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from("a,b,label\n");
    for i in 0..20 {
        text.push_str(&format!("{}.5,{},{}\n", i, i * 3, i % 3));
    }
    fuzz(4, text.as_bytes(), &tmp.path().join("table.csv"), |p| {
        load_csv(p, "label")
    });
}

#[test]
fn the_npy_parser_survives_corruption() {
    let tmp = tempfile::tempdir().unwrap();
    let x: Vec<u8> = (0..24).flat_map(|i| (i as f32).to_le_bytes()).collect();
    let y: Vec<u8> = (0..8i64).flat_map(|i| (i % 2).to_le_bytes()).collect();
    std::fs::write(
        tmp.path().join("y_train.npy"),
        common::npy("<i8", &[8], &y, false),
    )
    .unwrap();
    fuzz(
        5,
        &common::npy("<f4", &[8, 3], &x, false),
        &tmp.path().join("x_train.npy"),
        |_| load_npy_dir(tmp.path()),
    );
    std::fs::write(
        tmp.path().join("x_train.npy"),
        common::npy("<f4", &[8, 3], &x, false),
    )
    .unwrap();
    fuzz(
        6,
        &common::npy("<i8", &[8], &y, false),
        &tmp.path().join("y_train.npy"),
        |_| load_npy_dir(tmp.path()),
    );
    // An oversized shape: refused from the header, before any allocation.
    std::fs::write(
        tmp.path().join("x_train.npy"),
        common::npy("<f4", &[4_000_000_000, 4_000_000_000], &x, false),
    )
    .unwrap();
    let err = load_npy_dir(tmp.path()).err().unwrap().to_string();
    assert!(err.contains("x_train.npy"), "{err}");
}

#[test]
fn the_npz_parser_survives_corruption() {
    let tmp = tempfile::tempdir().unwrap();
    for (seed, name) in [(8, "arrays.npz"), (9, "arrays-compressed.npz")] {
        let valid = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(name),
        )
        .unwrap();
        fuzz(seed, &valid, &tmp.path().join(name), |p| {
            sieve_datasets::load_npz(p)
        });
    }
}

#[test]
fn the_image_folder_parser_survives_corruption() {
    let tmp = tempfile::tempdir().unwrap();
    for class in ["a", "b"] {
        std::fs::create_dir_all(tmp.path().join(class)).unwrap();
        image::GrayImage::from_pixel(4, 4, image::Luma([9]))
            .save(tmp.path().join(class).join("0.png"))
            .unwrap();
    }
    let valid = std::fs::read(tmp.path().join("b/0.png")).unwrap();
    fuzz(7, &valid, &tmp.path().join("b/0.png"), |_| {
        load_image_folder(tmp.path())
    });
}
