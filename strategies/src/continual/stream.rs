//! Buffers that follow the training stream step by step.

use std::collections::BTreeMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::ReplayBuffer;

/// Reservoir sampling (Vitter's algorithm R, mammoth's `reservoir`): after `n` offers
/// every offered row is held with probability `capacity / n`. Every presentation counts,
/// so a row offered in two epochs is offered twice.
pub(crate) fn reservoir(buffer: &mut ReplayBuffer, rows: &[usize], rng: &mut ChaCha8Rng) {
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

/// The ring's task end: the last `slot` distinct rows of the task's stream, newest last,
/// appended to the buffer.
pub(crate) fn close_ring(buffer: &mut ReplayBuffer, slot: usize) {
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
}

/// GDumb's greedy class-balancing sampler (Prabhu et al. 2020): each example is offered
/// once, on its first presentation. With `k_c = capacity / classes held`, an example is
/// stored when its class is new to the buffer or holds fewer than `k_c`; when the buffer
/// is full a random example of the largest class (the first in order of arrival among
/// equals) makes room.
pub(crate) fn greedy_balance(
    buffer: &mut ReplayBuffer,
    rows: &[usize],
    labels: &[u32],
    rng: &mut ChaCha8Rng,
) {
    for &row in rows {
        if !buffer.offered.insert(row) {
            continue;
        }
        buffer.seen += 1;
        let class = labels[row];
        let mut counts: BTreeMap<u32, (usize, usize)> = BTreeMap::new();
        for (order, &held) in buffer.rows.iter().enumerate() {
            let entry = counts.entry(labels[held]).or_insert((0, order));
            entry.0 += 1;
        }
        let k_c = buffer.capacity / counts.len().max(1);
        let count = counts.get(&class).map_or(0, |c| c.0);
        if counts.contains_key(&class) && count >= k_c {
            continue;
        }
        if buffer.rows.len() >= buffer.capacity {
            // The largest class; among equals the one that arrived first.
            let Some((&largest, _)) = counts
                .iter()
                .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
            else {
                continue;
            };
            let positions: Vec<usize> = (0..buffer.rows.len())
                .filter(|&p| labels[buffer.rows[p]] == largest)
                .collect();
            let victim = positions[rng.random_range(0..positions.len())];
            buffer.rows.remove(victim);
        }
        buffer.rows.push(row);
    }
}
