//! sieve's batch norm against burn's `BatchNorm` module: in a training step (autodiff
//! backend) the output, the gradients of the input, γ and β, and the running statistics
//! after the step; with the running statistics (inference backend) the output.
#![allow(clippy::unwrap_used)]

mod common;

use burn::backend::{flex::FlexDevice, Autodiff, Flex};
use burn::module::Param;
use burn::nn::{BatchNorm, BatchNormConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use common::{close, data};
use sieve_bench_core::cpu_ops::{batch_norm_inference, batch_norm_training};

type Cpu = Autodiff<Flex>;

fn input<B: Backend<Device = FlexDevice>>(dims: [usize; 4], salt: usize) -> Tensor<B, 4> {
    let n: usize = dims.iter().product();
    let values: Vec<f32> = (0..n)
        .map(|i| ((i * 37 + 11 + salt) % 101) as f32 / 25.0 - 2.0 + (i % 7) as f32 * 0.3)
        .collect();
    Tensor::from_data(TensorData::new(values, dims), &FlexDevice)
}

/// A batch norm with non-trivial γ, β, momentum and epsilon.
fn norm<B: Backend<Device = FlexDevice>>(channels: usize) -> BatchNorm<B> {
    let mut norm = BatchNormConfig::new(channels)
        .with_momentum(0.3)
        .with_epsilon(1e-3)
        .init::<B>(&FlexDevice);
    let gamma: Vec<f32> = (0..channels).map(|c| 0.5 + c as f32 * 0.25).collect();
    let beta: Vec<f32> = (0..channels).map(|c| c as f32 * 0.1 - 0.2).collect();
    norm.gamma = Param::from_data(TensorData::new(gamma, [channels]), &FlexDevice);
    norm.beta = Param::from_data(TensorData::new(beta, [channels]), &FlexDevice);
    norm
}

#[test]
fn a_training_step_equals_burns_module() {
    for dims in [[4, 3, 5, 6], [2, 8, 7, 7], [3, 2, 1, 1]] {
        let weights = input::<Cpu>(dims, 5).cos();
        let run = |fused: bool| {
            let norm = norm::<Cpu>(dims[1]);
            let x = input::<Cpu>(dims, 0).require_grad();
            let y = if fused {
                batch_norm_training(&norm, x.clone())
            } else {
                norm.forward(x.clone())
            };
            // A second step on other data, so the running statistics blend twice.
            let _ = if fused {
                batch_norm_training(&norm, input::<Cpu>(dims, 3))
            } else {
                norm.forward(input::<Cpu>(dims, 3))
            };
            let out = data(y.clone().inner());
            let grads = (y * weights.clone()).sum().backward();
            (
                out,
                data(x.grad(&grads).unwrap()),
                data(norm.gamma.val().grad(&grads).unwrap()),
                data(norm.beta.val().grad(&grads).unwrap()),
                data(norm.running_mean.value_sync()),
                data(norm.running_var.value_sync()),
            )
        };
        let (got, want) = (run(true), run(false));
        let what = format!("{dims:?}");
        close(got.0, want.0, &format!("{what} output"));
        close(got.1, want.1, &format!("{what} input gradient"));
        close(got.2, want.2, &format!("{what} gamma gradient"));
        close(got.3, want.3, &format!("{what} beta gradient"));
        close(got.4, want.4, &format!("{what} running mean"));
        close(got.5, want.5, &format!("{what} running variance"));
    }
}

#[test]
fn inference_with_running_statistics_equals_burns_module() {
    let dims = [3, 4, 5, 5];
    // Move the running statistics away from zeros and ones with burn's own training.
    let trained = norm::<Cpu>(dims[1]);
    let _ = trained.forward(input::<Cpu>(dims, 1));
    let norm: BatchNorm<Flex> = BatchNorm {
        gamma: Param::from_data(trained.gamma.val().inner().into_data(), &FlexDevice),
        beta: Param::from_data(trained.beta.val().inner().into_data(), &FlexDevice),
        running_mean: burn::module::RunningState::new(trained.running_mean.value_sync().inner()),
        running_var: burn::module::RunningState::new(trained.running_var.value_sync().inner()),
        momentum: trained.momentum,
        epsilon: trained.epsilon,
    };
    assert!(data(norm.running_var.value_sync())
        .iter()
        .all(|&v| (v - 1.0).abs() > 1e-3));
    let x = input::<Flex>(dims, 2);
    // On the inference backend burn's module normalises with the running statistics.
    close(
        data(batch_norm_inference(&norm, x.clone())),
        data(norm.forward(x)),
        "inference",
    );
}
