//! How training uses the pool's unlabeled examples — the `training` field of a
//! regularization block, and so part of the trial identity and seed like every other
//! regularization setting. Absent, training is supervised (the labeled rows only).
//!
//! - `pseudo_label`: FixMatch (Sohn et al., NeurIPS 2020; reference
//!   google-research/fixmatch, kekmodel/FixMatch-pytorch): every step also draws
//!   `ratio` × batch unlabeled examples; the model's prediction on a weakly augmented view
//!   (random translation by up to 1/8 of the side) becomes a hard pseudo-label where its
//!   top probability reaches `threshold`, and the cross-entropy of the strongly augmented
//!   view (the weak one plus a cutout of half the side) against it is added with `weight`.
//!   Defaults as the paper: threshold 0.95, ratio 7, weight 1.
//! - `self_supervised_init`: the network starts from a rotation-prediction network
//!   trained on the whole pool (PT4AL's pretext task, [`crate::pretext`]), its head
//!   re-initialised for the classes; trained once per repeat and shared by every method.

use serde::{Deserialize, Serialize};
use sieve_datasets::{Augmentation, ExampleShape};

use crate::{CoreError, RotationPretext};

/// The `training` field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TrainingMode {
    /// The labeled rows only (the same as leaving the field out).
    Supervised {},
    /// FixMatch-style confidence-thresholded pseudo-labels on the unlabeled pool.
    PseudoLabel {
        #[serde(default = "default_threshold")]
        threshold: f64,
        /// Unlabeled examples per labeled example in a step (FixMatch's μ).
        #[serde(default = "default_ratio")]
        ratio: usize,
        /// Weight of the unlabeled loss (FixMatch's λ_u).
        #[serde(default = "default_weight")]
        weight: f64,
    },
    /// Start from rotation pretraining on the pool.
    SelfSupervisedInit {
        #[serde(default = "default_pretext_epochs")]
        pretext_epochs: usize,
        #[serde(default = "default_pretext_lr")]
        pretext_lr: f64,
        #[serde(default = "default_pretext_batch")]
        pretext_batch_size: usize,
    },
}

fn default_threshold() -> f64 {
    0.95
}
fn default_ratio() -> usize {
    7
}
fn default_weight() -> f64 {
    1.0
}
fn default_pretext_epochs() -> usize {
    RotationPretext::default().epochs
}
fn default_pretext_lr() -> f64 {
    RotationPretext::default().lr
}
fn default_pretext_batch() -> usize {
    RotationPretext::default().batch_size
}

/// Most unlabeled examples per labeled one in a step (each is a forward pass or two).
pub const MAX_RATIO: usize = 64;

impl TrainingMode {
    /// Checks the values; `field` names the block (e.g. `regularization[1].training`).
    pub fn validate(&self, field: &str, shape: Option<ExampleShape>) -> Result<(), CoreError> {
        let bad =
            |name: &str, message: String| CoreError::invalid(format!("{field}.{name}"), message);
        match self {
            TrainingMode::Supervised {} => Ok(()),
            TrainingMode::PseudoLabel {
                threshold,
                ratio,
                weight,
            } => {
                if !(*threshold > 0.0 && *threshold <= 1.0) {
                    return Err(bad(
                        "threshold",
                        format!("must be in (0, 1], got {threshold}"),
                    ));
                }
                if *ratio == 0 || *ratio > MAX_RATIO {
                    return Err(bad(
                        "ratio",
                        format!("must be 1 to {MAX_RATIO}, got {ratio}"),
                    ));
                }
                if !(weight.is_finite() && *weight > 0.0) {
                    return Err(bad(
                        "weight",
                        format!("must be a positive number, got {weight}"),
                    ));
                }
                Ok(())
            }
            TrainingMode::SelfSupervisedInit { .. } => {
                self.pretext().map(|p| p.validate(field)).transpose()?;
                if let Some(shape) = shape {
                    if !crate::pretext::rotatable(shape) {
                        return Err(CoreError::invalid(
                            format!("{field}.kind"),
                            format!("self_supervised_init rotates images and needs square ones; the data set's examples are {shape}"),
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// The rotation pretraining `self_supervised_init` asks for.
    pub fn pretext(&self) -> Option<RotationPretext> {
        match self {
            TrainingMode::SelfSupervisedInit {
                pretext_epochs,
                pretext_lr,
                pretext_batch_size,
            } => Some(RotationPretext {
                epochs: *pretext_epochs,
                lr: *pretext_lr,
                batch_size: *pretext_batch_size,
            }),
            _ => None,
        }
    }

    /// Whether training reads the unlabeled pool at every step.
    pub fn reads_unlabeled(&self) -> bool {
        matches!(self, TrainingMode::PseudoLabel { .. })
    }
}

/// FixMatch's two views for images of `shape`: weak = translation by up to 1/8 of the
/// side (at least one pixel); strong = the weak view with a cutout of half the side
/// applied on top (the second augmentation returned). Flat examples get no augmentation
/// (both views are the example).
pub fn fixmatch_views(shape: ExampleShape) -> (Augmentation, Augmentation) {
    if shape.height < 4 || shape.width < 4 {
        return (Augmentation::default(), Augmentation::default());
    }
    let side = shape.height.min(shape.width);
    let weak = Augmentation {
        flip: false,
        crop_padding: (side / 8).max(1),
        cutout: 0,
        dsa: None,
    };
    let on_top = Augmentation {
        flip: false,
        crop_padding: 0,
        cutout: (side / 2).max(1),
        dsa: None,
    };
    (weak, on_top)
}
