//! Moving gathered host batches onto the device.

use burn::tensor::{backend::Backend, Tensor, TensorData};
use sieve_datasets::ExampleShape;

/// A `[n, c, h, w]` tensor from a row-major host buffer of `n` examples.
pub fn batch_tensor<B: Backend>(
    buffer: Vec<f32>,
    n: usize,
    shape: ExampleShape,
    device: &B::Device,
) -> Tensor<B, 4> {
    Tensor::from_data(
        TensorData::new(buffer, [n, shape.channels, shape.height, shape.width]),
        device,
    )
}

/// Label-smoothed one-hot targets `[n, classes]`: `1 - eps + eps/C` on the label, `eps/C`
/// elsewhere (eps = 0 gives plain one-hot).
pub fn smoothed_targets<B: Backend>(
    labels: &[u32],
    classes: usize,
    eps: f64,
    device: &B::Device,
) -> Tensor<B, 2> {
    let off = (eps / classes as f64) as f32;
    let on = (1.0 - eps) as f32 + off;
    let mut data = vec![off; labels.len() * classes];
    for (row, &label) in labels.iter().enumerate() {
        data[row * classes + label as usize] = on;
    }
    Tensor::from_data(TensorData::new(data, [labels.len(), classes]), device)
}
