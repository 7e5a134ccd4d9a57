//! `dm` as a replay buffer: at each task's end the new classes are condensed by
//! distribution matching (Zhao & Bilen 2023, `condense::condense_dm`) into their
//! class-balanced quota of synthetic images, and the buffer replays those instead of real
//! examples (the condensed-replay idea of Wiewel & Yang 2021 and Sangermano et al. 2022,
//! with DM as the condenser). Old classes keep their first images up to the new quota, as
//! the selected class-balanced buffers do.

use burn::tensor::backend::AutodiffBackend;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelSpec, StrategyError};
use sieve_datasets::LabeledSet;

use crate::condense::{condense_dm, CondenseRequest, DmParams};

use super::balanced::class_quotas;

/// The synthetic images a condensed buffer holds, with their (original) labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CondensedImages {
    /// `labels.len()` images, row-major in the data's normalised units.
    pub images: Vec<f32>,
    pub labels: Vec<u32>,
}

impl CondensedImages {
    /// Images held.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// What a condensed task end needs.
pub struct CondenseTask<'a, B: AutodiffBackend> {
    /// The training set the task's rows index.
    pub data: &'a LabeledSet,
    /// The task's (labeled) training rows.
    pub task_rows: &'a [usize],
    /// Classes seen so far, this task's included, in order.
    pub classes_seen: &'a [u32],
    /// Buffer slots.
    pub capacity: usize,
    /// The network DM embeds through (freshly initialised each iteration).
    pub spec: &'a ModelSpec,
    pub device: &'a B::Device,
}

/// The buffer after a task: old classes trimmed to their quota, new classes condensed.
/// `on_iteration(class, done, loss)` reports DM's progress on each new class.
pub fn condense_task_end<B: AutodiffBackend>(
    params: &DmParams,
    held: &CondensedImages,
    task: &CondenseTask<'_, B>,
    rng: &mut ChaCha8Rng,
    on_iteration: &mut dyn FnMut(u32, usize, f64),
) -> Result<CondensedImages, StrategyError> {
    let dim = task.data.shape.len();
    let quota = class_quotas(task.capacity, task.classes_seen);
    let mut next = CondensedImages::default();
    let mut new_classes: Vec<(u32, usize)> = Vec::new();
    for (&class, &q) in task.classes_seen.iter().zip(&quota) {
        let old: Vec<usize> = (0..held.len())
            .filter(|&k| held.labels[k] == class)
            .collect();
        if old.is_empty() {
            // Never more images than the class has rows (a small labeled fraction).
            let available = task
                .task_rows
                .iter()
                .filter(|&&r| task.data.labels[r] == class)
                .count();
            if available > 0 {
                new_classes.push((class, q.min(available)));
            }
            continue;
        }
        for &k in old.iter().take(q) {
            next.images
                .extend_from_slice(&held.images[k * dim..(k + 1) * dim]);
            next.labels.push(class);
        }
    }
    // One DM run per new class at its own quota: DM's loss is a sum of per-class terms,
    // so a class's images never depend on another class's.
    for (class, q) in new_classes {
        let rows: Vec<usize> = task
            .task_rows
            .iter()
            .copied()
            .filter(|&r| task.data.labels[r] == class)
            .collect();
        let mut subset = task.data.subset(&rows);
        subset.labels = vec![0; rows.len()];
        subset.num_classes = 1;
        let synthetic = condense_dm::<B>(
            "dm",
            params,
            &CondenseRequest {
                data: &subset,
                classes: 1,
                ipc: q,
                spec: task.spec,
                device: task.device,
            },
            rng,
            &mut |done, loss| on_iteration(class, done, loss),
        )?;
        next.images.extend_from_slice(&synthetic.images);
        next.labels.extend(std::iter::repeat_n(class, q));
    }
    Ok(next)
}
