//! Replay-buffer selection for continual learning (`kind = "continual"`): which
//! `buffer_size` examples of the tasks seen so far are kept and replayed while later
//! tasks train (Experience Replay; mammoth's `Buffer`).
//!
//! - `reservoir` — reservoir sampling over the stream of training examples, every epoch's
//!   presentations included (mammoth's `reservoir`): the reference;
//! - `ring` — a fixed `buffer_size / tasks` portion per task, holding the last examples
//!   of the task's stream (mammoth's ring buffer, FIFO per task);
//! - `random` — at each task's end, class-balanced quotas (`buffer_size / classes seen`)
//!   with the new classes' examples drawn at random (iCaRL's random-exemplar baseline);
//! - `herding` — the same quotas, the new classes' examples chosen by herding on the
//!   current model's embeddings (iCaRL's exemplar selection).
//!
//! Class-balanced methods trim an old class to its new quota by dropping its last-added
//! examples (herding's order keeps the best first, as iCaRL's `reduce_exemplar_sets`).

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{Matrix, StrategyError};

use crate::coreset::herding::herding_order;
use crate::registry::{build_parameterless, RegistryError};

/// A buffer selection method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferMethod {
    Reservoir,
    Ring,
    Random,
    Herding,
}

/// One registered method.
#[derive(Clone, Copy, Debug)]
pub struct BufferInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub method: BufferMethod,
}

static REGISTRY: &[BufferInfo] = &[
    BufferInfo {
        name: "reservoir",
        summary: "reservoir sampling over the training stream (the reference; Experience Replay)",
        method: BufferMethod::Reservoir,
    },
    BufferInfo {
        name: "ring",
        summary: "buffer_size / tasks slots per task, the last examples of its stream (FIFO)",
        method: BufferMethod::Ring,
    },
    BufferInfo {
        name: "random",
        summary: "at task end, buffer_size / classes seen per class, new classes drawn at random",
        method: BufferMethod::Random,
    },
    BufferInfo {
        name: "herding",
        summary:
            "at task end, class-balanced; new classes by herding on the model's embeddings (iCaRL)",
        method: BufferMethod::Herding,
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

/// Builds a method from its config name (none takes parameters).
pub fn build_buffer_method(
    name: &str,
    params: &serde_json::Value,
) -> Result<BufferMethod, RegistryError> {
    let entries: Vec<(&'static str, BufferMethod)> =
        REGISTRY.iter().map(|m| (m.name, m.method)).collect();
    build_parameterless("replay buffer method", name, params, &entries)
}

/// The replay buffer: rows of the training data.
#[derive(Clone, Debug, Default)]
pub struct ReplayBuffer {
    pub capacity: usize,
    /// The rows held, in the order they were added.
    pub rows: Vec<usize>,
    /// Examples offered to the reservoir so far.
    pub seen: usize,
    /// `ring`: the task's slot, filled as the stream goes.
    ring_current: Vec<usize>,
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
    /// `herding`: the model's embeddings of `task_rows`, in that order.
    pub embeddings: Option<&'a Matrix>,
}

impl BufferMethod {
    /// Registry name.
    pub fn name(&self) -> &'static str {
        REGISTRY
            .iter()
            .find(|m| m.method == *self)
            .map_or("?", |m| m.name)
    }

    /// Whether the buffer follows the training stream step by step (else it changes
    /// only at task ends).
    pub fn streams(&self) -> bool {
        matches!(self, BufferMethod::Reservoir | BufferMethod::Ring)
    }

    /// Whether [`BufferMethod::end_task`] reads the model's embeddings.
    pub fn needs_embeddings(&self) -> bool {
        matches!(self, BufferMethod::Herding)
    }

    /// One training step's rows offered to the buffer.
    pub fn on_stream(&self, buffer: &mut ReplayBuffer, rows: &[usize], rng: &mut ChaCha8Rng) {
        match self {
            BufferMethod::Reservoir => {
                for &row in rows {
                    if buffer.rows.len() < buffer.capacity {
                        buffer.rows.push(row);
                    } else {
                        let j = rng.random_range(0..=buffer.seen);
                        if j < buffer.capacity {
                            buffer.rows[j] = row;
                        }
                    }
                    buffer.seen += 1;
                }
            }
            BufferMethod::Ring => buffer.ring_current.extend_from_slice(rows),
            BufferMethod::Random | BufferMethod::Herding => {}
        }
    }

    /// The buffer after a task ends.
    pub fn end_task(
        &self,
        buffer: &mut ReplayBuffer,
        end: &TaskEnd<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<(), StrategyError> {
        match self {
            BufferMethod::Reservoir => Ok(()),
            BufferMethod::Ring => {
                let slot = buffer.capacity / end.tasks.max(1);
                // The last `slot` distinct rows of the task's stream, newest last.
                let mut kept: Vec<usize> = Vec::with_capacity(slot);
                for &row in buffer.ring_current.iter().rev() {
                    if kept.len() == slot {
                        break;
                    }
                    if !kept.contains(&row) {
                        kept.push(row);
                    }
                }
                kept.reverse();
                buffer.rows.extend(kept);
                buffer.ring_current.clear();
                Ok(())
            }
            BufferMethod::Random | BufferMethod::Herding => {
                let quota = class_quotas(buffer.capacity, end.classes_seen);
                let mut next = Vec::with_capacity(buffer.capacity);
                for (&class, &q) in end.classes_seen.iter().zip(&quota) {
                    let old: Vec<usize> = buffer
                        .rows
                        .iter()
                        .copied()
                        .filter(|&r| end.labels[r] == class)
                        .collect();
                    if !old.is_empty() {
                        next.extend(old.into_iter().take(q));
                        continue;
                    }
                    let positions: Vec<usize> = (0..end.task_rows.len())
                        .filter(|&p| end.labels[end.task_rows[p]] == class)
                        .collect();
                    let picked: Vec<usize> = if *self == BufferMethod::Random {
                        let mut p = positions.clone();
                        p.shuffle(rng);
                        p.truncate(q);
                        p
                    } else {
                        let embeddings = end.embeddings.ok_or_else(|| StrategyError::Request {
                            strategy: self.name().into(),
                            message: "herding needs the model's embeddings".into(),
                        })?;
                        let d = embeddings.cols;
                        let mut x = Vec::with_capacity(positions.len() * d);
                        for &p in &positions {
                            x.extend_from_slice(embeddings.row(p));
                        }
                        herding_order(&x, positions.len(), d, q.min(positions.len()))
                            .into_iter()
                            .map(|k| positions[k])
                            .collect()
                    };
                    next.extend(picked.into_iter().map(|p| end.task_rows[p]));
                }
                buffer.rows = next;
                Ok(())
            }
        }
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

/// `capacity / classes` per class, the remainder to the first classes.
pub fn class_quotas(capacity: usize, classes: &[u32]) -> Vec<usize> {
    let n = classes.len().max(1);
    (0..classes.len())
        .map(|i| capacity / n + usize::from(i < capacity % n))
        .collect()
}
