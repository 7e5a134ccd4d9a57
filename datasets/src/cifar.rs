//! The binary versions of CIFAR-10 and CIFAR-100.
//!
//! Each record is its label byte(s) then 3,072 pixel bytes: the red, green and
//! blue planes, each 32x32 row-major, which is already channel-major layout.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::DatasetError;
use crate::fileio::{bytes_to_unit, find_file, read_maybe_gz, with_gz};
use crate::set::{DataSplits, LabeledSet};
use crate::shape::ExampleShape;

/// Shape of a CIFAR image.
pub const CIFAR_SHAPE: ExampleShape = ExampleShape::new(3, 32, 32);
const PIXELS: usize = 3 * 32 * 32;

/// Which CIFAR-100 label to train on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cifar100Labels {
    /// The 100 fine classes.
    Fine,
    /// The 20 coarse superclasses.
    Coarse,
}

/// Loads CIFAR-10 from `dir` (the `cifar-10-batches-bin` folder, or the folder
/// containing it): `data_batch_1..5.bin` as train, `test_batch.bin` as test.
/// 10 classes, shape 3x32x32, pixels scaled by 1/255.
pub fn load_cifar10(dir: &Path) -> Result<DataSplits, DatasetError> {
    let dir = descend(dir, "cifar-10-batches-bin");
    let format = RecordFormat {
        name: "CIFAR-10",
        label_bytes: 1,
        label_offset: 0,
        num_classes: 10,
    };
    let mut train = Records::default();
    for i in 1..=5 {
        let path = find_file(&dir, &with_gz(&format!("data_batch_{i}.bin")))?;
        format.read_into(&path, &mut train)?;
    }
    let mut test = Records::default();
    format.read_into(&find_file(&dir, &with_gz("test_batch.bin"))?, &mut test)?;
    DataSplits::new(train.into_set(10)?, test.into_set(10)?)
}

/// Loads CIFAR-100 from `dir` (the `cifar-100-binary` folder, or the folder
/// containing it): `train.bin` and `test.bin`, with 100 fine or 20 coarse classes.
pub fn load_cifar100(dir: &Path, labels: Cifar100Labels) -> Result<DataSplits, DatasetError> {
    let dir = descend(dir, "cifar-100-binary");
    let (label_offset, num_classes) = match labels {
        Cifar100Labels::Coarse => (0, 20),
        Cifar100Labels::Fine => (1, 100),
    };
    let format = RecordFormat {
        name: "CIFAR-100",
        label_bytes: 2,
        label_offset,
        num_classes,
    };
    let mut train = Records::default();
    format.read_into(&find_file(&dir, &with_gz("train.bin"))?, &mut train)?;
    let mut test = Records::default();
    format.read_into(&find_file(&dir, &with_gz("test.bin"))?, &mut test)?;
    DataSplits::new(train.into_set(num_classes)?, test.into_set(num_classes)?)
}

/// `dir/sub` if that folder exists (the user named the archive's parent), else `dir`.
fn descend(dir: &Path, sub: &str) -> PathBuf {
    let inner = dir.join(sub);
    if inner.is_dir() {
        inner
    } else {
        dir.to_path_buf()
    }
}

/// The record layout of one CIFAR variant.
struct RecordFormat {
    name: &'static str,
    label_bytes: usize,
    /// Which of the label bytes is used.
    label_offset: usize,
    num_classes: usize,
}

/// Pixels and labels accumulated over several files.
#[derive(Default)]
struct Records {
    pixels: Vec<u8>,
    labels: Vec<u32>,
}

impl Records {
    fn into_set(self, num_classes: usize) -> Result<LabeledSet, DatasetError> {
        LabeledSet::new(
            CIFAR_SHAPE,
            num_classes,
            bytes_to_unit(&self.pixels),
            self.labels,
        )
    }
}

impl RecordFormat {
    /// Appends every record of `path`, checking the length and each label.
    fn read_into(&self, path: &Path, out: &mut Records) -> Result<(), DatasetError> {
        let bytes = read_maybe_gz(path)?;
        let record = self.label_bytes + PIXELS;
        if bytes.len() % record != 0 {
            return Err(DatasetError::format(
                path,
                format!(
                    "length {} is not a multiple of {record} bytes ({} record)",
                    bytes.len(),
                    self.name
                ),
            ));
        }
        out.pixels.reserve(bytes.len() / record * PIXELS);
        for (i, rec) in bytes.chunks_exact(record).enumerate() {
            let label = rec[self.label_offset];
            if usize::from(label) >= self.num_classes {
                return Err(DatasetError::format(
                    path,
                    format!(
                        "record {i}: label {label} is out of range, expected 0..{} ({})",
                        self.num_classes, self.name
                    ),
                ));
            }
            out.labels.push(u32::from(label));
            out.pixels.extend_from_slice(&rec[self.label_bytes..]);
        }
        Ok(())
    }
}
