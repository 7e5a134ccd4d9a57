//! How a config names a model, and the checks that it fits the data.

use serde::{Deserialize, Serialize};
use sieve_datasets::ExampleShape;

use super::ResnetStem;
use crate::CoreError;

/// The model families sieve ships.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Fully connected layers with ReLU on the flattened input.
    Mlp,
    /// LeNet-5 style: 2 x [conv 5x5 (6, 16), ReLU, max-pool 2], then 120 and 84 units.
    Lenet,
    /// DC/DM ConvNet: depth x [conv 3x3 (width), instance norm, ReLU, avg-pool 2], linear.
    Convnet,
    /// Gal et al. (2017): conv 4x4 (32), conv 4x4 (32), max-pool, dropout, dense 128,
    /// dropout, linear; the dropout rates are model fields.
    #[serde(rename = "gal_cnn")]
    GalCnn,
    /// ResNet-18: 4 stages x 2 basic blocks with batch norm, global average pooling; a
    /// `cifar` or `imagenet` stem.
    Resnet18,
    /// VGG-11 with batch norm, TorchAL's head (4,096 → 512 with dropout 0.5).
    Vgg11,
    /// VGG-16 with batch norm, TorchAL's head.
    Vgg16,
}

impl ModelKind {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Lenet => "lenet",
            ModelKind::Convnet => "convnet",
            ModelKind::GalCnn => "gal_cnn",
            ModelKind::Resnet18 => "resnet18",
            ModelKind::Vgg11 => "vgg11",
            ModelKind::Vgg16 => "vgg16",
        }
    }

    /// The convolution layout of a VGG (`None` for the other families).
    pub fn vgg_layers(self) -> Option<&'static [usize]> {
        match self {
            ModelKind::Vgg11 => Some(super::VGG11_LAYERS),
            ModelKind::Vgg16 => Some(super::VGG16_LAYERS),
            _ => None,
        }
    }
}

/// Widest layer a config may ask for.
pub const MAX_WIDTH: usize = 1 << 16;

/// Most parameters a model may have (4 GiB of f32 weights).
pub const MAX_PARAMETERS: u128 = 1 << 30;

/// Model names accepted in configs.
pub const MODEL_KINDS: &[&str] = &[
    "mlp", "lenet", "convnet", "gal_cnn", "resnet18", "vgg11", "vgg16",
];

/// A model as a config writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Label used in records.
    pub name: String,
    /// The family; inferred from `name` when it is one of `mlp`, `lenet`, `convnet`.
    #[serde(default)]
    pub kind: Option<ModelKind>,
    /// MLP hidden widths (default `[128]`).
    #[serde(default)]
    pub hidden: Option<Vec<usize>>,
    /// ConvNet channel width (default 128).
    #[serde(default)]
    pub width: Option<usize>,
    /// ConvNet depth (default 3, reduced when the image is too small to pool that often).
    #[serde(default)]
    pub depth: Option<usize>,
    /// `gal_cnn`'s two dropout rates, after the convolutions and after the dense layer
    /// (default `[0.25, 0.5]`, the paper's).
    #[serde(default)]
    pub dropout: Option<Vec<f64>>,
    /// `resnet18`'s first layers: `cifar` (conv 3x3 stride 1, no max-pool; the default)
    /// or `imagenet` (conv 7x7 stride 2 and max-pool, as torchvision and DeepAL+).
    #[serde(default)]
    pub stem: Option<ResnetStem>,
}

impl ModelSpec {
    /// A spec for `kind` with default sizes.
    pub fn of(kind: ModelKind) -> Self {
        Self {
            name: kind.as_str().into(),
            kind: Some(kind),
            hidden: None,
            width: None,
            depth: None,
            dropout: None,
            stem: None,
        }
    }

    /// The model family; `field` names the block in errors.
    pub fn resolved_kind(&self, field: &str) -> Result<ModelKind, CoreError> {
        if let Some(kind) = self.kind {
            return Ok(kind);
        }
        match self.name.as_str() {
            "mlp" => Ok(ModelKind::Mlp),
            "lenet" => Ok(ModelKind::Lenet),
            "convnet" => Ok(ModelKind::Convnet),
            "gal_cnn" => Ok(ModelKind::GalCnn),
            "resnet18" => Ok(ModelKind::Resnet18),
            "vgg11" => Ok(ModelKind::Vgg11),
            "vgg16" => Ok(ModelKind::Vgg16),
            other => Err(CoreError::invalid(
                format!("{field}.kind"),
                format!(
                    "model `{other}` needs `kind = \"...\"`, one of {}{}",
                    MODEL_KINDS.join(", "),
                    crate::names::did_you_mean(other, MODEL_KINDS)
                        .map(|k| format!(" (did you mean `{k}`?)"))
                        .unwrap_or_default()
                ),
            )),
        }
    }

    /// MLP hidden widths.
    pub fn hidden_widths(&self) -> Vec<usize> {
        self.hidden.clone().unwrap_or_else(|| vec![128])
    }

    /// `gal_cnn`'s dropout rates (conv block, dense).
    pub fn gal_dropout(&self) -> [f64; 2] {
        match self.dropout.as_deref() {
            Some(&[a, b]) => [a, b],
            _ => super::gal_cnn::GAL_DROPOUT,
        }
    }

    /// Whether the model carries its own dropout (so MC dropout works without the
    /// regularization's, and the regularization's must stay 0).
    pub fn has_own_dropout(&self) -> bool {
        matches!(
            self.resolved_kind("model"),
            Ok(ModelKind::GalCnn | ModelKind::Vgg11 | ModelKind::Vgg16)
        )
    }

    /// `resnet18`'s stem.
    pub fn resnet_stem(&self) -> ResnetStem {
        self.stem.unwrap_or(ResnetStem::Cifar)
    }

    /// ConvNet width.
    pub fn conv_width(&self) -> usize {
        self.width.unwrap_or(128)
    }

    /// ConvNet depth for an image of this shape: the requested depth (3 by default), but
    /// never more pools than the image side allows.
    pub fn conv_depth(&self, shape: ExampleShape) -> usize {
        let side = shape.height.min(shape.width).max(1);
        let max_pools = (usize::BITS - 1 - side.leading_zeros()) as usize; // floor(log2(side))
        self.depth.unwrap_or(3).min(max_pools).max(1)
    }

    /// Roughly how many weights the model has for examples of `shape` (10 classes),
    /// computed without building it, so an absurd size is refused before any allocation.
    pub fn parameter_estimate(&self, kind: ModelKind, shape: ExampleShape) -> u128 {
        let input = shape.len() as u128;
        match kind {
            ModelKind::Mlp => {
                let mut width = input;
                let mut total = 0u128;
                for &h in &self.hidden_widths() {
                    total += width * h as u128 + h as u128;
                    width = h as u128;
                }
                total + width * 10
            }
            ModelKind::Lenet => 16 * input + 120 * 84 + 2_000,
            ModelKind::GalCnn => {
                let flat = 32
                    * super::gal_cnn::gal_feature_side(shape.height) as u128
                    * super::gal_cnn::gal_feature_side(shape.width) as u128;
                16 * 32 * (shape.channels as u128 + 32) + flat * 128 + 128 * 10
            }
            ModelKind::Resnet18 => 11_200_000 + 512 * 10,
            ModelKind::Vgg11 | ModelKind::Vgg16 => super::vgg_parameter_count(
                kind.vgg_layers().unwrap_or_default(),
                shape.channels,
                10,
            ),
            ModelKind::Convnet => {
                let w = self.conv_width() as u128;
                let depth = self.conv_depth(shape) as u128;
                9 * w * (shape.channels as u128 + w * depth.saturating_sub(1)) + w * input
            }
        }
    }

    /// Checks the sizes and that the model fits the example shape.
    pub fn validate(
        &self,
        field: &str,
        shape: Option<ExampleShape>,
    ) -> Result<ModelKind, CoreError> {
        let kind = self.resolved_kind(field)?;
        // A size field of another family would be accepted and ignored: refuse it.
        let used: &[&str] = match kind {
            ModelKind::Mlp => &["hidden"],
            ModelKind::Lenet => &[],
            ModelKind::Convnet => &["width", "depth"],
            ModelKind::GalCnn => &["dropout"],
            ModelKind::Resnet18 => &["stem"],
            ModelKind::Vgg11 | ModelKind::Vgg16 => &[],
        };
        for (name, given) in [
            ("hidden", self.hidden.is_some()),
            ("width", self.width.is_some()),
            ("depth", self.depth.is_some()),
            ("dropout", self.dropout.is_some()),
            ("stem", self.stem.is_some()),
        ] {
            if given && !used.contains(&name) {
                let takes = if used.is_empty() {
                    "takes no size fields".to_string()
                } else {
                    format!("takes only {}", used.join(", "))
                };
                return Err(CoreError::invalid(
                    format!("{field}.{name}"),
                    format!(
                        "`{name}` is not a field of model kind `{}` (it {takes})",
                        kind.as_str()
                    ),
                ));
            }
        }
        if let Some(hidden) = &self.hidden {
            if hidden.is_empty() || hidden.contains(&0) {
                return Err(CoreError::invalid(
                    format!("{field}.hidden"),
                    "needs one or more positive widths",
                ));
            }
            if let Some(&wide) = hidden.iter().find(|&&w| w > MAX_WIDTH) {
                return Err(CoreError::invalid(
                    format!("{field}.hidden"),
                    format!("a width of {wide} is beyond {MAX_WIDTH}"),
                ));
            }
        }
        if let Some(rates) = &self.dropout {
            if rates.len() != 2 || rates.iter().any(|r| !(0.0..1.0).contains(r)) {
                return Err(CoreError::invalid(
                    format!("{field}.dropout"),
                    format!(
                        "expected two rates in [0, 1) (after the convolutions, after the dense layer), got {rates:?}"
                    ),
                ));
            }
        }
        if let Some(width) = self.width.filter(|&w| w > MAX_WIDTH) {
            return Err(CoreError::invalid(
                format!("{field}.width"),
                format!("{width} is beyond {MAX_WIDTH}"),
            ));
        }
        if let Some(depth) = self.depth.filter(|&d| d > 64) {
            return Err(CoreError::invalid(
                format!("{field}.depth"),
                format!("{depth} is beyond 64 blocks"),
            ));
        }
        if self.width == Some(0) {
            return Err(CoreError::invalid(
                format!("{field}.width"),
                "must be at least 1",
            ));
        }
        if self.depth == Some(0) {
            return Err(CoreError::invalid(
                format!("{field}.depth"),
                "must be at least 1",
            ));
        }
        if let Some(shape) = shape {
            let needs_image = |min_side: usize| {
                if shape.height < min_side || shape.width < min_side {
                    Err(CoreError::ShapeMismatch {
                        model: self.name.clone(),
                        shape: format!("{}x{}x{}", shape.channels, shape.height, shape.width),
                        message: format!("needs images of at least {min_side}x{min_side}; use `mlp` for vector data"),
                    })
                } else {
                    Ok(())
                }
            };
            match kind {
                ModelKind::Mlp => {}
                ModelKind::Lenet => needs_image(4)?,
                ModelKind::Convnet => needs_image(2)?,
                ModelKind::GalCnn => needs_image(8)?,
                ModelKind::Resnet18 => needs_image(4)?,
                // Five max-pools: 32x32, or 28-31 padded to 32 by the first convolution.
                ModelKind::Vgg11 | ModelKind::Vgg16 => needs_image(28)?,
            }
            let params = self.parameter_estimate(kind, shape);
            if params > MAX_PARAMETERS {
                return Err(CoreError::invalid(
                    field,
                    format!(
                        "about {params} parameters for examples of shape {shape}: more than {MAX_PARAMETERS} (4 GiB of weights)"
                    ),
                ));
            }
        }
        Ok(kind)
    }
}
