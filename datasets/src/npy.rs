//! Users' own arrays in NumPy's `.npy` format: a folder with `x_train.npy` and
//! `y_train.npy`, and optionally `x_test.npy` and `y_test.npy` (without them the test
//! split is drawn with `test_fraction`).
//!
//! Features: `float32`, `float64` or `uint8` (scaled by 1/255, as IDX pixels), shaped
//! `(N, D)` (vectors), `(N, H, W)` (grey images) or `(N, C, H, W)` (channels first, C
//! at most 4). Labels: a 1-D integer array (`int8/16/32/64`, `uint8/16/32`) of
//! non-negative class ids; the classes are 0..max+1 over train and test. C order only
//! (`fortran_order` True is refused). The header is checked against the file's length
//! before anything is allocated; every error names the file.

use std::path::{Path, PathBuf};

use crate::error::DatasetError;
use crate::set::LabeledSet;
use crate::shape::ExampleShape;

/// Longest header accepted (NumPy writes a few hundred bytes).
const MAX_HEADER: usize = 1 << 16;

/// A parsed `.npy` file: element type, shape, and the raw little-endian data.
struct NpyArray {
    descr: String,
    shape: Vec<usize>,
    data: Vec<u8>,
}

fn format_error(path: &Path, message: impl Into<String>) -> DatasetError {
    DatasetError::Format {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// The value of `key` in the header dict (`'key': value`), up to the next top-level
/// comma or the closing brace.
fn header_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let start = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[start..].trim_start().strip_prefix(':')?.trim_start();
    if let Some(inner) = rest.strip_prefix('(') {
        return inner.find(')').map(|end| &inner[..end]);
    }
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(rest[..end].trim())
}

fn element_size(descr: &str) -> Option<usize> {
    match descr {
        "<f4" | "<i4" | "<u4" => Some(4),
        "<f8" | "<i8" => Some(8),
        "<i2" | "<u2" => Some(2),
        "|u1" | "|i1" | "<u1" | "<i1" => Some(1),
        _ => None,
    }
}

fn read_npy(path: &Path) -> Result<NpyArray, DatasetError> {
    let bytes = std::fs::read(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_npy(path, &bytes)
}

/// Parses `.npy` bytes; `path` names them in errors (for an `.npz` member,
/// `archive.npz/member.npy`).
fn parse_npy(path: &Path, bytes: &[u8]) -> Result<NpyArray, DatasetError> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format_error(
            path,
            "not a .npy file (magic \\x93NUMPY missing)",
        ));
    }
    let (header_len, offset) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format_error(path, format!("unsupported .npy version {v}"))),
    };
    if header_len > MAX_HEADER || offset + header_len > bytes.len() {
        return Err(format_error(
            path,
            format!(
                "header of {header_len} bytes does not fit the file ({} bytes)",
                bytes.len()
            ),
        ));
    }
    let header = std::str::from_utf8(&bytes[offset..offset + header_len])
        .map_err(|_| format_error(path, "the header is not text"))?;
    let descr = header_value(header, "descr")
        .map(|d| d.trim_matches('\'').to_string())
        .ok_or_else(|| format_error(path, "the header has no 'descr'"))?;
    if header_value(header, "fortran_order") != Some("False") {
        return Err(format_error(
            path,
            "only C-order arrays are read (fortran_order must be False; save with np.ascontiguousarray)",
        ));
    }
    let shape_text = header_value(header, "shape")
        .ok_or_else(|| format_error(path, "the header has no 'shape'"))?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<Result<Vec<usize>, _>>()
        .map_err(|_| format_error(path, format!("unreadable shape ({shape_text})")))?;
    let size = element_size(&descr).ok_or_else(|| {
        format_error(
            path,
            format!("element type '{descr}' is not supported (float32/64, uint8/16/32, int8..64, little-endian)"),
        )
    })?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .and_then(|c| c.checked_mul(size))
        .ok_or_else(|| format_error(path, format!("shape {shape:?} overflows")))?;
    let data = &bytes[offset + header_len..];
    if data.len() != count {
        return Err(format_error(
            path,
            format!(
                "shape {shape:?} of '{descr}' needs {count} bytes of data, the file holds {}",
                data.len()
            ),
        ));
    }
    Ok(NpyArray {
        descr,
        shape,
        data: data.to_vec(),
    })
}

fn features_of(path: &Path, a: &NpyArray) -> Result<(ExampleShape, Vec<f32>), DatasetError> {
    let shape = match a.shape.as_slice() {
        [_, d] => ExampleShape::flat(*d),
        [_, h, w] => ExampleShape::new(1, *h, *w),
        [_, c, h, w] if *c <= 4 => ExampleShape::new(*c, *h, *w),
        other => {
            return Err(format_error(
                path,
                format!("features must be (N, D), (N, H, W) or (N, C, H, W) with C <= 4, found {other:?} (channels-last images: transpose to (N, C, H, W))"),
            ))
        }
    };
    let values: Vec<f32> = match a.descr.as_str() {
        "<f4" => a
            .data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        "<f8" => a
            .data
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as f32)
            .collect(),
        "|u1" | "<u1" => a.data.iter().map(|&v| f32::from(v) / 255.0).collect(),
        other => {
            return Err(format_error(
                path,
                format!("features must be float32, float64 or uint8, found '{other}'"),
            ))
        }
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format_error(path, format!("value {i} is not finite")));
    }
    Ok((shape, values))
}

fn labels_of(path: &Path, a: &NpyArray) -> Result<Vec<u32>, DatasetError> {
    if a.shape.len() != 1 {
        return Err(format_error(
            path,
            format!("labels must be a 1-D array, found shape {:?}", a.shape),
        ));
    }
    let size = element_size(&a.descr).unwrap_or(1);
    let signed = a.descr.contains('i');
    let mut out = Vec::with_capacity(a.data.len() / size);
    for (i, b) in a.data.chunks_exact(size).enumerate() {
        let value: i64 = match (a.descr.as_str(), size) {
            (d, _) if d.contains('f') => {
                return Err(format_error(
                    path,
                    format!("labels must be integers, found '{d}'"),
                ))
            }
            (_, 1) if signed => i64::from(b[0] as i8),
            (_, 1) => i64::from(b[0]),
            (_, 2) if signed => i64::from(i16::from_le_bytes([b[0], b[1]])),
            (_, 2) => i64::from(u16::from_le_bytes([b[0], b[1]])),
            (_, 4) if signed => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            (_, 4) => i64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            _ => i64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
        };
        let label = u32::try_from(value)
            .ok()
            .filter(|&l| l < 1 << 20)
            .ok_or_else(|| {
                format_error(
                    path,
                    format!("label {i} is {value}: expected a class id in 0..2^20"),
                )
            })?;
        out.push(label);
    }
    Ok(out)
}

/// One split: features and labels, with matching counts.
fn split_of(
    x: &(PathBuf, NpyArray),
    y: &(PathBuf, NpyArray),
) -> Result<(ExampleShape, Vec<f32>, Vec<u32>), DatasetError> {
    let (shape, features) = features_of(&x.0, &x.1)?;
    let labels = labels_of(&y.0, &y.1)?;
    if labels.len() != x.1.shape[0] {
        return Err(DatasetError::Invalid(format!(
            "{} holds {} examples but {} holds {} labels",
            x.0.display(),
            x.1.shape[0],
            y.0.display(),
            labels.len()
        )));
    }
    Ok((shape, features, labels))
}

/// A named member (`x_train.npy`, ...) of a folder or archive: where it was read from
/// (for errors) and the parsed array, or `None` when absent.
type Member = Option<(PathBuf, NpyArray)>;

/// The training set and the optional test set from the four members, read by `get`.
fn assemble(
    location: &Path,
    get: &mut dyn FnMut(&str) -> Result<Member, DatasetError>,
) -> Result<(LabeledSet, Option<LabeledSet>), DatasetError> {
    let required = |name: &str, member: Member| {
        member.ok_or_else(|| DatasetError::MissingFile {
            expected: vec![location.join(name)],
        })
    };
    let x_train = required("x_train.npy", get("x_train.npy")?)?;
    let y_train = required("y_train.npy", get("y_train.npy")?)?;
    let (shape, train_x, train_y) = split_of(&x_train, &y_train)?;
    let test = match (get("x_test.npy")?, get("y_test.npy")?) {
        (None, None) => None,
        (x, y) => {
            let x = required("x_test.npy", x)?;
            let y = required("y_test.npy", y)?;
            Some(split_of(&x, &y)?)
        }
    };
    if let Some((test_shape, _, _)) = &test {
        if *test_shape != shape {
            return Err(DatasetError::Invalid(format!(
                "{}: test examples are {test_shape}, training examples {shape}",
                location.display()
            )));
        }
    }
    let classes = train_y
        .iter()
        .chain(test.iter().flat_map(|t| t.2.iter()))
        .max()
        .map_or(0, |&m| m as usize + 1);
    let train = LabeledSet::new(shape, classes, train_x, train_y)?;
    let test = test
        .map(|(shape, x, y)| LabeledSet::new(shape, classes, x, y))
        .transpose()?;
    Ok((train, test))
}

/// Reads `x_train.npy`/`y_train.npy` (and the test pair when present) from `dir`. With
/// no test pair, returns the training set alone for the caller to split.
pub fn load_npy_dir(dir: &Path) -> Result<(LabeledSet, Option<LabeledSet>), DatasetError> {
    assemble(dir, &mut |name| {
        let path = dir.join(name);
        if path.is_file() {
            Ok(Some((path.clone(), read_npy(&path)?)))
        } else {
            Ok(None)
        }
    })
}

/// As [`load_npy_dir`], from the members of an `.npz` archive (`np.savez` or
/// `np.savez_compressed` with the keys `x_train`, `y_train`, `x_test`, `y_test`).
pub fn load_npz(path: &Path) -> Result<(LabeledSet, Option<LabeledSet>), DatasetError> {
    let archive = crate::zip::ZipArchive::open(path)?;
    assemble(path, &mut |name| {
        archive
            .member(name)?
            .map(|bytes| {
                let member = path.join(name);
                parse_npy(&member, &bytes).map(|a| (member, a))
            })
            .transpose()
    })
}
