//! How a config names a data set, and loading it reproducibly.

use crate::known::{default_data_dir, known_dataset, known_names, KnownDataset};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cifar::{load_cifar10, load_cifar100, Cifar100Labels};
use crate::csv::{load_csv, DEFAULT_LABEL_COLUMN};
use crate::digits::load_digits;
use crate::error::DatasetError;
use crate::idx::load_idx_dir;
use crate::image_folder::load_image_folder;
use crate::npy::{load_npy_dir, load_npz};
use crate::rng::derive_stream;
use crate::set::{DataSplits, LabeledSet};
use crate::split::{stratified_split, stratified_subsample};
use crate::synthetic::{generate_synthetic, SyntheticConfig};

/// Test fraction used for sources without their own test split.
pub const DEFAULT_TEST_FRACTION: f64 = 0.3;

/// Sub-stream ids, so each random step of a load draws independent numbers.
const STREAM_SYNTHETIC: u64 = 1;
const STREAM_SPLIT: u64 = 2;
const STREAM_POOL: u64 = 3;
const STREAM_TEST: u64 = 4;

/// Where the examples come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetSource {
    /// The built-in 8x8 digits.
    Digits,
    /// A directory of MNIST-style IDX files.
    Idx,
    /// The CIFAR-10 binary version.
    Cifar10,
    /// The CIFAR-100 binary version.
    Cifar100,
    /// Generated Gaussian classes.
    Synthetic,
    /// A CSV feature table with a header row and a label column.
    Csv,
    /// NumPy arrays: `x_train.npy`, `y_train.npy` (and optionally the test pair) in a
    /// folder, or the same keys in an `.npz` archive.
    Npy,
    /// PNG/JPEG images in one folder per class (optionally under `train/` and `test/`).
    #[serde(rename = "image_folder")]
    ImageFolder,
}

/// The config spellings of [`DatasetSource`], for help texts and listings.
pub const DATASET_SOURCES: &[&str] = &[
    "digits",
    "idx",
    "cifar10",
    "cifar100",
    "synthetic",
    "csv",
    "npy",
    "image_folder",
];

impl DatasetSource {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetSource::Digits => "digits",
            DatasetSource::Idx => "idx",
            DatasetSource::Cifar10 => "cifar10",
            DatasetSource::Cifar100 => "cifar100",
            DatasetSource::Synthetic => "synthetic",
            DatasetSource::Csv => "csv",
            DatasetSource::Npy => "npy",
            DatasetSource::ImageFolder => "image_folder",
        }
    }

    /// Whether the source reads files from `path`.
    fn needs_path(self) -> bool {
        matches!(
            self,
            DatasetSource::Idx
                | DatasetSource::Cifar10
                | DatasetSource::Cifar100
                | DatasetSource::Csv
                | DatasetSource::Npy
                | DatasetSource::ImageFolder
        )
    }

    /// Whether the source ships its own test split (so `test_fraction` is meaningless).
    fn has_test_split(self) -> bool {
        matches!(
            self,
            DatasetSource::Idx | DatasetSource::Cifar10 | DatasetSource::Cifar100
        )
    }
}

impl std::fmt::Display for DatasetSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a config names a data set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// The label in records, e.g. `"digits"`, `"fashion-mnist"`.
    pub name: String,
    /// Where the data comes from; inferred for the names `digits` and `synthetic`.
    #[serde(default)]
    pub source: Option<DatasetSource>,
    /// The directory to read; required for `idx`, `cifar10` and `cifar100`.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Fraction held out as test, for sources without a test split (default 0.3).
    #[serde(default)]
    pub test_fraction: Option<f64>,
    /// Optional seeded stratified subsample of the train split (the pool).
    #[serde(default)]
    pub pool_size: Option<usize>,
    /// Optional seeded stratified subsample of the test split.
    #[serde(default)]
    pub test_size: Option<usize>,
    /// Fine (100) or coarse (20) labels; only for `cifar100` (default fine).
    #[serde(default)]
    pub cifar100_labels: Option<Cifar100Labels>,
    /// Generator parameters; only for `synthetic` (default [`SyntheticConfig::default`]).
    #[serde(default)]
    pub synthetic: Option<SyntheticConfig>,
    /// The label column of a `csv` table (default `label`).
    #[serde(default)]
    pub label_column: Option<String>,
}

impl DatasetSpec {
    /// A spec with only a name (and every other field defaulted).
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: None,
            path: None,
            test_fraction: None,
            pool_size: None,
            test_size: None,
            cifar100_labels: None,
            synthetic: None,
            label_column: None,
        }
    }

    /// The fetchable data set this spec reads from the fetch folder: its name is one
    /// `sieve data fetch` knows and its source (given or inferred) is that one's.
    pub fn fetched(&self) -> Option<&'static KnownDataset> {
        let known = known_dataset(&self.name)?;
        match self.source {
            None => Some(known),
            Some(s) if s == known.source => Some(known),
            Some(_) => None,
        }
    }

    /// Checks fields without touching files: the source is known or inferable,
    /// `path` is present exactly where needed, fractions are in (0, 1), sizes
    /// are > 0, and source-specific fields only appear with their source.
    pub fn validate(&self) -> Result<DatasetSource, DatasetError> {
        let err = |message: String| DatasetError::Spec {
            name: self.name.clone(),
            message,
        };
        if self.name.trim().is_empty() {
            return Err(err("field `name` must not be empty".into()));
        }
        let source = match (self.source, self.name.as_str()) {
            (Some(s), _) => s,
            (None, "digits") => DatasetSource::Digits,
            (None, "synthetic") => DatasetSource::Synthetic,
            (None, name) if known_dataset(name).is_some() => {
                known_dataset(name).map_or(DatasetSource::Idx, |k| k.source)
            }
            (None, _) => {
                return Err(err(format!(
                    "field `source` is required (one of {}); it is only inferred for the names `digits`, `synthetic` and the fetchable {}",
                    DATASET_SOURCES.join(", "),
                    known_names().join(", ")
                )))
            }
        };
        match (&self.path, source.needs_path()) {
            // A fetchable data set without a path is read from the fetch folder.
            (None, true) if self.fetched().is_some() => {}
            (None, true) => {
                return Err(err(format!(
                    "field `path` is required for source `{source}`"
                )))
            }
            (Some(_), false) => {
                return Err(err(format!(
                    "field `path` is not used by source `{source}`"
                )))
            }
            _ => {}
        }
        if let Some(f) = self.test_fraction {
            if source.has_test_split() {
                return Err(err(format!(
                    "field `test_fraction` is not used by source `{source}`, which has its own test split (use `test_size` to shrink it)"
                )));
            }
            if !(f > 0.0 && f < 1.0) {
                return Err(err(format!(
                    "field `test_fraction` must be in (0, 1), found {f}"
                )));
            }
        }
        for (field, value) in [("pool_size", self.pool_size), ("test_size", self.test_size)] {
            if value == Some(0) {
                return Err(err(format!("field `{field}` must be > 0")));
            }
        }
        if self.label_column.is_some() && source != DatasetSource::Csv {
            return Err(err(format!(
                "field `label_column` is not used by source `{source}`"
            )));
        }
        if self
            .label_column
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return Err(err("field `label_column` must not be empty".into()));
        }
        if self.cifar100_labels.is_some() && source != DatasetSource::Cifar100 {
            return Err(err(format!(
                "field `cifar100_labels` is not used by source `{source}`"
            )));
        }
        match (&self.synthetic, source) {
            (Some(_), s) if s != DatasetSource::Synthetic => {
                return Err(err(format!(
                    "field `synthetic` is not used by source `{s}`"
                )))
            }
            (Some(config), _) => config
                .validate()
                .map_err(|e| err(format!("field `synthetic`: {e}")))?,
            (None, _) => {}
        }
        Ok(source)
    }

    /// Loads, splits (seeded), subsamples (seeded), then normalizes per channel
    /// (fit on train). Deterministic in `seed`; each step draws from its own
    /// stream derived from `seed`.
    pub fn load(&self, seed: u64) -> Result<DataSplits, DatasetError> {
        let source = self.validate()?;
        let test_fraction = self.test_fraction.unwrap_or(DEFAULT_TEST_FRACTION);
        let split = |set: LabeledSet| {
            stratified_split(&set, test_fraction, derive_stream(seed, STREAM_SPLIT))
        };
        let path = || {
            self.path
                .clone()
                .or_else(|| self.fetched().map(|k| default_data_dir().join(k.name)))
                .unwrap_or_default()
        };
        if self.path.is_none() {
            if let Some(known) = self.fetched() {
                let dir = default_data_dir().join(known.name);
                let present = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some());
                if !present {
                    return Err(DatasetError::Spec {
                        name: self.name.clone(),
                        message: format!(
                            "no `path` given and {} does not hold it yet: run `sieve data fetch {}` (or set `path` to your copy)",
                            dir.display(),
                            known.name
                        ),
                    });
                }
            }
        }
        let mut splits = match source {
            DatasetSource::Digits => split(load_digits()?)?,
            DatasetSource::Synthetic => {
                let config = self.synthetic.clone().unwrap_or_default();
                split(generate_synthetic(
                    &config,
                    derive_stream(seed, STREAM_SYNTHETIC),
                )?)?
            }
            DatasetSource::Idx => load_idx_dir(&path())?,
            DatasetSource::Npy => match if path().is_file() {
                load_npz(&path())?
            } else {
                load_npy_dir(&path())?
            } {
                (train, Some(test)) => {
                    if self.test_fraction.is_some() {
                        return Err(DatasetError::Spec {
                            name: self.name.clone(),
                            message: "field `test_fraction` is not used: the folder has its own x_test.npy / y_test.npy".into(),
                        });
                    }
                    DataSplits::new(train, test)?
                }
                (train, None) => split(train)?,
            },
            DatasetSource::ImageFolder => match load_image_folder(&path())? {
                (train, Some(test)) => {
                    if self.test_fraction.is_some() {
                        return Err(DatasetError::Spec {
                            name: self.name.clone(),
                            message: "field `test_fraction` is not used: the folder has its own train/ and test/".into(),
                        });
                    }
                    DataSplits::new(train, test)?
                }
                (train, None) => split(train)?,
            },
            DatasetSource::Csv => split(load_csv(
                &path(),
                self.label_column.as_deref().unwrap_or(DEFAULT_LABEL_COLUMN),
            )?)?,
            DatasetSource::Cifar10 => load_cifar10(&path())?,
            DatasetSource::Cifar100 => load_cifar100(
                &path(),
                self.cifar100_labels.unwrap_or(Cifar100Labels::Fine),
            )?,
        };
        let shrink = |set: LabeledSet, size: Option<usize>, field: &str, stream: u64| match size {
            None => Ok(set),
            Some(size) if size > set.len() => Err(DatasetError::Spec {
                name: self.name.clone(),
                message: format!(
                    "field `{field}` is {size} but the split has only {} examples",
                    set.len()
                ),
            }),
            Some(size) => stratified_subsample(&set, size, derive_stream(seed, stream)),
        };
        splits.train = shrink(splits.train, self.pool_size, "pool_size", STREAM_POOL)?;
        splits.test = shrink(splits.test, self.test_size, "test_size", STREAM_TEST)?;
        splits.normalize();
        Ok(splits)
    }
}
