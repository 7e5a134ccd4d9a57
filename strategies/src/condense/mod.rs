//! Dataset condensation (`kind = "condense"`): methods that learn a small synthetic
//! training set of `ipc` images per class, on which a network trained from scratch
//! should do as well as possible on the real test set. One file per method; the
//! registry below maps config names to methods and lists their parameters for
//! `sieve list`. Real-image baselines (uniform, herding, k-center, forgetting) come
//! from the coreset registry and are chosen by the protocol.

mod dc;
mod dm;
mod model_augmentation;

pub use dc::{condense_dc, match_distance, Contrast, DcParams};
pub use dm::{condense_dm, DmParams, MAX_ITERATIONS};
pub use model_augmentation::{perturb, ModelAugmentation};

use burn::tensor::backend::AutodiffBackend;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::names::unknown_name_message;
use sieve_bench_core::{ModelSpec, StrategyError};
use sieve_datasets::{ExampleShape, LabeledSet};

use crate::coreset::parse;
use crate::registry::{ParamInfo, RegistryError};

/// How the synthetic images start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyntheticInit {
    /// Random real images of each class (the papers' default).
    Real,
    /// Standard normal noise (in normalised units).
    Noise,
}

/// What a condensation method is asked for.
pub struct CondenseRequest<'a, B: AutodiffBackend> {
    /// The real training set (normalised).
    pub data: &'a LabeledSet,
    /// Classes of the task (labels are `0..classes`).
    pub classes: usize,
    /// Synthetic images per class.
    pub ipc: usize,
    /// The network the method matches through (the papers: the evaluation ConvNet).
    pub spec: &'a ModelSpec,
    pub device: &'a B::Device,
}

/// A learned synthetic set: `classes * ipc` images, class-major, in the data's
/// normalised units.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticSet {
    pub images: Vec<f32>,
    pub labels: Vec<u32>,
    pub shape: ExampleShape,
    /// Optimisation iterations run.
    pub iterations: usize,
    /// Wall-clock seconds of condensation.
    pub seconds: f64,
}

impl SyntheticSet {
    /// Seconds per iteration (0 without iterations).
    pub fn seconds_per_iteration(&self) -> f64 {
        if self.iterations == 0 {
            0.0
        } else {
            self.seconds / self.iterations as f64
        }
    }

    /// The set as a [`LabeledSet`] of `classes` classes (to train evaluation models on).
    pub fn to_labeled_set(&self, like: &LabeledSet) -> Result<LabeledSet, String> {
        LabeledSet::new(
            self.shape,
            like.num_classes,
            self.images.clone(),
            self.labels.clone(),
        )
        .map(|mut set| {
            set.pad_value.clone_from(&like.pad_value);
            set
        })
        .map_err(|e| e.to_string())
    }
}

/// A condensation method as configured.
#[derive(Clone, Debug, PartialEq)]
pub enum CondenseMethod {
    Dm(DmParams),
    /// DM with model augmentation.
    DmMa(DmParams),
    /// Gradient matching; `dsa` is the same with Siamese augmentation by default, `dcc`
    /// with contrastive signals, `dc_ma` with model augmentation.
    Dc(DcParams),
    Dsa(DcParams),
    Dcc(DcParams),
    DcMa(DcParams),
}

impl CondenseMethod {
    /// Registry name.
    pub fn name(&self) -> &'static str {
        match self {
            CondenseMethod::Dm(_) => "dm",
            CondenseMethod::DmMa(_) => "dm_ma",
            CondenseMethod::Dc(_) => "dc",
            CondenseMethod::Dsa(_) => "dsa",
            CondenseMethod::Dcc(_) => "dcc",
            CondenseMethod::DcMa(_) => "dc_ma",
        }
    }

    /// Gradient matching (the ConvNet's hand-written gradients; convnet only).
    pub fn matches_gradients(&self) -> bool {
        self.gradient_params().is_some()
    }

    fn gradient_params(&self) -> Option<&DcParams> {
        match self {
            CondenseMethod::Dc(p)
            | CondenseMethod::Dsa(p)
            | CondenseMethod::Dcc(p)
            | CondenseMethod::DcMa(p) => Some(p),
            CondenseMethod::Dm(_) | CondenseMethod::DmMa(_) => None,
        }
    }

    /// The checks that need the ipc (gradient matching's loop table).
    pub fn check_ipc(&self, ipc: usize) -> Result<(), String> {
        match self.gradient_params() {
            Some(p) => p.check_ipc(ipc),
            None => Ok(()),
        }
    }

    /// The resolved parameters as compact JSON (`method_params`).
    pub fn params_json(&self) -> String {
        match self {
            CondenseMethod::Dm(p) | CondenseMethod::DmMa(p) => crate::params::to_json(p),
            CondenseMethod::Dc(p)
            | CondenseMethod::Dsa(p)
            | CondenseMethod::Dcc(p)
            | CondenseMethod::DcMa(p) => crate::params::to_json(p),
        }
    }

    /// Learns the synthetic set. `on_iteration(done, loss)` reports progress.
    pub fn condense<B: AutodiffBackend>(
        &self,
        request: &CondenseRequest<'_, B>,
        rng: &mut ChaCha8Rng,
        on_iteration: &mut dyn FnMut(usize, f64),
    ) -> Result<SyntheticSet, StrategyError> {
        match self {
            CondenseMethod::Dm(p) | CondenseMethod::DmMa(p) => {
                condense_dm(self.name(), p, request, rng, on_iteration)
            }
            CondenseMethod::Dc(p)
            | CondenseMethod::Dsa(p)
            | CondenseMethod::Dcc(p)
            | CondenseMethod::DcMa(p) => condense_dc(self.name(), p, request, rng, on_iteration),
        }
    }

    /// Iterations the method will run (for progress and cost estimates).
    pub fn iterations(&self) -> usize {
        match self {
            CondenseMethod::Dm(p) | CondenseMethod::DmMa(p) => p.iterations,
            CondenseMethod::Dc(p)
            | CondenseMethod::Dsa(p)
            | CondenseMethod::Dcc(p)
            | CondenseMethod::DcMa(p) => p.iterations,
        }
    }
}

/// One registered condensation method.
#[derive(Clone, Copy, Debug)]
pub struct CondenseInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamInfo],
    build: fn(&serde_json::Value) -> Result<CondenseMethod, String>,
}

static REGISTRY: &[CondenseInfo] = &[CondenseInfo {
    name: "dm",
    summary: "distribution matching: per-class mean embeddings of fresh random networks (Zhao & Bilen 2023)",
    params: &DM_PARAMS,
    build: |v| parse("dm", v, DmParams::default()).map(CondenseMethod::Dm),
},
CondenseInfo {
    name: "dm_ma",
    summary: "dm with model augmentation: perturbed early-stage models instead of fresh networks (Zhang et al. 2023)",
    params: &DM_MA_PARAMS,
    build: |v| parse("dm_ma", v, DmParams::with_model_augmentation()).map(CondenseMethod::DmMa),
},
CondenseInfo {
    name: "dc",
    summary: "gradient matching: per-class cosine distance of real and synthetic gradients (Zhao et al. 2021); convnet only",
    params: &DC_PARAMS,
    build: |v| parse("dc", v, DcParams::dc()).map(CondenseMethod::Dc),
},
CondenseInfo {
    name: "dsa",
    summary: "gradient matching with differentiable Siamese augmentation (Zhao & Bilen 2021); convnet only",
    params: &DC_PARAMS,
    build: |v| parse("dsa", v, DcParams::dsa()).map(CondenseMethod::Dsa),
},
CondenseInfo {
    name: "dcc",
    summary: "gradient matching with contrastive signals: class-collective matching after a warm-up (Lee et al. 2022); convnet only",
    params: &DCC_PARAMS,
    build: |v| parse("dcc", v, DcParams::dcc()).map(CondenseMethod::Dcc),
},
CondenseInfo {
    name: "dc_ma",
    summary: "dc with model augmentation: perturbed early-stage models instead of fresh networks (Zhang et al. 2023); convnet only",
    params: &DC_MA_PARAMS,
    build: |v| parse("dc_ma", v, DcParams::dc_ma()).map(CondenseMethod::DcMa),
}];

pub(crate) const DM_PARAMS: [ParamInfo; 6] = [
    ParamInfo {
        name: "iterations",
        default: "20000",
        help: "image updates",
    },
    ParamInfo {
        name: "lr_img",
        default: "1.0",
        help: "SGD learning rate on the synthetic images",
    },
    ParamInfo {
        name: "momentum",
        default: "0.5",
        help: "SGD momentum on the synthetic images",
    },
    ParamInfo {
        name: "batch_real",
        default: "256",
        help: "real images per class per iteration",
    },
    ParamInfo {
        name: "init",
        default: "real",
        help: "real (random real images) or noise",
    },
    ParamInfo {
        name: "dsa",
        default: "color_crop_cutout_flip_scale_rotate",
        help: "Siamese augmentation families, or none",
    },
];

const MODEL_AUGMENTATION: ParamInfo = ParamInfo {
    name: "model_augmentation",
    default: "{ pool_size = 5, pool_epochs = 2, pool_examples = 0 (all), pool_batch = 64, pool_lr = 0.01, perturbation = 0.1 }",
    help: "early-stage pool trained on the real data; each network is a pool member plus filter-normalised noise of magnitude up to `perturbation`",
};

const DM_MA_PARAMS: [ParamInfo; 7] = [
    DM_PARAMS[0],
    DM_PARAMS[1],
    DM_PARAMS[2],
    DM_PARAMS[3],
    DM_PARAMS[4],
    DM_PARAMS[5],
    MODEL_AUGMENTATION,
];

const DC_MA_PARAMS: [ParamInfo; 11] = [
    DC_PARAMS[0],
    DC_PARAMS[1],
    DC_PARAMS[2],
    DC_PARAMS[3],
    DC_PARAMS[4],
    DC_PARAMS[5],
    DC_PARAMS[6],
    DC_PARAMS[7],
    DC_PARAMS[8],
    DC_PARAMS[9],
    MODEL_AUGMENTATION,
];

const DCC_PARAMS: [ParamInfo; 11] = [
    DC_PARAMS[0],
    DC_PARAMS[1],
    DC_PARAMS[2],
    DC_PARAMS[3],
    DC_PARAMS[4],
    DC_PARAMS[5],
    ParamInfo {
        name: "outer_loop",
        default: "0 (by ipc: 10, 10, 20, 30, 40, 50 — DCC's table)",
        help: "matching steps per network",
    },
    ParamInfo {
        name: "inner_loop",
        default: "0 (by ipc: 5, 50, 25, 20, 15, 10 — DCC's table)",
        help: "inner training epochs between matching steps",
    },
    ParamInfo {
        name: "init",
        default: "real",
        help: "noise or real",
    },
    DC_PARAMS[9],
    ParamInfo {
        name: "contrast",
        default: "{ outer_warmup = 250, inner_warmup = 10 }",
        help: "a step is contrastive once iteration >= outer_warmup or its index within the iteration >= inner_warmup",
    },
];

const DC_PARAMS: [ParamInfo; 10] = [
    ParamInfo {
        name: "iterations",
        default: "1000",
        help: "outer iterations, each with a fresh network",
    },
    ParamInfo {
        name: "lr_img",
        default: "0.1",
        help: "SGD learning rate on the synthetic images",
    },
    ParamInfo {
        name: "momentum",
        default: "0.5",
        help: "SGD momentum on the synthetic images",
    },
    ParamInfo {
        name: "lr_net",
        default: "0.01",
        help: "SGD learning rate of the network's inner training",
    },
    ParamInfo {
        name: "batch_real",
        default: "256",
        help: "real images per class per matching step",
    },
    ParamInfo {
        name: "batch_train",
        default: "256",
        help: "batch of the inner training",
    },
    ParamInfo {
        name: "outer_loop",
        default: "0 (by ipc: 1, 10, 20, 30, 40, 50)",
        help: "matching steps per network",
    },
    ParamInfo {
        name: "inner_loop",
        default: "0 (by ipc: 1, 50, 25, 20, 15, 10)",
        help: "inner training epochs between matching steps",
    },
    ParamInfo {
        name: "init",
        default: "noise (dc) / real (dsa)",
        help: "noise or real",
    },
    ParamInfo {
        name: "dsa",
        default: "none (dc) / color_crop_cutout_flip_scale_rotate (dsa)",
        help: "Siamese augmentation families, or none",
    },
];

/// Every registered condensation method.
pub fn condense_registry() -> &'static [CondenseInfo] {
    REGISTRY
}

/// Names of the condensation methods.
pub fn condense_method_names() -> Vec<&'static str> {
    REGISTRY.iter().map(|m| m.name).collect()
}

/// Builds a method from its config name and parameters.
pub fn build_condense_method(
    name: &str,
    params: &serde_json::Value,
) -> Result<CondenseMethod, RegistryError> {
    let info = REGISTRY.iter().find(|m| m.name == name).ok_or_else(|| {
        RegistryError::UnknownStrategy(unknown_name_message(
            "condensation method",
            name,
            &condense_method_names(),
        ))
    })?;
    (info.build)(params).map_err(|message| RegistryError::BadParams {
        strategy: name.to_string(),
        message,
    })
}

/// The rows of each class; every class needs at least `ipc` of them.
pub(crate) fn class_rows(
    data: &LabeledSet,
    classes: usize,
    ipc: usize,
) -> Result<Vec<Vec<usize>>, StrategyError> {
    let mut rows = data.indices_by_class();
    rows.resize(classes, Vec::new());
    if let Some((c, r)) = rows.iter().enumerate().find(|(_, r)| r.len() < ipc) {
        return Err(StrategyError::Request {
            strategy: "condense".into(),
            message: format!(
                "class {c} has {} training images, fewer than ipc = {ipc}",
                r.len()
            ),
        });
    }
    Ok(rows)
}

/// The starting synthetic images, class-major: random real images of each class
/// (distinct), or standard normal noise.
pub(crate) fn initial_images(
    data: &LabeledSet,
    by_class: &[Vec<usize>],
    ipc: usize,
    init: SyntheticInit,
    rng: &mut ChaCha8Rng,
) -> Vec<f32> {
    let total = by_class.len() * ipc * data.shape.len();
    match init {
        SyntheticInit::Real => {
            let mut images = Vec::with_capacity(total);
            for rows in by_class {
                let mut chosen = rows.clone();
                chosen.shuffle(rng);
                for &r in &chosen[..ipc] {
                    images.extend_from_slice(data.example(r));
                }
            }
            images
        }
        SyntheticInit::Noise => (0..total).map(|_| standard_normal(rng)).collect(),
    }
}

/// `[0; ipc], [1; ipc], ...`
pub(crate) fn synthetic_labels(classes: usize, ipc: usize) -> Vec<u32> {
    (0..classes as u32)
        .flat_map(|c| std::iter::repeat_n(c, ipc))
        .collect()
}

/// Draws a class's random real batch (without replacement) and, when augmenting, the
/// Siamese transform it shares with the class's synthetic images — already applied to
/// the real batch. One gather buffer is reused across draws.
pub(crate) struct RealBatches<'a> {
    data: &'a LabeledSet,
    batch: usize,
    dsa: Option<&'a sieve_datasets::DsaStrategy>,
    buffer: Vec<f32>,
    labels: Vec<u32>,
    scratch: Vec<f32>,
}

impl<'a> RealBatches<'a> {
    pub(crate) fn new(
        data: &'a LabeledSet,
        batch: usize,
        dsa: Option<&'a sieve_datasets::DsaStrategy>,
    ) -> Self {
        Self {
            data,
            batch,
            dsa,
            buffer: Vec::new(),
            labels: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The batch from `rows` (one class) and the transform to apply to its synthetic side.
    pub(crate) fn draw<B: burn::tensor::backend::Backend>(
        &mut self,
        rows: &[usize],
        rng: &mut ChaCha8Rng,
        device: &B::Device,
    ) -> (
        burn::tensor::Tensor<B, 4>,
        Option<sieve_datasets::DsaTransform>,
    ) {
        let shape = self.data.shape;
        let mut picked = rows.to_vec();
        picked.shuffle(rng);
        picked.truncate(self.batch);
        self.data
            .gather(&picked, &mut self.buffer, &mut self.labels);
        let transform = self.dsa.map(|s| s.sample(shape, rng));
        if let Some(t) = &transform {
            for example in self.buffer.chunks_exact_mut(shape.len()) {
                t.apply(example, shape, &mut self.scratch);
            }
        }
        let real = burn::tensor::Tensor::from_data(
            burn::tensor::TensorData::new(
                self.buffer.clone(),
                [picked.len(), shape.channels, shape.height, shape.width],
            ),
            device,
        );
        (real, transform)
    }
}

/// A standard normal draw (Box–Muller).
pub(crate) fn standard_normal(rng: &mut ChaCha8Rng) -> f32 {
    use rand::Rng;
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}
