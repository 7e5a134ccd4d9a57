//! The NumPy `.npy` format (version 1.0), written so a PyTorch twin or a user reads
//! exactly the tensors sieve trained on: `numpy.load` needs nothing else. Files are
//! written atomically (a temporary file renamed into place), never half-written.

use std::path::Path;

use anyhow::Context;

/// Writes little-endian `f32` values of `shape` (C order).
pub fn write_f32(path: &Path, shape: &[usize], values: &[f32]) -> anyhow::Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    write(path, "<f4", shape, values.len(), &bytes)
}

/// Writes little-endian `i64` values of `shape` (C order).
pub fn write_i64(path: &Path, shape: &[usize], values: &[i64]) -> anyhow::Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    write(path, "<i8", shape, values.len(), &bytes)
}

fn write(
    path: &Path,
    descr: &str,
    shape: &[usize],
    count: usize,
    data: &[u8],
) -> anyhow::Result<()> {
    anyhow::ensure!(
        shape.iter().product::<usize>() == count,
        "npy {}: shape {shape:?} does not hold {count} values",
        path.display()
    );
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
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}");
    // Magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.div_ceil(64) * 64 - unpadded));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + data.len());
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    sieve_results::write_atomic(path, &bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_data_follows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        write_f32(&path, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
        assert!(header.ends_with('\n'));
        assert_eq!(bytes.len(), 10 + header_len + 24);
        assert_eq!(
            &bytes[10 + header_len..10 + header_len + 4],
            &1.0f32.to_le_bytes()
        );
        write_i64(&path, &[3], &[1, 2, 3]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (3,)"), "{header}");
        assert!(write_i64(&path, &[2], &[1, 2, 3]).is_err());
    }
}
