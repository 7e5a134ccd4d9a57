//! Helpers shared by the integration tests: writing small files in each format.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

use std::io::Write;
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;

/// Writes `bytes` to `path`, gzip-compressed when the name ends in `.gz`.
pub fn write(path: &Path, bytes: &[u8]) {
    if path.extension().is_some_and(|e| e == "gz") {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(bytes).unwrap();
        std::fs::write(path, enc.finish().unwrap()).unwrap();
    } else {
        std::fs::write(path, bytes).unwrap();
    }
}

pub fn idx_images(n: usize, rows: usize, cols: usize, pixel: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0x0803u32.to_be_bytes());
    for d in [n, rows, cols] {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend((0..n * rows * cols).map(pixel));
    out
}

pub fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0x0801u32.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

/// `n` CIFAR records with `label_bytes` label bytes each, labels from `label(i)`.
pub fn cifar_records(n: usize, label_bytes: usize, label: impl Fn(usize) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        let l = label(i);
        assert_eq!(l.len(), label_bytes);
        out.extend_from_slice(&l);
        out.extend((0..3072).map(|p| ((p + i) % 256) as u8));
    }
    out
}

/// A version-1.0 `.npy` file as NumPy writes it (header padded to 64 bytes).
pub fn npy(descr: &str, shape: &[usize], data: &[u8], fortran: bool) -> Vec<u8> {
    let dims = match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let order = if fortran { "True" } else { "False" };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {dims}, }}");
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.div_ceil(64) * 64 - unpadded));
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}
