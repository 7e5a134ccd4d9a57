//! One type over the model families, so the trainer and the views need not be generic
//! over the architecture.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use sieve_datasets::ExampleShape;

use super::{dropout, ConvNet, GalCnn, LeNet, Mlp, ModelKind, ModelSpec, ResNet18, Taps, Vgg};
use crate::CoreError;

/// Any sieve model. `dropout_p` is kept beside the weights (not a parameter).
// One network exists per training run, so the size gap between variants costs nothing;
// boxing would fight burn's Module derive.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Network<B: Backend> {
    Mlp(Mlp<B>),
    Lenet(LeNet<B>),
    Convnet(ConvNet<B>),
    GalCnn(GalCnn<B>),
    Resnet18(ResNet18<B>),
    /// VGG-11 or VGG-16 (batch norm).
    Vgg(Vgg<B>),
}

impl<B: Backend> Network<B> {
    /// Builds the model of `spec` for examples of `shape` and `classes` classes; weights come
    /// from the backend RNG (seed it first). burn initialises parameters lazily, on first
    /// use; they are forced here so the weights depend on the RNG state *now*, not on
    /// whatever ran before the first forward pass.
    pub fn init(
        spec: &ModelSpec,
        shape: ExampleShape,
        classes: usize,
        device: &B::Device,
    ) -> Result<Self, CoreError> {
        let network = match spec.validate("model", Some(shape))? {
            ModelKind::Mlp => Network::Mlp(Mlp::new(
                shape.len(),
                &spec.hidden_widths(),
                classes,
                device,
            )),
            ModelKind::Lenet => Network::Lenet(LeNet::new(shape, classes, device)),
            ModelKind::Convnet => Network::Convnet(ConvNet::new(
                shape,
                classes,
                spec.conv_width(),
                spec.conv_depth(shape),
                device,
            )),
            ModelKind::GalCnn => {
                Network::GalCnn(GalCnn::new(shape, classes, spec.gal_dropout(), device))
            }
            ModelKind::Resnet18 => {
                Network::Resnet18(ResNet18::new(shape, classes, spec.resnet_stem(), device))
            }
            ModelKind::Vgg11 | ModelKind::Vgg16 => {
                Network::Vgg(Vgg::new(shape, classes, kind_layers(spec)?, device))
            }
        };
        network.visit(&mut ForceInit);
        Ok(network)
    }

    /// Penultimate embedding (before the dropout that precedes the head). Dropout
    /// placement, the same in training and MC dropout: the MLP drops after every hidden
    /// layer (Srivastava et al. 2014; with one hidden layer that is only the head's);
    /// LeNet and ConvNet drop only on this embedding, before the head. `gal_cnn` drops
    /// after its pooled convolutions and on this embedding at its own two rates (`p`,
    /// the regularization's, is then 0: validation refuses anything else).
    pub fn embed(&self, x: Tensor<B, 4>, p: f64, drop_active: bool) -> Tensor<B, 2> {
        match self {
            Network::Mlp(m) => m.embed(x, p, drop_active),
            Network::Lenet(m) => m.embed(x),
            Network::Convnet(m) => m.embed(x),
            Network::GalCnn(m) => m.embed(x, drop_active),
            // Batch statistics only in a training step (see `ResNet18`).
            Network::Resnet18(m) => m.embed(x, drop_active),
            // Its own dropout inside; batch statistics only in a training step.
            Network::Vgg(m) => m.embed(x, drop_active),
        }
    }

    /// Logits and every stage's features (globally average-pooled feature maps and the
    /// dense layers, first to last; see each model's `embed_tapped`/`embed_with`), from
    /// the same pass as [`Self::forward`]: what LL4AL's loss-prediction module reads.
    pub fn forward_with_stages(
        &self,
        x: Tensor<B, 4>,
        p: f64,
        drop_active: bool,
    ) -> (Tensor<B, 2>, Vec<Tensor<B, 2>>) {
        let mut taps = Taps::on();
        let h = match self {
            Network::Mlp(m) => m.embed_with(x, |_, h| dropout(h, p, drop_active), &mut taps),
            Network::Lenet(m) => m.embed_tapped(x, &mut taps),
            Network::Convnet(m) => m.embed_tapped(x, &mut taps),
            Network::GalCnn(m) => {
                m.embed_with(x, |_, h| dropout(h, m.rates()[0], drop_active), &mut taps)
            }
            Network::Resnet18(m) => m.embed_tapped(x, drop_active, &mut taps),
            Network::Vgg(m) => m.embed_with(
                x,
                drop_active,
                |h| dropout(h, super::VGG_DROPOUT, drop_active),
                &mut taps,
            ),
        };
        (self.head(h, p, drop_active), taps.into_levels())
    }

    /// The dropout rate on the embedding before the head: the regularization's `p`, or
    /// the model's own.
    fn head_rate(&self, p: f64) -> f64 {
        match self {
            Network::GalCnn(m) => m.rates()[1],
            // TorchAL's VGG has no dropout before the classifier.
            Network::Vgg(_) => 0.0,
            _ => p,
        }
    }

    /// Logits from an embedding, with dropout on the embedding when `drop_active`.
    pub fn head(&self, h: Tensor<B, 2>, p: f64, drop_active: bool) -> Tensor<B, 2> {
        let h = dropout(h, self.head_rate(p), drop_active);
        match self {
            Network::Mlp(m) => m.head(h),
            Network::Lenet(m) => m.head(h),
            Network::Convnet(m) => m.head(h),
            Network::GalCnn(m) => m.head(h),
            Network::Resnet18(m) => m.head(h),
            Network::Vgg(m) => m.head(h),
        }
    }

    /// Logits of a batch.
    pub fn forward(&self, x: Tensor<B, 4>, p: f64, drop_active: bool) -> Tensor<B, 2> {
        let h = self.embed(x, p, drop_active);
        self.head(h, p, drop_active)
    }

    /// This network with `donor`'s head: the embedding of a pretrained network (a
    /// pretext task with its own classes) under a freshly initialised head for the task.
    /// Both must be the same architecture with heads of the same input width.
    pub fn with_head_of(self, donor: &Network<B>) -> Result<Network<B>, CoreError> {
        let head = match donor {
            Network::Mlp(m) => m.head_layer(),
            Network::Lenet(m) => m.head_layer(),
            Network::Convnet(m) => m.head_layer(),
            Network::GalCnn(m) => m.head_layer(),
            Network::Resnet18(m) => m.head_layer(),
            Network::Vgg(m) => m.head_layer(),
        }
        .clone();
        let own = self.head_parameters().0.dims()[0];
        let theirs = head.weight.dims()[0];
        if own != theirs {
            return Err(CoreError::invalid(
                "model",
                format!("cannot graft a head reading {theirs} features onto an embedding of {own}"),
            ));
        }
        let mut network = self;
        match (&mut network, donor) {
            (Network::Mlp(m), Network::Mlp(_)) => m.replace_head(head),
            (Network::Lenet(m), Network::Lenet(_)) => m.replace_head(head),
            (Network::Convnet(m), Network::Convnet(_)) => m.replace_head(head),
            (Network::GalCnn(m), Network::GalCnn(_)) => m.replace_head(head),
            (Network::Resnet18(m), Network::Resnet18(_)) => m.replace_head(head),
            (Network::Vgg(m), Network::Vgg(_)) => m.replace_head(head),
            _ => {
                return Err(CoreError::invalid(
                    "model",
                    "cannot graft the head of a different architecture",
                ))
            }
        }
        Ok(network)
    }

    /// The head's weight (`width x classes`, burn's layout) and bias.
    pub fn head_parameters(&self) -> (Tensor<B, 2>, Option<Tensor<B, 1>>) {
        let head = match self {
            Network::Mlp(m) => m.head_layer(),
            Network::Lenet(m) => m.head_layer(),
            Network::Convnet(m) => m.head_layer(),
            Network::GalCnn(m) => m.head_layer(),
            Network::Resnet18(m) => m.head_layer(),
            Network::Vgg(m) => m.head_layer(),
        };
        (head.weight.val(), head.bias.as_ref().map(|b| b.val()))
    }

    /// Whether the model carries its own dropout rates (`gal_cnn`, the VGGs).
    pub fn has_own_dropout(&self) -> bool {
        matches!(self, Network::GalCnn(_) | Network::Vgg(_))
    }

    /// The dropout sites of [`Self::forward`] as `(width, rate)`, in the order they act,
    /// with `p` (the regularization's) where the model has no rate of its own; the last
    /// is the embedding's (before the head).
    pub fn dropout_sites(&self, p: f64) -> Vec<(usize, f64)> {
        let mut sites: Vec<(usize, f64)> = match self {
            Network::Mlp(m) => m
                .inner_dropout_widths()
                .into_iter()
                .map(|w| (w, p))
                .collect(),
            Network::Lenet(_) | Network::Convnet(_) | Network::Resnet18(_) => Vec::new(),
            Network::GalCnn(m) => vec![(m.conv_features(), m.rates()[0])],
            Network::Vgg(m) => vec![(m.hidden_width(), super::VGG_DROPOUT)],
        };
        let embedding = match self {
            Network::Mlp(m) => m.head_input_width(),
            Network::Lenet(m) => m.head_input_width(),
            Network::Convnet(m) => m.head_input_width(),
            Network::GalCnn(m) => m.head_input_width(),
            Network::Resnet18(m) => m.head_input_width(),
            Network::Vgg(m) => m.head_input_width(),
        };
        sites.push((embedding, self.head_rate(p)));
        sites
    }

    /// Logits with fixed dropout masks, one per site of [`Self::dropout_sites`] (shape
    /// `[1, width]`, broadcast over the batch): consistent MC dropout.
    pub fn forward_with_masks(&self, x: Tensor<B, 4>, masks: &[Tensor<B, 2>]) -> Tensor<B, 2> {
        debug_assert_eq!(masks.len(), self.dropout_sites(0.0).len());
        let apply = |site: usize, h: Tensor<B, 2>| match masks.get(site) {
            Some(mask) => h * mask.clone(),
            None => h,
        };
        let h = match self {
            Network::Mlp(m) => m.embed_with(x, apply, &mut Taps::off()),
            Network::Lenet(m) => m.embed(x),
            Network::Convnet(m) => m.embed(x),
            Network::GalCnn(m) => m.embed_with(x, apply, &mut Taps::off()),
            Network::Resnet18(m) => m.embed(x, false),
            Network::Vgg(m) => m.embed_with(x, false, |h| apply(0, h), &mut Taps::off()),
        };
        let h = apply(masks.len().saturating_sub(1), h);
        match self {
            Network::Mlp(m) => m.head(h),
            Network::Lenet(m) => m.head(h),
            Network::Convnet(m) => m.head(h),
            Network::GalCnn(m) => m.head(h),
            Network::Resnet18(m) => m.head(h),
            Network::Vgg(m) => m.head(h),
        }
    }
}

/// The convolution layout of a VGG spec.
fn kind_layers(spec: &ModelSpec) -> Result<&'static [usize], CoreError> {
    spec.resolved_kind("model")?
        .vgg_layers()
        .ok_or_else(|| CoreError::invalid("model", "not a VGG"))
}

impl<B: AutodiffBackend> Network<B> {
    /// The same network with gradients enabled on every parameter. burn 0.21 rebuilds a
    /// parameter from its inner tensor on `from_inner`, `clone` and `map`, and the inner
    /// tensor does not require gradients: a network carried across rounds (warm start),
    /// tasks or an SWA average trains nothing until this is called.
    pub fn trainable(self) -> Self {
        self.map(&mut RequireGrad)
    }
}

/// Turns "requires grad" on for every float parameter.
struct RequireGrad;

impl<B: AutodiffBackend> ModuleMapper<B> for RequireGrad {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        param.set_require_grad(true)
    }
}

/// Touches every parameter so lazy initialisers run immediately.
struct ForceInit;

impl<B: Backend> ModuleVisitor<B> for ForceInit {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let _ = param.val();
    }
}
