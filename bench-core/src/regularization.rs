//! Regularization settings: a named, sweepable block (optimizer, schedule, weight decay,
//! dropout, augmentation, label smoothing, SWA) with presets `none`, `standard` and
//! `strong`, so that "does AL still beat random under strong regularization?" is one line
//! of config.

use serde::{Deserialize, Serialize};
use sieve_datasets::{Augmentation, ExampleShape};

use crate::training_mode::TrainingMode;

use crate::CoreError;

/// The optimizer. SGD uses PyTorch's convention (dampening 0), not burn's default 0.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    Sgd,
    Adam,
    Adamw,
}

/// Learning-rate schedule over the epochs of one training run.
///
/// Variants without parameters are written `{}` so that serde checks their fields too:
/// a unit variant of an internally tagged enum would accept `{ kind = "constant",
/// gamma = 0.1 }` and drop `gamma` silently.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum LrSchedule {
    Constant {},
    /// Cosine annealing from `lr` to 0 over all epochs (per step).
    Cosine {},
    /// Multiply by `gamma` every `step_epochs` epochs.
    Step {
        step_epochs: usize,
        gamma: f64,
    },
}

/// Stochastic weight averaging: average the weights at the end of every epoch from
/// `start_fraction` of training on, at a constant `lr` when one is given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwaConfig {
    pub start_fraction: f64,
    #[serde(default)]
    pub lr: Option<f64>,
}

/// A resolved regularization setting: everything the trainer needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regularization {
    pub name: String,
    pub epochs: usize,
    /// At least this many optimizer steps, adding epochs when the labeled set is small
    /// (100 labels at batch 64 are only 2 steps an epoch). 0 = exactly `epochs`.
    #[serde(default)]
    pub min_steps: usize,
    pub batch_size: usize,
    pub optimizer: OptimizerKind,
    pub lr: f64,
    pub momentum: f64,
    pub schedule: LrSchedule,
    pub weight_decay: f64,
    pub dropout: f64,
    pub augment: Augmentation,
    pub label_smoothing: f64,
    pub swa: Option<SwaConfig>,
    /// How the unlabeled pool is used; `None` = supervised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingMode>,
}

/// The preset names, in order of strength.
pub const PRESETS: &[&str] = &["none", "standard", "strong"];

impl Regularization {
    /// A preset by name. `none`: plain SGD, constant lr, nothing else. `standard`: weight
    /// decay 5e-4, cosine schedule, pad-and-crop. `strong`: standard plus cutout, dropout
    /// 0.3, label smoothing 0.1 and SWA over the last quarter of training.
    pub fn preset(name: &str) -> Option<Self> {
        let none = Regularization {
            name: "none".into(),
            epochs: 30,
            min_steps: 0,
            batch_size: 64,
            optimizer: OptimizerKind::Sgd,
            lr: 0.05,
            momentum: 0.9,
            schedule: LrSchedule::Constant {},
            weight_decay: 0.0,
            dropout: 0.0,
            augment: Augmentation::default(),
            label_smoothing: 0.0,
            swa: None,
            training: None,
        };
        match name {
            "none" => Some(none),
            "standard" => Some(Regularization {
                name: "standard".into(),
                schedule: LrSchedule::Cosine {},
                weight_decay: 5e-4,
                augment: Augmentation {
                    flip: false,
                    crop_padding: 1,
                    cutout: 0,
                    dsa: None,
                },
                ..none
            }),
            "strong" => Some(Regularization {
                name: "strong".into(),
                schedule: LrSchedule::Cosine {},
                weight_decay: 5e-4,
                dropout: 0.3,
                augment: Augmentation {
                    flip: false,
                    crop_padding: 2,
                    cutout: 2,
                    dsa: None,
                },
                label_smoothing: 0.1,
                swa: Some(SwaConfig {
                    start_fraction: 0.75,
                    lr: None,
                }),
                ..none
            }),
            _ => None,
        }
    }

    /// Checks every field; `field` prefixes the error (e.g. `regularization[1]`).
    pub fn validate(&self, field: &str, shape: Option<ExampleShape>) -> Result<(), CoreError> {
        let bad =
            |name: &str, message: String| CoreError::invalid(format!("{field}.{name}"), message);
        if self.epochs == 0 {
            return Err(bad("epochs", "must be at least 1".into()));
        }
        if self.batch_size == 0 {
            return Err(bad("batch_size", "must be at least 1".into()));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(bad(
                "lr",
                format!("must be a positive number, got {}", self.lr),
            ));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(bad(
                "momentum",
                format!("must be in [0, 1), got {}", self.momentum),
            ));
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return Err(bad(
                "weight_decay",
                format!("must be >= 0, got {}", self.weight_decay),
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(bad(
                "dropout",
                format!("must be in [0, 1), got {}", self.dropout),
            ));
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return Err(bad(
                "label_smoothing",
                format!("must be in [0, 1), got {}", self.label_smoothing),
            ));
        }
        if let LrSchedule::Step { step_epochs, gamma } = self.schedule {
            if step_epochs == 0 || !(gamma > 0.0 && gamma <= 1.0) {
                return Err(bad(
                    "schedule",
                    "step needs step_epochs >= 1 and gamma in (0, 1]".into(),
                ));
            }
        }
        if let Some(swa) = &self.swa {
            if !(swa.start_fraction >= 0.0 && swa.start_fraction < 1.0) {
                return Err(bad(
                    "swa.start_fraction",
                    format!("must be in [0, 1), got {}", swa.start_fraction),
                ));
            }
            if let Some(lr) = swa.lr {
                if !(lr.is_finite() && lr > 0.0) {
                    return Err(bad("swa.lr", format!("must be positive, got {lr}")));
                }
            }
        }
        if let Some(shape) = shape {
            self.augment
                .validate(shape)
                .map_err(|e| bad("augment", e.to_string()))?;
        }
        if let Some(training) = &self.training {
            training.validate(&format!("{field}.training"), shape)?;
        }
        Ok(())
    }

    /// Learning rate at `step` of `total_steps` (epochs x batches), before any SWA phase.
    pub fn lr_at(
        &self,
        epoch: usize,
        step: usize,
        total_steps: usize,
        steps_per_epoch: usize,
    ) -> f64 {
        let epochs = total_steps.div_ceil(steps_per_epoch.max(1));
        if let Some(swa) = &self.swa {
            if let Some(swa_lr) = swa.lr {
                if epoch >= self.swa_start_epoch(epochs).unwrap_or(usize::MAX) {
                    return swa_lr;
                }
            }
        }
        match &self.schedule {
            LrSchedule::Constant {} => self.lr,
            LrSchedule::Cosine {} => {
                let progress = step as f64 / total_steps.max(1) as f64;
                0.5 * self.lr * (1.0 + (std::f64::consts::PI * progress).cos())
            }
            LrSchedule::Step { step_epochs, gamma } => {
                self.lr * gamma.powi((epoch / step_epochs.max(&1)) as i32)
            }
        }
    }

    /// Epochs actually run on `examples` labeled examples: `epochs`, or more when
    /// `min_steps` asks for more optimizer steps than that gives.
    pub fn effective_epochs(&self, examples: usize) -> usize {
        let batch = self.batch_size.min(examples).max(1);
        let steps_per_epoch = examples.div_ceil(batch).max(1);
        self.epochs.max(self.min_steps.div_ceil(steps_per_epoch))
    }

    /// First epoch (of `epochs` run) whose end-of-epoch weights enter the SWA average.
    pub fn swa_start_epoch(&self, epochs: usize) -> Option<usize> {
        self.swa.as_ref().map(|s| {
            ((s.start_fraction * epochs as f64).floor() as usize).min(epochs.saturating_sub(1))
        })
    }
}

/// A regularization block as written in a config: a name, an optional preset to start
/// from (the name itself when it is a preset), and overrides.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegularizationSpec {
    pub name: String,
    #[serde(default)]
    pub preset: Option<String>,
    #[serde(default)]
    pub epochs: Option<usize>,
    #[serde(default)]
    pub min_steps: Option<usize>,
    #[serde(default)]
    pub batch_size: Option<usize>,
    #[serde(default)]
    pub optimizer: Option<OptimizerKind>,
    #[serde(default)]
    pub lr: Option<f64>,
    #[serde(default)]
    pub momentum: Option<f64>,
    #[serde(default)]
    pub schedule: Option<LrSchedule>,
    #[serde(default)]
    pub weight_decay: Option<f64>,
    #[serde(default)]
    pub dropout: Option<f64>,
    #[serde(default)]
    pub augment: Option<Augmentation>,
    #[serde(default)]
    pub label_smoothing: Option<f64>,
    #[serde(default)]
    pub swa: Option<SwaConfig>,
    /// How training uses the unlabeled pool (`supervised` when absent).
    #[serde(default)]
    pub training: Option<TrainingMode>,
    /// Turns SWA off even when the preset has it.
    #[serde(default)]
    pub no_swa: bool,
}

impl RegularizationSpec {
    /// Resolves the preset and overrides. `field` names the block in errors.
    ///
    /// Both structs are destructured without `..`: a field added to either one does not
    /// compile until it is paired here, so no override can be accepted and then dropped.
    pub fn resolve(&self, field: &str) -> Result<Regularization, CoreError> {
        let RegularizationSpec {
            name,
            preset,
            epochs,
            min_steps,
            batch_size,
            optimizer,
            lr,
            momentum,
            schedule,
            weight_decay,
            dropout,
            augment,
            label_smoothing,
            swa,
            training,
            no_swa,
        } = self;
        let base_name = preset.as_deref().unwrap_or(name);
        let mut reg = Regularization::preset(base_name).ok_or_else(|| {
            let which = if preset.is_some() { "preset" } else { "name" };
            CoreError::invalid(
                format!("{field}.{which}"),
                format!(
                    "{} (or give `preset = \"...\"` with a custom name)",
                    crate::names::unknown_name_message("preset", base_name, PRESETS)
                ),
            )
        })?;
        if swa.is_some() && *no_swa {
            return Err(CoreError::invalid(
                format!("{field}.no_swa"),
                "`swa` and `no_swa = true` contradict each other; give one of them",
            ));
        }
        let Regularization {
            name: r_name,
            epochs: r_epochs,
            min_steps: r_min_steps,
            batch_size: r_batch_size,
            optimizer: r_optimizer,
            lr: r_lr,
            momentum: r_momentum,
            schedule: r_schedule,
            weight_decay: r_weight_decay,
            dropout: r_dropout,
            augment: r_augment,
            label_smoothing: r_label_smoothing,
            swa: r_swa,
            training: r_training,
        } = &mut reg;
        fn over<T: Clone>(target: &mut T, value: &Option<T>) {
            if let Some(v) = value {
                *target = v.clone();
            }
        }
        name.clone_into(r_name);
        over(r_epochs, epochs);
        over(r_min_steps, min_steps);
        over(r_batch_size, batch_size);
        over(r_optimizer, optimizer);
        over(r_lr, lr);
        over(r_momentum, momentum);
        over(r_schedule, schedule);
        over(r_weight_decay, weight_decay);
        over(r_dropout, dropout);
        over(r_augment, augment);
        over(r_label_smoothing, label_smoothing);
        if swa.is_some() {
            r_swa.clone_from(swa);
        }
        // `supervised` is the same as no field: stored as none, so both spell one setting.
        *r_training = training
            .clone()
            .filter(|t| !matches!(t, TrainingMode::Supervised {}));
        if *no_swa {
            *r_swa = None;
        }
        Ok(reg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_resolve_and_validate() {
        for name in PRESETS {
            let reg = Regularization::preset(name).unwrap();
            reg.validate(
                "r",
                Some(ExampleShape {
                    channels: 1,
                    height: 8,
                    width: 8,
                }),
            )
            .unwrap();
        }
        assert!(Regularization::preset("huge").is_none());
    }

    #[test]
    fn overrides_apply_on_top_of_a_preset() {
        let spec = RegularizationSpec {
            name: "strong-short".into(),
            preset: Some("strong".into()),
            epochs: Some(3),
            ..Default::default()
        };
        let reg = spec.resolve("regularization[0]").unwrap();
        assert_eq!(reg.name, "strong-short");
        assert_eq!(reg.epochs, 3);
        assert_eq!(reg.label_smoothing, 0.1);
        let bad = RegularizationSpec {
            name: "wild".into(),
            ..Default::default()
        };
        let err = bad.resolve("regularization[2]").unwrap_err().to_string();
        assert!(
            err.contains("regularization[2].name") && err.contains("unknown preset"),
            "{err}"
        );
    }

    #[test]
    fn cosine_schedule_goes_from_lr_to_zero() {
        let reg = Regularization::preset("standard").unwrap();
        assert!((reg.lr_at(0, 0, 100, 10) - reg.lr).abs() < 1e-12);
        assert!((reg.lr_at(5, 50, 100, 10) - reg.lr / 2.0).abs() < 1e-12);
        assert!(reg.lr_at(9, 100, 100, 10).abs() < 1e-12);
    }

    #[test]
    fn min_steps_adds_epochs_for_small_labeled_sets() {
        let mut reg = Regularization::preset("none").unwrap();
        reg.epochs = 10;
        reg.batch_size = 64;
        reg.min_steps = 100;
        assert_eq!(
            reg.effective_epochs(100),
            50,
            "2 steps an epoch -> 50 epochs for 100 steps"
        );
        assert_eq!(reg.effective_epochs(6400), 10, "100 steps an epoch already");
        reg.min_steps = 0;
        assert_eq!(reg.effective_epochs(100), 10);
    }

    #[test]
    fn bad_values_name_the_field() {
        let mut reg = Regularization::preset("none").unwrap();
        reg.dropout = 1.5;
        let err = reg
            .validate("regularization[0]", None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("regularization[0].dropout"), "{err}");
    }
}
