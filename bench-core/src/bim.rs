//! BIM, the basic iterative method (Kurakin, Goodfellow & Bengio 2017), as the active
//! learning score of DISTIL's `AdversarialBIM`: from each example, step the input by
//! `epsilon · sign(∇ₓ CE(f(x), ŷ))` (ŷ the original prediction) until the prediction
//! changes, and score `||η||²`, the squared norm of the accumulated perturbation. A small
//! score means the example sits close to a decision boundary.
//!
//! DISTIL loops until the prediction changes, without bound; sieve stops after
//! `max_iter` steps and keeps the perturbation reached (the largest scores). Like
//! DISTIL, every example takes at least one step. `sign(0) = 0`, as torch's.

use burn::module::AutodiffModule;
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use sieve_datasets::LabeledSet;

use crate::train::{argmax, read_f32};
use crate::{CoreError, Network};

/// `||η||²` of BIM's perturbation for each of `rows` of `data`.
pub fn bim_norms<B: AutodiffBackend>(
    model: &Network<B::InnerBackend>,
    data: &LabeledSet,
    rows: &[usize],
    batch_size: usize,
    epsilon: f64,
    max_iter: usize,
    device: &B::Device,
) -> Result<Vec<f32>, CoreError> {
    let network = Network::<B>::from_inner(model.clone());
    let inner = network.valid();
    let shape = data.shape;
    let dims = shape.len();
    let mut out = Vec::with_capacity(rows.len());
    let (mut buffer, mut labels) = (Vec::new(), Vec::new());
    for chunk in rows.chunks(batch_size.max(1)) {
        data.gather(chunk, &mut buffer, &mut labels);
        let n = chunk.len();
        let mut x = buffer.clone();
        let mut eta = vec![0.0f64; n * dims];
        let input_of = |x: &[f32], active: &[usize]| {
            let mut xs = Vec::with_capacity(active.len() * dims);
            for &i in active {
                xs.extend_from_slice(&x[i * dims..(i + 1) * dims]);
            }
            Tensor::<B::InnerBackend, 4>::from_data(
                TensorData::new(
                    xs,
                    [active.len(), shape.channels, shape.height, shape.width],
                ),
                device,
            )
        };
        let predictions = |x: &[f32], active: &[usize]| -> Result<Vec<usize>, CoreError> {
            let logits = inner.forward(input_of(x, active), 0.0, false);
            let classes = logits.dims()[1];
            let values = read_f32(logits)?;
            Ok(values.chunks(classes.max(1)).map(argmax).collect())
        };
        let all: Vec<usize> = (0..n).collect();
        let original = predictions(&x, &all)?;
        let mut active = all;
        for _ in 0..max_iter {
            if active.is_empty() {
                break;
            }
            let m = active.len();
            let leaf = Tensor::<B, 4>::from_inner(input_of(&x, &active)).require_grad();
            let logits = network.forward(leaf.clone(), 0.0, false);
            let classes = logits.dims()[1];
            let mut one_hot = vec![0f32; m * classes];
            for (a, &i) in active.iter().enumerate() {
                one_hot[a * classes + original[i]] = 1.0;
            }
            let target = Tensor::<B, 2>::from_data(TensorData::new(one_hot, [m, classes]), device);
            // The summed cross-entropy: each example's input gradient is its own loss's.
            let loss = (log_softmax(logits, 1) * target).sum().neg();
            let gradients = loss.backward();
            let grad = leaf
                .grad(&gradients)
                .ok_or_else(|| CoreError::invalid("bim", "no input gradient from the backend"))?;
            let grad = read_f32(grad)?;
            for (a, &i) in active.iter().enumerate() {
                for d in 0..dims {
                    let g = grad[a * dims + d];
                    let step = if g > 0.0 {
                        epsilon
                    } else if g < 0.0 {
                        -epsilon
                    } else {
                        0.0
                    };
                    eta[i * dims + d] += step;
                    x[i * dims + d] = buffer[i * dims + d] + eta[i * dims + d] as f32;
                }
            }
            let now = predictions(&x, &active)?;
            active = active
                .iter()
                .zip(now)
                .filter(|&(&i, p)| p == original[i])
                .map(|(&i, _)| i)
                .collect();
        }
        for i in 0..n {
            let norm: f64 = eta[i * dims..(i + 1) * dims].iter().map(|r| r * r).sum();
            out.push(norm as f32);
        }
    }
    Ok(out)
}
