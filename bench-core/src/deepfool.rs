//! DeepFool (Moosavi-Dezfooli et al. 2016), the smallest perturbation that changes a
//! model's prediction, found by iterated linearisation of the decision boundaries. It
//! needs gradients of every logit with respect to the input, so it runs on the autodiff
//! backend; the trained network is moved there for the attack only.
//!
//! As DeepCore's `DeepFool` (the coreset score): the attack leaves the *predicted* class,
//! adds no overshoot, and stops an example as soon as its prediction changes or after
//! `max_iter` iterations; the score is `||r_total||²`. A zero gradient difference is
//! floored (1e-12) instead of dividing by zero.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use sieve_datasets::LabeledSet;

use crate::train::{argmax, read_f32};
use crate::{CoreError, Network};

/// Smallest squared gradient difference divided by.
const FLOOR: f64 = 1e-12;

/// `||r||²` of DeepFool's perturbation for each of `rows` of `data`.
pub fn deepfool_norms<B: AutodiffBackend>(
    model: &Network<B::InnerBackend>,
    data: &LabeledSet,
    rows: &[usize],
    batch_size: usize,
    max_iter: usize,
    device: &B::Device,
) -> Result<Vec<f32>, CoreError> {
    let network = Network::<B>::from_inner(model.clone());
    let shape = data.shape;
    let dims = shape.len();
    let mut out = Vec::with_capacity(rows.len());
    let (mut buffer, mut labels) = (Vec::new(), Vec::new());
    for chunk in rows.chunks(batch_size.max(1)) {
        data.gather(chunk, &mut buffer, &mut labels);
        let n = chunk.len();
        let mut x = buffer.clone();
        let mut total = vec![0.0f64; n * dims];
        let inner = network.valid();
        let input_of = |x: &[f32], active: &[usize]| {
            let m = active.len();
            let mut xs = Vec::with_capacity(m * dims);
            for &i in active {
                xs.extend_from_slice(&x[i * dims..(i + 1) * dims]);
            }
            Tensor::<B::InnerBackend, 4>::from_data(
                TensorData::new(xs, [m, shape.channels, shape.height, shape.width]),
                device,
            )
        };
        let logits = |x: &[f32], active: &[usize]| -> Result<(Vec<f32>, Vec<f32>), CoreError> {
            // Logits and, per class, the input gradient of the batch's sum of that logit
            // (examples are independent, so that is each example's own gradient).
            let m = active.len();
            let input = input_of(x, active);
            let out = inner.forward(input.clone(), 0.0, false);
            let classes = out.dims()[1];
            let values = read_f32(out)?;
            let mut grads = Vec::with_capacity(classes * m * dims);
            for k in 0..classes {
                let leaf = Tensor::<B, 4>::from_inner(input.clone()).require_grad();
                let logit = network
                    .forward(leaf.clone(), 0.0, false)
                    .slice([0..m, k..k + 1])
                    .sum();
                let gradients = logit.backward();
                let g = leaf.grad(&gradients).ok_or_else(|| {
                    CoreError::invalid("deepfool", "no input gradient from the backend")
                })?;
                grads.extend(read_f32(g)?);
            }
            Ok((values, grads))
        };
        let mut active: Vec<usize> = (0..n).collect();
        let first = read_f32(inner.forward(input_of(&x, &active), 0.0, false))?;
        let classes = first.len() / n.max(1);
        let original: Vec<usize> = (0..n)
            .map(|i| argmax(&first[i * classes..(i + 1) * classes]))
            .collect();
        for _ in 0..max_iter {
            if active.is_empty() {
                break;
            }
            let (values, grads) = logits(&x, &active)?;
            let m = active.len();
            let mut still = Vec::with_capacity(m);
            for (a, &i) in active.iter().enumerate() {
                let f = &values[a * classes..(a + 1) * classes];
                if argmax(f) != original[i] {
                    continue; // the prediction changed: done with this example
                }
                let k0 = original[i];
                let grad = |k: usize| &grads[(k * m + a) * dims..(k * m + a + 1) * dims];
                let mut best: Option<(f64, usize, f64)> = None; // (distance, class, |f'|)
                for k in (0..classes).filter(|&k| k != k0) {
                    let fk = f64::from(f[k] - f[k0]).abs();
                    let wk: f64 = grad(k)
                        .iter()
                        .zip(grad(k0))
                        .map(|(a, b)| f64::from(a - b).powi(2))
                        .sum::<f64>()
                        .max(FLOOR);
                    let distance = fk / wk.sqrt();
                    if best.is_none_or(|(d, _, _)| distance < d) {
                        best = Some((distance, k, fk));
                    }
                }
                let Some((_, k, fk)) = best else {
                    continue;
                };
                let (gk, g0) = (grad(k), grad(k0));
                let wk: f64 = gk
                    .iter()
                    .zip(g0)
                    .map(|(a, b)| f64::from(a - b).powi(2))
                    .sum::<f64>()
                    .max(FLOOR);
                let step = fk / wk;
                for d in 0..dims {
                    let r = step * f64::from(gk[d] - g0[d]);
                    total[i * dims + d] += r;
                    x[i * dims + d] += r as f32;
                }
                still.push(i);
            }
            active = still;
        }
        for i in 0..n {
            let norm: f64 = total[i * dims..(i + 1) * dims].iter().map(|r| r * r).sum();
            out.push(norm as f32);
        }
    }
    Ok(out)
}
