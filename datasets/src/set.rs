//! A labeled split held in memory as one compact array, and a train/test pair.

use crate::error::DatasetError;
use crate::shape::ExampleShape;

/// One split held in memory as one compact array (row-major `N x shape.len()`) plus labels.
///
/// One contiguous `Vec<f32>` rather than a `Vec` per example keeps a 60k-image
/// pool in a single allocation and lets batches be gathered with plain copies.
#[derive(Clone, Debug)]
pub struct LabeledSet {
    /// Shape of every example.
    pub shape: ExampleShape,
    /// Number of classes; every label is `< num_classes`.
    pub num_classes: usize,
    /// `len() * shape.len()` values, example after example.
    pub features: Vec<f32>,
    /// One label per example.
    pub labels: Vec<u32>,
    /// Per channel, the value of a raw 0 pixel in `features` (0 until normalised): what
    /// crop padding fills with, so padding looks like the image background.
    pub pad_value: Vec<f32>,
}

impl LabeledSet {
    /// Builds a set, checking that the lengths agree and every label is in range.
    pub fn new(
        shape: ExampleShape,
        num_classes: usize,
        features: Vec<f32>,
        labels: Vec<u32>,
    ) -> Result<Self, DatasetError> {
        let row = shape.len();
        if row == 0 {
            return Err(DatasetError::Invalid(format!(
                "example shape {shape} has no values"
            )));
        }
        if num_classes == 0 {
            return Err(DatasetError::Invalid(
                "a labeled set needs at least one class".into(),
            ));
        }
        if labels.len().checked_mul(row) != Some(features.len()) {
            return Err(DatasetError::Invalid(format!(
                "features hold {} values, expected {} examples x {row} values ({shape})",
                features.len(),
                labels.len()
            )));
        }
        if let Some((i, &label)) = labels
            .iter()
            .enumerate()
            .find(|(_, &l)| l as usize >= num_classes)
        {
            return Err(DatasetError::Invalid(format!(
                "label {label} of example {i} is out of range for {num_classes} classes"
            )));
        }
        Ok(Self {
            shape,
            num_classes,
            features,
            labels,
            pad_value: vec![0.0; shape.channels],
        })
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The values of example `i`.
    ///
    /// # Panics
    /// If `i >= self.len()` (like slice indexing).
    pub fn example(&self, i: usize) -> &[f32] {
        let row = self.shape.len();
        &self.features[i * row..(i + 1) * row]
    }

    /// Copies the rows `indices` into `out` (cleared first, reused: no per-item allocation)
    /// and their labels into `labels_out` (also cleared first).
    ///
    /// # Panics
    /// If an index is out of range (like slice indexing).
    pub fn gather(&self, indices: &[usize], out: &mut Vec<f32>, labels_out: &mut Vec<u32>) {
        out.clear();
        labels_out.clear();
        out.reserve(indices.len() * self.shape.len());
        labels_out.reserve(indices.len());
        for &i in indices {
            out.extend_from_slice(self.example(i));
            labels_out.push(self.labels[i]);
        }
    }

    /// A new set holding the rows `indices`, in that order.
    ///
    /// # Panics
    /// If an index is out of range (like slice indexing).
    pub fn subset(&self, indices: &[usize]) -> LabeledSet {
        let mut features = Vec::new();
        let mut labels = Vec::new();
        self.gather(indices, &mut features, &mut labels);
        LabeledSet {
            shape: self.shape,
            num_classes: self.num_classes,
            features,
            labels,
            pad_value: self.pad_value.clone(),
        }
    }

    /// Number of examples of each class (`num_classes` entries).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(l as usize) {
                *c += 1;
            }
        }
        counts
    }

    /// Indices of the examples of each class, in data order.
    pub fn indices_by_class(&self) -> Vec<Vec<usize>> {
        let mut by_class = vec![Vec::new(); self.num_classes];
        for (i, &l) in self.labels.iter().enumerate() {
            if let Some(v) = by_class.get_mut(l as usize) {
                v.push(i);
            }
        }
        by_class
    }
}

/// A train split (the pool) and a held-out test split.
#[derive(Clone, Debug)]
pub struct DataSplits {
    /// The pool selection methods draw from.
    pub train: LabeledSet,
    /// Held out; only ever evaluated on.
    pub test: LabeledSet,
}

impl DataSplits {
    /// Pairs a train and a test split, checking they agree on shape and classes.
    pub fn new(train: LabeledSet, test: LabeledSet) -> Result<Self, DatasetError> {
        if train.shape != test.shape || train.num_classes != test.num_classes {
            return Err(DatasetError::Invalid(format!(
                "train ({}, {} classes) and test ({}, {} classes) disagree",
                train.shape, train.num_classes, test.shape, test.num_classes
            )));
        }
        Ok(Self { train, test })
    }

    /// Shape of every example.
    pub fn shape(&self) -> ExampleShape {
        self.train.shape
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.train.num_classes
    }
}
