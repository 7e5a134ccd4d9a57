//! DeepFool (Moosavi-Dezfooli et al. 2016), the smallest perturbation that changes a
//! model's prediction, found by iterated linearisation of the decision boundaries. It
//! needs gradients of every logit with respect to the input, so it runs on the autodiff
//! backend; the trained network is moved there for the attack only.
//!
//! As DeepCore's `DeepFool` (the coreset score): the attack leaves the *predicted* class,
//! adds no overshoot, and stops an example as soon as its prediction changes or after
//! `max_iter` iterations; the score is `||r_total||²`. A zero gradient difference is
//! floored (1e-12) instead of dividing by zero. Without overshoot a step lands *on* the
//! boundary, where ties keep the original class (argmax takes the first), so DeepCore
//! spends the rest of `max_iter` on steps of zero or rounding size for such examples
//! (15% of a trained LeNet's Fashion-MNIST images). sieve stops an example whose gap to
//! the chosen class is within four units in the last place, and takes all remaining
//! steps at once when a step leaves the input unchanged: the same norms to about 1e-7,
//! a third of the time (docs/benchmarks.md).

use burn::module::{AutodiffModule, Module};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use sieve_datasets::LabeledSet;

use crate::train::{argmax, read_f32};
use crate::{CoreError, Network};

/// Smallest squared gradient difference divided by.
const FLOOR: f64 = 1e-12;

/// Whether two logits are within a few units in the last place of each other.
fn at_boundary(own: f32, other: f32) -> bool {
    let scale = own.abs().max(other.abs()).max(1.0);
    (own - other).abs() <= 4.0 * f32::EPSILON * scale
}

/// One example under attack.
struct Slot {
    /// Its position in `rows` (where its norm goes).
    position: usize,
    /// The perturbed input.
    x: Vec<f32>,
    /// The accumulated perturbation, in f64 as the norm is taken from it.
    total: Vec<f64>,
    /// The class predicted before any perturbation (set by the first pass).
    original: Option<usize>,
    steps: usize,
}

impl Slot {
    fn norm(&self) -> f32 {
        self.total.iter().map(|r| r * r).sum::<f64>() as f32
    }
}

/// `||r||²` of DeepFool's perturbation for each of `rows` of `data`.
///
/// Every logit's input gradient comes from one backward pass: the examples under attack
/// are stacked once per class and copy `k` back-propagates logit `k` (the rows are
/// independent, so each row's input gradient is its own logit's). The network's
/// parameters take no gradient. Examples leave as soon as they are done and new ones take
/// their place, so every pass is full until the rows run out. At most `batch_size` input
/// rows (examples × classes) go through one pass.
pub fn deepfool_norms<B: AutodiffBackend>(
    model: &Network<B::InnerBackend>,
    data: &LabeledSet,
    rows: &[usize],
    batch_size: usize,
    max_iter: usize,
    device: &B::Device,
) -> Result<Vec<f32>, CoreError> {
    let mut out = vec![0.0f32; rows.len()];
    if max_iter == 0 || rows.is_empty() {
        return Ok(out);
    }
    let network = Network::<B>::from_inner(model.clone()).no_grad();
    let classes = model.head_parameters().0.dims()[1];
    let shape = data.shape;
    let dims = shape.len();
    let width = (batch_size / classes.max(1)).max(1);
    let mut slots: Vec<Slot> = Vec::with_capacity(width);
    let mut next = 0;
    let (mut buffer, mut labels) = (Vec::new(), Vec::new());
    loop {
        while slots.len() < width && next < rows.len() {
            data.gather(&rows[next..=next], &mut buffer, &mut labels);
            slots.push(Slot {
                position: next,
                x: buffer.clone(),
                total: vec![0.0; dims],
                original: None,
                steps: 0,
            });
            next += 1;
        }
        if slots.is_empty() {
            break;
        }
        let m = slots.len();
        let (values, grads) = logits_and_gradients::<B>(&network, &slots, classes, shape, device)?;
        let mut still = Vec::with_capacity(m);
        for (a, mut slot) in slots.drain(..).enumerate() {
            let f = &values[a * classes..(a + 1) * classes];
            let predicted = argmax(f);
            let k0 = *slot.original.get_or_insert(predicted);
            if predicted != k0 {
                out[slot.position] = slot.norm(); // the prediction changed: done
                continue;
            }
            let grad = |k: usize| &grads[(k * m + a) * dims..(k * m + a + 1) * dims];
            let squared_difference = |k: usize| -> f64 {
                grad(k)
                    .iter()
                    .zip(grad(k0))
                    .map(|(a, b)| f64::from(a - b).powi(2))
                    .sum::<f64>()
                    .max(FLOOR)
            };
            let mut best: Option<(f64, usize, f64, f64)> = None; // (distance, class, |f'|, ||w'||²)
            for k in (0..classes).filter(|&k| k != k0) {
                let fk = f64::from(f[k] - f[k0]).abs();
                let wk = squared_difference(k);
                let distance = fk / wk.sqrt();
                if best.is_none_or(|(d, ..)| distance < d) {
                    best = Some((distance, k, fk, wk));
                }
            }
            let Some((_, k, fk, wk)) = best else {
                out[slot.position] = slot.norm();
                continue;
            };
            let step = fk / wk;
            let (gk, g0) = (grad(k), grad(k0));
            let mut moved = false;
            for d in 0..dims {
                let r = step * f64::from(gk[d] - g0[d]);
                slot.total[d] += r;
                let before = slot.x[d];
                slot.x[d] += r as f32;
                moved |= slot.x[d] != before;
            }
            slot.steps += 1;
            if at_boundary(f[k0], f[k]) {
                // Within rounding of a tie: the example sits on the boundary and further
                // iterations would only add rounding-sized steps (DeepCore takes them).
                slot.steps = max_iter;
            } else if !moved && slot.steps < max_iter {
                // The input did not change (a tie, or a step below f32's resolution), so
                // every remaining iteration would take this same step: take them at once.
                let remaining = (max_iter - slot.steps) as f64;
                for d in 0..dims {
                    slot.total[d] += remaining * step * f64::from(gk[d] - g0[d]);
                }
                slot.steps = max_iter;
            }
            if slot.steps == max_iter {
                out[slot.position] = slot.norm();
            } else {
                still.push(slot);
            }
        }
        slots = still;
    }
    Ok(out)
}

/// The logits of every slot's input and, per class `k`, the input gradient of logit `k`
/// (`grads[(k·m + a)·dims ..]` for slot `a` of `m`).
fn logits_and_gradients<B: AutodiffBackend>(
    network: &Network<B>,
    slots: &[Slot],
    classes: usize,
    shape: sieve_datasets::ExampleShape,
    device: &B::Device,
) -> Result<(Vec<f32>, Vec<f32>), CoreError> {
    let m = slots.len();
    let dims = shape.len();
    let mut xs = Vec::with_capacity(classes * m * dims);
    for _ in 0..classes {
        for slot in slots {
            xs.extend_from_slice(&slot.x);
        }
    }
    let leaf = Tensor::<B, 4>::from_data(
        TensorData::new(xs, [classes * m, shape.channels, shape.height, shape.width]),
        device,
    )
    .require_grad();
    let logits = network.forward(leaf.clone(), 0.0, false);
    let values = read_f32(logits.clone().slice([0..m, 0..classes]))?;
    let mut one_hot = vec![0f32; classes * m * classes];
    for k in 0..classes {
        for a in 0..m {
            one_hot[(k * m + a) * classes + k] = 1.0;
        }
    }
    let selector =
        Tensor::<B, 2>::from_data(TensorData::new(one_hot, [classes * m, classes]), device);
    let gradients = (logits * selector).sum().backward();
    let grad = leaf
        .grad(&gradients)
        .ok_or_else(|| CoreError::invalid("deepfool", "no input gradient from the backend"))?;
    Ok((values, read_f32(grad)?))
}
