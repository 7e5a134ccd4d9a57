//! Data sets for sieve, held in memory as compact arrays.
//!
//! Every loader returns a [`LabeledSet`] (one `Vec<f32>` of examples, row-major,
//! plus labels) or a train/test [`DataSplits`]. Sources:
//!
//! - the built-in `digits` (1,797 8x8 images, embedded, no download),
//! - MNIST-style IDX directories (MNIST, Fashion-MNIST, KMNIST), raw or gzipped,
//! - the CIFAR-10 / CIFAR-100 binary versions,
//! - users' own data: CSV feature tables, NumPy `.npy` arrays, image class folders,
//! - a seeded synthetic generator of separable classes.
//!
//! Around them: seeded stratified splitting and subsampling, per-channel
//! normalization fitted on train, batch augmentation, and [`DatasetSpec`], the
//! config entry that ties it together. All randomness is ChaCha8 seeded from a
//! `u64` with draws implemented in this crate, so a seed means the same data on
//! every platform. This crate does not depend on burn: it deals in plain slices.

mod augment;
mod cifar;
mod csv;
mod digits;
pub mod dsa;
mod error;
mod fileio;
mod idx;
mod image_folder;
mod known;
mod normalize;
mod npy;
mod rng;
mod scenario;
mod set;
mod shape;
mod spec;
mod split;
mod synthetic;
mod zip;

pub use augment::{cutout_at, flip_horizontal, shift, Augmentation};
pub use cifar::{load_cifar10, load_cifar100, Cifar100Labels, CIFAR_SHAPE};
pub use csv::{load_csv, DEFAULT_LABEL_COLUMN};
pub use digits::{load_digits, parse_digits_csv, DIGITS_CLASSES, DIGITS_SHAPE};
pub use dsa::{DsaStrategy, DsaTransform, PixelMap};
pub use error::DatasetError;
pub use idx::{load_idx_dir, read_idx_images, read_idx_labels, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC};
pub use image_folder::load_image_folder;
pub use known::{
    default_data_dir, known_dataset, known_names, KnownDataset, KnownFile, DATA_DIR_ENV,
    KNOWN_DATASETS,
};
pub use normalize::ChannelStats;
pub use npy::{load_npy_dir, load_npz};
pub use scenario::{
    imbalance_count, ood_count, ScenarioData, ScenarioKind, ScenarioSpec, SCENARIO_KINDS,
};
pub use set::{DataSplits, LabeledSet};
pub use shape::ExampleShape;
pub use spec::{DatasetSource, DatasetSpec, DATASET_SOURCES, DEFAULT_TEST_FRACTION};
pub use split::{stratified_split, stratified_subsample, stratified_subsample_indices};
pub use synthetic::{generate_synthetic, SyntheticConfig};
