//! Class-balanced buffers rebuilt at each task's end (iCaRL's exemplar sets): every class
//! seen gets `capacity / classes seen` slots; an old class is trimmed to its new quota by
//! dropping its last-added examples (herding's and k-center's orders keep the most
//! representative first, as iCaRL's `reduce_exemplar_sets`); a new class's examples are
//! chosen from the task's rows by the method.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{Matrix, StrategyError};

use crate::active::farthest_first;
use crate::coreset::herding::herding_order;

use super::{ReplayBuffer, TaskEnd};

/// How a new class's exemplars are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exemplars {
    /// At random.
    Random,
    /// Herding on the model's embeddings: the running mean follows the class mean.
    Herding,
    /// k-center greedy on the model's embeddings: each next the farthest from those kept.
    KCenter,
}

/// `capacity / classes` per class, the remainder to the first classes.
pub fn class_quotas(capacity: usize, classes: &[u32]) -> Vec<usize> {
    let n = classes.len().max(1);
    (0..classes.len())
        .map(|i| capacity / n + usize::from(i < capacity % n))
        .collect()
}

/// The task-end rebuild.
pub(crate) fn rebuild(
    exemplars: Exemplars,
    method: &str,
    buffer: &mut ReplayBuffer,
    end: &TaskEnd<'_>,
    rng: &mut ChaCha8Rng,
) -> Result<(), StrategyError> {
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
        let picked = match exemplars {
            Exemplars::Random => {
                let mut p = positions.clone();
                p.shuffle(rng);
                p.truncate(q);
                p
            }
            Exemplars::Herding | Exemplars::KCenter => {
                let embeddings = end.embeddings.ok_or_else(|| StrategyError::Request {
                    strategy: method.into(),
                    message: format!("{method} needs the model's embeddings"),
                })?;
                let class_embeddings = gather(embeddings, &positions);
                let order = if exemplars == Exemplars::Herding {
                    herding_order(
                        &class_embeddings.data,
                        positions.len(),
                        class_embeddings.cols,
                        q.min(positions.len()),
                    )
                } else {
                    let none = Matrix::new(0, class_embeddings.cols, Vec::new());
                    farthest_first(&class_embeddings, &none, q, rng)
                };
                order.into_iter().map(|k| positions[k]).collect()
            }
        };
        next.extend(picked.into_iter().map(|p| end.task_rows[p]));
    }
    buffer.rows = next;
    Ok(())
}

/// The rows `positions` of `m`.
fn gather(m: &Matrix, positions: &[usize]) -> Matrix {
    let mut data = Vec::with_capacity(positions.len() * m.cols);
    for &p in positions {
        data.extend_from_slice(m.row(p));
    }
    Matrix::new(positions.len(), m.cols, data)
}
