//! Moving gathered host batches onto the device.

use burn::tensor::{backend::Backend, Tensor, TensorData};
use sieve_datasets::{ExampleShape, LabeledSet};

use crate::CoreError;

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

/// Runs `per_batch` over the rows `indices` of `data`, `batch_size` at a time, and
/// concatenates what it returns (row order follows `indices`). The one gather buffer is
/// reused across batches.
pub fn map_batches<B: Backend>(
    data: &LabeledSet,
    indices: &[usize],
    batch_size: usize,
    device: &B::Device,
    mut per_batch: impl FnMut(Tensor<B, 4>) -> Result<Vec<f32>, CoreError>,
) -> Result<Vec<f32>, CoreError> {
    let mut out = Vec::new();
    let (mut buffer, mut labels) = (Vec::new(), Vec::new());
    for chunk in indices.chunks(batch_size.max(1)) {
        data.gather(chunk, &mut buffer, &mut labels);
        let x = batch_tensor::<B>(buffer.clone(), chunk.len(), data.shape, device);
        out.extend(per_batch(x)?);
    }
    Ok(out)
}

/// Reads a tensor's values back to the host as `f32`.
pub fn read_f32<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Result<Vec<f32>, CoreError> {
    tensor
        .into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .map_err(|e| CoreError::TensorRead(format!("{e:?}")))
}
