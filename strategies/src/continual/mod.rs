//! Replay-buffer methods for continual learning (`kind = "continual"`): which
//! `buffer_size` examples of the tasks seen so far are kept and replayed while later
//! tasks train (Experience Replay; mammoth's `Buffer`).
//!
//! - `reservoir` — reservoir sampling over the stream of training examples, every epoch's
//!   presentations included (mammoth's `reservoir`): the reference;
//! - `ring` — a fixed `buffer_size / tasks` portion per task, holding the last examples
//!   of the task's stream (mammoth's ring buffer, FIFO per task);
//! - `gdumb` — GDumb's greedy class-balancing sampler over the stream (each example
//!   offered once), used as ER's buffer;
//! - `random`, `herding`, `kcenter` — at each task's end, class-balanced quotas
//!   (`buffer_size / classes seen`) with the new classes' examples drawn at random
//!   (iCaRL's random-exemplar baseline), by herding (iCaRL) or by k-center greedy on the
//!   current model's embeddings;
//! - `dm` — a condensed buffer: the same quotas of synthetic images learned from each new
//!   class by distribution matching;
//! - `nn_pseudo_label` — for the semi-supervised setting: `random`'s buffer, and each
//!   task's unlabeled rows trained on with soft nearest-neighbour pseudo-labels;
//! - `labeled_steps_matched` — its compute-matched control: the same buffer and a second
//!   pass of as many steps, on the labeled rows only.

mod balanced;
mod condensed;
mod pseudo_label;
mod stream;

pub use balanced::class_quotas;
pub use condensed::{condense_task_end, CondenseTask, CondensedImages};
pub use pseudo_label::{soft_nearest_neighbour_labels, PseudoLabel, PseudoLabelParams};

use std::collections::HashSet;

use balanced::Exemplars;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{Matrix, StrategyError};

use crate::condense::{DmParams, DM_PARAMS};
use crate::coreset::parse;
use crate::registry::{no_params, ParamInfo, RegistryError};

/// A buffer method as configured.
#[derive(Clone, Debug, PartialEq)]
pub enum BufferMethod {
    Reservoir,
    Ring,
    Gdumb,
    Random,
    Herding,
    KCenter,
    /// Distribution matching into synthetic images.
    Condensed(DmParams),
    /// `random`'s buffer plus pseudo-labels for the unlabeled rows.
    NnPseudoLabel(PseudoLabelParams),
    /// `random`'s buffer plus a labeled-only second pass of `nn_pseudo_label`'s length.
    LabeledStepsMatched,
}

/// One registered method.
#[derive(Clone, Copy, Debug)]
pub struct BufferInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamInfo],
    build: fn(&serde_json::Value) -> Result<BufferMethod, String>,
}

const PSEUDO_LABEL_PARAMS: [ParamInfo; 2] = [
    ParamInfo {
        name: "temperature",
        default: "0.1",
        help: "softmax temperature over cosine similarities to the labeled support (PAWS, NNCSL)",
    },
    ParamInfo {
        name: "threshold",
        default: "0.0",
        help: "train only on pseudo-labels at least this probable (0: all)",
    },
];

static REGISTRY: &[BufferInfo] = &[
    BufferInfo {
        name: "reservoir",
        summary: "reservoir sampling over the training stream (the reference; Experience Replay)",
        params: &[],
        build: |v| no_params(v).map(|()| BufferMethod::Reservoir),
    },
    BufferInfo {
        name: "ring",
        summary: "buffer_size / tasks slots per task, the last examples of its stream (FIFO)",
        params: &[],
        build: |v| no_params(v).map(|()| BufferMethod::Ring),
    },
    BufferInfo {
        name: "gdumb",
        summary: "GDumb's greedy class balancing over the stream: a full buffer evicts from its largest class",
        params: &[],
        build: |v| no_params(v).map(|()| BufferMethod::Gdumb),
    },
    BufferInfo {
        name: "random",
        summary: "at task end, buffer_size / classes seen per class, new classes drawn at random",
        params: &[],
        build: |v| no_params(v).map(|()| BufferMethod::Random),
    },
    BufferInfo {
        name: "herding",
        summary:
            "at task end, class-balanced; new classes by herding on the model's embeddings (iCaRL)",
        params: &[],
        build: |v| no_params(v).map(|()| BufferMethod::Herding),
    },
    BufferInfo {
        name: "kcenter",
        summary: "at task end, class-balanced; new classes by k-center greedy on the model's embeddings",
        params: &[],
        build: |v| no_params(v).map(|()| BufferMethod::KCenter),
    },
    BufferInfo {
        name: "dm",
        summary: "condensed buffer: at task end, each new class's quota of synthetic images learned by distribution matching",
        params: &DM_PARAMS,
        build: |v| parse("dm", v, DmParams::default()).map(BufferMethod::Condensed),
    },
    BufferInfo {
        name: "nn_pseudo_label",
        summary: "semi-supervised: random's labeled buffer; each task then retrains with soft nearest-neighbour pseudo-labels on its unlabeled rows",
        params: &PSEUDO_LABEL_PARAMS,
        build: |v| {
            parse("nn_pseudo_label", v, PseudoLabelParams::default())
                .map(BufferMethod::NnPseudoLabel)
        },
    },
    BufferInfo {
        name: "labeled_steps_matched",
        summary: "semi-supervised control: random's buffer; each task retrains on its labeled rows only, as many steps as nn_pseudo_label's second pass",
        params: &[],
        build: |v| no_params(v).map(|()| BufferMethod::LabeledStepsMatched),
    },
];

/// Every registered buffer method.
pub fn buffer_registry() -> &'static [BufferInfo] {
    REGISTRY
}

/// Names of the buffer methods.
pub fn buffer_method_names() -> Vec<&'static str> {
    REGISTRY.iter().map(|m| m.name).collect()
}

/// Builds a method from its config name and parameters.
pub fn build_buffer_method(
    name: &str,
    params: &serde_json::Value,
) -> Result<BufferMethod, RegistryError> {
    let info = REGISTRY.iter().find(|m| m.name == name).ok_or_else(|| {
        RegistryError::UnknownStrategy(sieve_bench_core::names::unknown_name_message(
            "replay buffer method",
            name,
            &buffer_method_names(),
        ))
    })?;
    (info.build)(params).map_err(|message| RegistryError::BadParams {
        strategy: name.to_string(),
        message,
    })
}

/// The replay buffer: rows of the training data.
#[derive(Clone, Debug, Default)]
pub struct ReplayBuffer {
    pub capacity: usize,
    /// The rows held, in the order they were added (for `dm`, positions in
    /// [`ReplayBuffer::condensed`]).
    pub rows: Vec<usize>,
    /// Examples offered to the stream so far.
    pub seen: usize,
    /// `dm`: the synthetic images held.
    pub condensed: CondensedImages,
    /// `ring`: the task's slot, filled as the stream goes.
    ring_current: Vec<usize>,
    /// `gdumb`: rows already offered (each is offered once).
    offered: HashSet<usize>,
}

impl ReplayBuffer {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            ..Self::default()
        }
    }
}

/// What a task-end update needs.
pub struct TaskEnd<'a> {
    /// The task's training rows.
    pub task_rows: &'a [usize],
    /// Labels of every training row.
    pub labels: &'a [u32],
    /// Tasks in the sequence, and the index of the one that ended.
    pub tasks: usize,
    pub task: usize,
    /// Classes seen so far (this task's included).
    pub classes_seen: &'a [u32],
    /// `herding`, `kcenter`: the model's embeddings of `task_rows`, in that order.
    pub embeddings: Option<&'a Matrix>,
}

impl BufferMethod {
    /// Registry name.
    pub fn name(&self) -> &'static str {
        match self {
            BufferMethod::Reservoir => "reservoir",
            BufferMethod::Ring => "ring",
            BufferMethod::Gdumb => "gdumb",
            BufferMethod::Random => "random",
            BufferMethod::Herding => "herding",
            BufferMethod::KCenter => "kcenter",
            BufferMethod::Condensed(_) => "dm",
            BufferMethod::NnPseudoLabel(_) => "nn_pseudo_label",
            BufferMethod::LabeledStepsMatched => "labeled_steps_matched",
        }
    }

    /// The parameters as canonical JSON: `{}` for the parameterless methods (what their
    /// trial ids always hashed), the full parameter set otherwise.
    pub fn params_json(&self) -> String {
        match self {
            BufferMethod::Condensed(p) => crate::params::to_json(p),
            BufferMethod::NnPseudoLabel(p) => crate::params::to_json(p),
            _ => "{}".to_string(),
        }
    }

    /// Whether the buffer follows the training stream step by step (else it changes
    /// only at task ends).
    pub fn streams(&self) -> bool {
        matches!(
            self,
            BufferMethod::Reservoir | BufferMethod::Ring | BufferMethod::Gdumb
        )
    }

    /// Whether [`BufferMethod::end_task`] reads the model's embeddings.
    pub fn needs_embeddings(&self) -> bool {
        matches!(self, BufferMethod::Herding | BufferMethod::KCenter)
    }

    /// Whether the method trains on the unlabeled rows of the semi-supervised setting.
    pub fn uses_unlabeled(&self) -> bool {
        matches!(self, BufferMethod::NnPseudoLabel(_))
    }

    /// Whether the method only means something in the semi-supervised setting (it needs
    /// a `labeled_fraction` below 1).
    pub fn semi_supervised_only(&self) -> bool {
        matches!(
            self,
            BufferMethod::NnPseudoLabel(_) | BufferMethod::LabeledStepsMatched
        )
    }

    /// One training step's rows offered to the buffer (`labels`: of every row).
    pub fn on_stream(
        &self,
        buffer: &mut ReplayBuffer,
        rows: &[usize],
        labels: &[u32],
        rng: &mut ChaCha8Rng,
    ) {
        match self {
            BufferMethod::Reservoir => stream::reservoir(buffer, rows, rng),
            BufferMethod::Ring => buffer.ring_current.extend_from_slice(rows),
            BufferMethod::Gdumb => stream::greedy_balance(buffer, rows, labels, rng),
            _ => {}
        }
    }

    /// The buffer after a task ends (`dm`'s condensation is the protocol's, through
    /// [`condense_task_end`], since it needs a backend).
    pub fn end_task(
        &self,
        buffer: &mut ReplayBuffer,
        end: &TaskEnd<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<(), StrategyError> {
        let exemplars = match self {
            BufferMethod::Reservoir | BufferMethod::Gdumb | BufferMethod::Condensed(_) => {
                return Ok(())
            }
            BufferMethod::Ring => {
                stream::close_ring(buffer, buffer.capacity / end.tasks.max(1));
                return Ok(());
            }
            BufferMethod::Random
            | BufferMethod::NnPseudoLabel(_)
            | BufferMethod::LabeledStepsMatched => Exemplars::Random,
            BufferMethod::Herding => Exemplars::Herding,
            BufferMethod::KCenter => Exemplars::KCenter,
        };
        balanced::rebuild(exemplars, self.name(), buffer, end, rng)
    }

    /// Rows to replay with one step: `count` drawn without replacement from the buffer
    /// (all of it when smaller), mammoth's `get_data`.
    pub fn replay(&self, buffer: &ReplayBuffer, count: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
        let mut rows = buffer.rows.clone();
        rows.shuffle(rng);
        rows.truncate(count);
        rows
    }
}
