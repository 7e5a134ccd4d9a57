//! The IDX layout of MNIST, Fashion-MNIST and KMNIST.
//!
//! A directory holds `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
//! `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each raw or gzipped
//! (`.gz`), also accepted with a dot before `idx` (`train-images.idx3-ubyte`).
//! Every header field is checked against the file length, since truncated
//! downloads are the common failure.

use std::path::{Path, PathBuf};

use crate::error::DatasetError;
use crate::fileio::{bytes_to_unit, find_file, read_maybe_gz, with_gz};
use crate::set::{DataSplits, LabeledSet};
use crate::shape::ExampleShape;

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;
/// MNIST-like sets have ten classes even if a small file lacks the last ones.
const MIN_CLASSES: usize = 10;

/// Loads the train and test (`t10k`) splits from `dir`: pixels scaled by 1/255
/// into [0, 1], shape 1xHxW, `num_classes = max(10, largest train label + 1)`.
/// A test label outside the train classes is an error.
pub fn load_idx_dir(dir: &Path) -> Result<DataSplits, DatasetError> {
    let (train_images, train_labels) = load_pair(dir, "train")?;
    let (test_images, test_labels) = load_pair(dir, "t10k")?;
    let (train_shape, _, train_pixels) = train_images.1;
    let (test_shape, _, test_pixels) = test_images.1;
    if train_shape != test_shape {
        return Err(DatasetError::format(
            &test_images.0,
            format!("image shape {test_shape} differs from the train images' {train_shape}"),
        ));
    }
    let num_classes = train_labels
        .1
        .iter()
        .map(|&l| usize::from(l) + 1)
        .max()
        .unwrap_or(0)
        .max(MIN_CLASSES);
    if let Some((i, &l)) = test_labels
        .1
        .iter()
        .enumerate()
        .find(|(_, &l)| usize::from(l) >= num_classes)
    {
        return Err(DatasetError::format(
            &test_labels.0,
            format!("label {l} of item {i} is out of range: the train labels have {num_classes} classes"),
        ));
    }
    let to_set = |pixels: Vec<u8>, labels: Vec<u8>| {
        LabeledSet::new(
            train_shape,
            num_classes,
            bytes_to_unit(&pixels),
            labels.into_iter().map(u32::from).collect(),
        )
    };
    DataSplits::new(
        to_set(train_pixels, train_labels.1)?,
        to_set(test_pixels, test_labels.1)?,
    )
}

type Images = (PathBuf, (ExampleShape, usize, Vec<u8>));
type Labels = (PathBuf, Vec<u8>);

/// Reads `<prefix>-images` and `<prefix>-labels` and checks their counts agree.
fn load_pair(dir: &Path, prefix: &str) -> Result<(Images, Labels), DatasetError> {
    let images_path = find_file(dir, &names(&format!("{prefix}-images"), "idx3-ubyte"))?;
    let labels_path = find_file(dir, &names(&format!("{prefix}-labels"), "idx1-ubyte"))?;
    let images = read_idx_images(&images_path)?;
    let labels = read_idx_labels(&labels_path)?;
    if images.1 != labels.len() {
        return Err(DatasetError::format(
            &images_path,
            format!(
                "holds {} images but {} holds {} labels",
                images.1,
                labels_path.display(),
                labels.len()
            ),
        ));
    }
    Ok(((images_path, images), (labels_path, labels)))
}

/// Accepted file names: `stem-kind`, `stem.kind`, each raw or `.gz`.
fn names(stem: &str, kind: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(4);
    out.extend(with_gz(&format!("{stem}-{kind}")));
    out.extend(with_gz(&format!("{stem}.{kind}")));
    out
}

/// Reads an IDX image file (raw or gzip): returns the shape `1 x rows x cols`,
/// the number of images, and the pixels, image after image.
pub fn read_idx_images(path: &Path) -> Result<(ExampleShape, usize, Vec<u8>), DatasetError> {
    let mut bytes = read_maybe_gz(path)?;
    let dims = parse_header(path, &bytes, IDX_IMAGES_MAGIC, "IDX images")?;
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows == 0 || cols == 0 {
        return Err(DatasetError::format(
            path,
            format!("image size {rows}x{cols} has no pixels"),
        ));
    }
    bytes.drain(..header_len(IDX_IMAGES_MAGIC));
    Ok((ExampleShape::new(1, rows, cols), n, bytes))
}

/// Reads an IDX label file (raw or gzip): one byte per item.
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>, DatasetError> {
    let mut bytes = read_maybe_gz(path)?;
    parse_header(path, &bytes, IDX_LABELS_MAGIC, "IDX labels")?;
    bytes.drain(..header_len(IDX_LABELS_MAGIC));
    Ok(bytes)
}

/// Header length for a magic number: the magic, then one 4-byte size per dimension
/// (the low byte of the magic counts the dimensions).
fn header_len(magic: u32) -> usize {
    4 + 4 * (magic & 0xff) as usize
}

/// Checks the magic number and that the file length equals the header's
/// declared size; returns the dimensions.
fn parse_header(
    path: &Path,
    bytes: &[u8],
    magic: u32,
    what: &str,
) -> Result<Vec<usize>, DatasetError> {
    let ndims = (magic & 0xff) as usize;
    let header_len = header_len(magic);
    let word = |i: usize| {
        bytes
            .get(i * 4..i * 4 + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
    };
    let found = word(0).ok_or_else(|| {
        DatasetError::format(
            path,
            format!("length {} is too short for an IDX header", bytes.len()),
        )
    })?;
    if found != magic {
        return Err(DatasetError::format(
            path,
            format!("bad magic number 0x{found:08x}, expected 0x{magic:08x} ({what})"),
        ));
    }
    if bytes.len() < header_len {
        return Err(DatasetError::format(
            path,
            format!(
                "length {} is shorter than the {header_len}-byte {what} header",
                bytes.len()
            ),
        ));
    }
    let dims: Vec<usize> = (1..=ndims).filter_map(word).map(|d| d as usize).collect();
    let payload = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|p| p.checked_add(header_len));
    let dims_text = dims
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x");
    if payload != Some(bytes.len()) {
        let declared = payload.map_or_else(|| "an impossibly large".to_string(), |p| p.to_string());
        return Err(DatasetError::format(
            path,
            format!(
                "length {} does not match the header, which declares {dims_text} ({declared} bytes with header){}",
                bytes.len(),
                if payload.is_some_and(|p| bytes.len() < p) { ": truncated?" } else { "" }
            ),
        ));
    }
    Ok(dims)
}
