//! Realistic pools: scenario transforms applied to the training split (the pool) after
//! loading, usable by every experiment kind and named in the `scenario` record column.
//! The test split is never altered, except that an OOD scenario evaluates on the target
//! classes only (the held-out classes are not part of the task).

use serde::{Deserialize, Serialize};

use crate::rng::{below, normal, seeded, shuffle};
use crate::{DataSplits, DatasetError, LabeledSet};

/// What a scenario does to the pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScenarioKind {
    /// The pool as loaded. (`{}` rather than a unit variant, so extra keys are refused.)
    None {},
    /// Long-tail class imbalance: class `c` keeps `floor(n_max * ratio^(-c / (C - 1)))`
    /// examples, with `n_max` the smallest class count, so class 0 is the head and the
    /// last class has `ratio` times fewer examples.
    Imbalance { ratio: f64 },
    /// Each pool example appears `copies` times; copies after the first get Gaussian
    /// noise of standard deviation `noise` (0 = exact duplicates).
    Redundancy {
        copies: usize,
        #[serde(default)]
        noise: f32,
    },
    /// Out-of-distribution contamination: the last `held_out_classes` classes leave the
    /// task; `share` of the pool is drawn from them. Querying one costs budget and adds
    /// no label to the training set.
    Ood { share: f64, held_out_classes: usize },
    /// `share` of the pool labels flipped to another class, uniformly.
    LabelNoise { share: f64 },
}

/// A named scenario as a config writes it. (Unknown fields are caught by `ScenarioKind`,
/// which sees every field but `name`.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSpec {
    pub name: String,
    #[serde(flatten)]
    pub kind: ScenarioKind,
}

/// Most values a transformed pool may hold (4 GiB of `f32`).
const MAX_POOL_VALUES: usize = 1 << 30;

/// The scenario names a config may use as `kind`.
pub const SCENARIO_KINDS: &[&str] = &["none", "imbalance", "redundancy", "ood", "label_noise"];

impl ScenarioSpec {
    /// The pool as loaded.
    pub fn none() -> Self {
        Self {
            name: "none".into(),
            kind: ScenarioKind::None {},
        }
    }

    /// Checks the parameters; errors name the scenario and field.
    pub fn validate(&self, num_classes: Option<usize>) -> Result<(), DatasetError> {
        let bad =
            |message: String| DatasetError::Invalid(format!("scenario `{}`: {message}", self.name));
        match &self.kind {
            ScenarioKind::None {} => {}
            ScenarioKind::Imbalance { ratio } => {
                if !(ratio.is_finite() && *ratio >= 1.0) {
                    return Err(bad(format!("field `ratio` must be >= 1, got {ratio}")));
                }
            }
            ScenarioKind::Redundancy { copies, noise } => {
                if *copies < 2 || *copies > 10_000 {
                    return Err(bad(format!(
                        "field `copies` must be from 2 to 10000, got {copies}"
                    )));
                }
                if !(noise.is_finite() && *noise >= 0.0) {
                    return Err(bad(format!("field `noise` must be >= 0, got {noise}")));
                }
            }
            ScenarioKind::Ood {
                share,
                held_out_classes,
            } => {
                if !(*share > 0.0 && *share < 1.0) {
                    return Err(bad(format!("field `share` must be in (0, 1), got {share}")));
                }
                if *held_out_classes == 0 {
                    return Err(bad("field `held_out_classes` must be at least 1".into()));
                }
                if let Some(c) = num_classes {
                    if *held_out_classes + 2 > c {
                        return Err(bad(format!(
                            "field `held_out_classes` = {held_out_classes} leaves fewer than 2 target classes of {c}"
                        )));
                    }
                }
            }
            ScenarioKind::LabelNoise { share } => {
                if !(*share > 0.0 && *share < 1.0) {
                    return Err(bad(format!("field `share` must be in (0, 1), got {share}")));
                }
            }
        }
        Ok(())
    }

    /// Applies the scenario to `splits` (seeded).
    pub fn apply(&self, splits: &DataSplits, seed: u64) -> Result<ScenarioData, DatasetError> {
        self.validate(Some(splits.train.num_classes))?;
        let train = &splits.train;
        let classes = train.num_classes;
        let mut rng = seeded(seed);
        let plain = |pool: LabeledSet| ScenarioData {
            ood: vec![false; pool.len()],
            noisy: vec![false; pool.len()],
            pool,
            test: splits.test.clone(),
            target_classes: classes,
        };
        match &self.kind {
            ScenarioKind::None {} => Ok(plain(train.clone())),
            ScenarioKind::Imbalance { ratio } => {
                let by_class = train.indices_by_class();
                let n_max = by_class.iter().map(Vec::len).min().unwrap_or(0);
                let mut keep = Vec::new();
                for (c, mut members) in by_class.into_iter().enumerate() {
                    let count = imbalance_count(n_max, *ratio, c, classes);
                    shuffle(&mut rng, &mut members);
                    members.truncate(count);
                    keep.extend(members);
                }
                keep.sort_unstable();
                Ok(plain(train.subset(&keep)))
            }
            ScenarioKind::Redundancy { copies, noise } => {
                let row = train.shape.len();
                let values = train
                    .features
                    .len()
                    .checked_mul(*copies)
                    .filter(|&v| v <= MAX_POOL_VALUES)
                    .ok_or_else(|| {
                        DatasetError::Invalid(format!(
                            "scenario `{}`: {copies} copies of {} examples would hold more than {MAX_POOL_VALUES} values (4 GiB)",
                            self.name,
                            train.len()
                        ))
                    })?;
                let mut features = Vec::with_capacity(values);
                let mut labels = Vec::with_capacity(train.len() * copies);
                for copy in 0..*copies {
                    for i in 0..train.len() {
                        let example = train.example(i);
                        if copy == 0 || *noise == 0.0 {
                            features.extend_from_slice(example);
                        } else {
                            features.extend(
                                example.iter().map(|v| v + noise * normal(&mut rng) as f32),
                            );
                        }
                        labels.push(train.labels[i]);
                    }
                }
                debug_assert_eq!(features.len(), labels.len() * row);
                let mut pool = LabeledSet::new(train.shape, classes, features, labels)?;
                pool.pad_value.clone_from(&train.pad_value);
                Ok(plain(pool))
            }
            ScenarioKind::Ood {
                share,
                held_out_classes,
            } => {
                let target = classes - held_out_classes;
                let (mut inside, mut outside): (Vec<usize>, Vec<usize>) =
                    (0..train.len()).partition(|&i| (train.labels[i] as usize) < target);
                let wanted = ood_count(inside.len(), *share);
                if wanted > outside.len() {
                    return Err(DatasetError::Invalid(format!(
                        "scenario `{}`: share {share} needs {wanted} out-of-distribution examples, the held-out classes have {}",
                        self.name,
                        outside.len()
                    )));
                }
                shuffle(&mut rng, &mut outside);
                outside.truncate(wanted);
                inside.extend(outside);
                inside.sort_unstable();
                let pool = train.subset(&inside);
                let ood = pool.labels.iter().map(|&l| l as usize >= target).collect();
                let test_keep: Vec<usize> = (0..splits.test.len())
                    .filter(|&i| (splits.test.labels[i] as usize) < target)
                    .collect();
                let kept = splits.test.subset(&test_keep);
                let mut test = LabeledSet::new(kept.shape, target, kept.features, kept.labels)?;
                test.pad_value = kept.pad_value;
                Ok(ScenarioData {
                    noisy: vec![false; pool.len()],
                    pool,
                    ood,
                    test,
                    target_classes: target,
                })
            }
            ScenarioKind::LabelNoise { share } => {
                let mut pool = train.clone();
                let flips = (share * pool.len() as f64).round() as usize;
                let mut order: Vec<usize> = (0..pool.len()).collect();
                shuffle(&mut rng, &mut order);
                let mut noisy = vec![false; pool.len()];
                for &i in order.iter().take(flips) {
                    let old = pool.labels[i] as usize;
                    let offset = 1 + below(&mut rng, classes - 1);
                    pool.labels[i] = ((old + offset) % classes) as u32;
                    noisy[i] = true;
                }
                Ok(ScenarioData {
                    ood: vec![false; pool.len()],
                    noisy,
                    pool,
                    test: splits.test.clone(),
                    target_classes: classes,
                })
            }
        }
    }
}

/// Examples kept of class `c` of `classes` under a long tail of `ratio`.
pub fn imbalance_count(n_max: usize, ratio: f64, c: usize, classes: usize) -> usize {
    if classes <= 1 {
        return n_max;
    }
    let exponent = -(c as f64) / (classes - 1) as f64;
    (n_max as f64 * ratio.powf(exponent)).floor() as usize
}

/// OOD examples added to `inside` in-distribution ones so they make `share` of the pool.
pub fn ood_count(inside: usize, share: f64) -> usize {
    (share / (1.0 - share) * inside as f64).round() as usize
}

/// A pool after its scenario.
#[derive(Clone, Debug)]
pub struct ScenarioData {
    /// The pool (labels of OOD examples keep their original, held-out class).
    pub pool: LabeledSet,
    /// The test split (target classes only under OOD; otherwise unchanged).
    pub test: LabeledSet,
    /// Per pool example: drawn from a held-out class.
    pub ood: Vec<bool>,
    /// Per pool example: its label was flipped.
    pub noisy: Vec<bool>,
    /// Classes the model predicts.
    pub target_classes: usize,
}
