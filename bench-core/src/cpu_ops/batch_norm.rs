//! Batch norm (ResNet-18's, the VGGs'): sieve's kernels on the CPU backend, burn's
//! operations elsewhere. In a training step the batch's statistics normalise and the
//! running statistics move toward them exactly as in burn's `BatchNorm::forward`
//! (`running = (1 − momentum)·running + momentum·batch`, biased variance); everywhere else
//! the running statistics normalise (PyTorch's `eval()`).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::{Flex, FlexDevice, FlexTensor};
use burn::nn::BatchNorm;
use burn::tensor::backend::Backend;
use burn::tensor::{DType, Tensor, TensorData, TensorPrimitive};

use super::batch_norm_kernels::{self as kernels, ChannelStats, Planes};
use super::cast::{cast, cast_back, param_on};
use super::conv_autodiff::CpuAutodiff;
use super::flex::{register_gradient, values};

/// A training step's batch norm: normalised by the batch, running statistics updated.
pub fn batch_norm_training<B: Backend>(norm: &BatchNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    if x.dtype() != DType::F32 {
        return norm.forward(x);
    }
    let device = x.device();
    let x = match cast::<Tensor<B, 4>, Tensor<CpuAutodiff, 4>>(x) {
        Ok(x) => x,
        Err(x) => return norm.forward(x),
    };
    let gamma: Tensor<CpuAutodiff, 1> = param_on(norm.gamma.val());
    let beta: Tensor<CpuAutodiff, 1> = param_on(norm.beta.val());
    let (y, stats) = autodiff_batch_norm(x, gamma, beta, norm.epsilon);
    update_running(norm, &stats, &device);
    cast_back(y)
}

/// Batch norm with the running statistics (evaluation, pool scoring, input gradients).
pub fn batch_norm_inference<B: Backend>(norm: &BatchNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    if x.dtype() != DType::F32 {
        return generic_inference(norm, x);
    }
    match cast::<Tensor<B, 4>, Tensor<Flex, 4>>(x) {
        Ok(x) => {
            let [images, channels, h, w] = x.dims();
            let (scale, shift) = running_scale_shift(norm);
            let x = x.into_primitive().tensor();
            let shape = Planes {
                images,
                channels,
                plane: h * w,
            };
            let y = kernels::scale_shift(&values(&x), shape, &scale, &shift);
            cast_back(Tensor::<Flex, 4>::from_data(
                TensorData::new(y, [images, channels, h, w]),
                &FlexDevice,
            ))
        }
        Err(x) => generic_inference(norm, x),
    }
}

/// Reads a per-channel tensor's values (running statistics, γ, β: a few hundred floats).
fn channel_values<B: Backend>(t: Tensor<B, 1>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .unwrap_or_default()
}

/// `scale = γ / sqrt(running_var + eps)`, `shift = β − running_mean · scale`.
fn running_scale_shift<B: Backend>(norm: &BatchNorm<B>) -> (Vec<f32>, Vec<f32>) {
    // `value_sync`: `value` may lag one update behind the last training step.
    let mean = channel_values(norm.running_mean.value_sync());
    let var = channel_values(norm.running_var.value_sync());
    let gamma = channel_values(norm.gamma.val());
    let beta = channel_values(norm.beta.val());
    let mut scale = Vec::with_capacity(mean.len());
    let mut shift = Vec::with_capacity(mean.len());
    for c in 0..mean.len() {
        let inv = 1.0 / (f64::from(var[c]) + norm.epsilon).sqrt();
        let a = f64::from(gamma[c]) * inv;
        scale.push(a as f32);
        shift.push((f64::from(beta[c]) - f64::from(mean[c]) * a) as f32);
    }
    (scale, shift)
}

/// The running-statistics normalisation in burn's tensor operations (other backends,
/// and input gradients through an evaluated network on the autodiff backend).
fn generic_inference<B: Backend>(norm: &BatchNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let device = x.device();
    let shape = [1, x.dims()[1], 1, 1];
    let mean = norm
        .running_mean
        .value_sync()
        .to_device(&device)
        .reshape(shape);
    let var = norm
        .running_var
        .value_sync()
        .to_device(&device)
        .reshape(shape);
    let gamma = norm.gamma.val().reshape(shape);
    let beta = norm.beta.val().reshape(shape);
    x.sub(mean)
        .div(var.add_scalar(norm.epsilon).sqrt())
        .mul(gamma)
        .add(beta)
}

/// burn's update of the running statistics, with the batch's mean and biased variance.
fn update_running<B: Backend>(norm: &BatchNorm<B>, stats: &ChannelStats, device: &B::Device) {
    let momentum = norm.momentum as f32;
    let blend = |running: Vec<f32>, batch: &[f32]| -> Vec<f32> {
        running
            .iter()
            .zip(batch)
            .map(|(&r, &b)| r * (1.0 - momentum) + b * momentum)
            .collect()
    };
    let channels = stats.mean.len();
    let mean = blend(channel_values(norm.running_mean.value_sync()), &stats.mean);
    let var = blend(channel_values(norm.running_var.value_sync()), &stats.var);
    norm.running_mean
        .update(Tensor::from_data(TensorData::new(mean, [channels]), device));
    norm.running_var
        .update(Tensor::from_data(TensorData::new(var, [channels]), device));
}

/// What the backward pass needs: the input, γ, and the batch statistics.
#[derive(Clone, Debug)]
struct BatchNormState {
    input: FlexTensor,
    gamma: FlexTensor,
    stats: ChannelStats,
    dims: [usize; 4],
}

#[derive(Debug)]
struct BatchNormBackward;

impl Backward<Flex, 3> for BatchNormBackward {
    type State = BatchNormState;

    fn backward(self, ops: Ops<BatchNormState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input, gamma, beta] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let state = ops.state;
        let [images, channels, h, w] = state.dims;
        let out = kernels::backward(
            &values(&state.input),
            &values(&dy),
            Planes {
                images,
                channels,
                plane: h * w,
            },
            &values(&state.gamma),
            &state.stats,
            input.is_some(),
        );
        register_gradient(grads, input.map(|n| n.id), out.input, state.dims.to_vec());
        register_gradient(grads, gamma.map(|n| n.id), out.gamma, vec![channels]);
        register_gradient(grads, beta.map(|n| n.id), out.beta, vec![channels]);
    }
}

fn autodiff_batch_norm(
    x: Tensor<CpuAutodiff, 4>,
    gamma: Tensor<CpuAutodiff, 1>,
    beta: Tensor<CpuAutodiff, 1>,
    eps: f64,
) -> (Tensor<CpuAutodiff, 4>, ChannelStats) {
    let dims = x.dims();
    let [images, channels, h, w] = dims;
    let x = x.into_primitive().tensor();
    let (gamma, beta) = (
        gamma.into_primitive().tensor(),
        beta.into_primitive().tensor(),
    );
    let input = x.primitive.to_contiguous();
    let (y, stats) = kernels::forward_train(
        &values(&input),
        Planes {
            images,
            channels,
            plane: h * w,
        },
        &values(&gamma.primitive),
        &values(&beta.primitive),
        eps,
    );
    let output = FlexTensor::from_data(TensorData::new(y, dims.to_vec()));
    let state = BatchNormState {
        input,
        gamma: gamma.primitive.clone(),
        stats: stats.clone(),
        dims,
    };
    let out = match BatchNormBackward
        .prepare::<NoCheckpointing>([x.node.clone(), gamma.node.clone(), beta.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(state, output),
        OpsKind::UnTracked(prep) => prep.finish(output),
    };
    (Tensor::from_primitive(TensorPrimitive::Float(out)), stats)
}
