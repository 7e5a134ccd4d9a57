//! sieve's fused instance norm against burn's `InstanceNorm` module: outputs on `Flex`,
//! and outputs and the gradients of the input, γ and β on `Autodiff<Flex>`, with and
//! without the affine transform; and the ConvNet block's fused norm → ReLU → 2x2 average
//! pool against burn's three operations, odd map sizes included.
#![allow(clippy::unwrap_used)]

mod common;

use burn::backend::{flex::FlexDevice, Autodiff, Flex};
use burn::module::Param;
use burn::nn::{InstanceNorm, InstanceNormConfig};
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::module::avg_pool2d;
use burn::tensor::{Tensor, TensorData};
use common::{close, data};
use sieve_bench_core::cpu_ops::{instance_norm, instance_norm_relu_pool};

type Cpu = Autodiff<Flex>;

fn input<B: Backend<Device = FlexDevice>>(dims: [usize; 4]) -> Tensor<B, 4> {
    let n: usize = dims.iter().product();
    let values: Vec<f32> = (0..n)
        .map(|i| ((i * 37 + 11) % 101) as f32 / 25.0 - 2.0 + (i % 7) as f32 * 0.3)
        .collect();
    Tensor::from_data(TensorData::new(values, dims), &FlexDevice)
}

fn norm<B: Backend<Device = FlexDevice>>(channels: usize, affine: bool) -> InstanceNorm<B> {
    let mut norm = InstanceNormConfig::new(channels)
        .with_affine(affine)
        .init::<B>(&FlexDevice);
    if affine {
        let gamma: Vec<f32> = (0..channels).map(|c| 0.5 + c as f32 * 0.25).collect();
        let beta: Vec<f32> = (0..channels).map(|c| c as f32 * 0.1 - 0.2).collect();
        norm.gamma = Some(Param::from_data(
            TensorData::new(gamma, [channels]),
            &FlexDevice,
        ));
        norm.beta = Some(Param::from_data(
            TensorData::new(beta, [channels]),
            &FlexDevice,
        ));
    }
    norm
}

#[test]
fn outputs_equal_burns_module_on_the_inference_backend() {
    for affine in [true, false] {
        for dims in [[2, 3, 4, 5], [3, 8, 7, 7], [1, 2, 1, 9]] {
            let norm = norm::<Flex>(dims[1], affine);
            let x = input::<Flex>(dims);
            close(
                data(instance_norm(x.clone(), &norm)),
                data(norm.forward(x)),
                &format!("{dims:?} affine {affine}"),
            );
        }
    }
}

/// Runs `fused` and `reference` on the same input and norm, each followed by a weighted
/// sum (so every output position has its own upstream gradient), and compares outputs and
/// the input, γ and β gradients.
fn same_gradients(
    dims: [usize; 4],
    out_dims: [usize; 4],
    affine: bool,
    what: &str,
    fused: fn(Tensor<Cpu, 4>, &InstanceNorm<Cpu>) -> Tensor<Cpu, 4>,
    reference: fn(Tensor<Cpu, 4>, &InstanceNorm<Cpu>) -> Tensor<Cpu, 4>,
) {
    let weights = input::<Cpu>(out_dims).cos();
    let run = |op: fn(Tensor<Cpu, 4>, &InstanceNorm<Cpu>) -> Tensor<Cpu, 4>| {
        let norm = norm::<Cpu>(dims[1], affine);
        let x = input::<Cpu>(dims).require_grad();
        let y = op(x.clone(), &norm);
        let out = data(y.clone().inner());
        let grads = (y * weights.clone()).sum().backward();
        let dx = data(x.grad(&grads).unwrap());
        let dgamma = norm
            .gamma
            .as_ref()
            .map(|g| data(g.val().grad(&grads).unwrap()));
        let dbeta = norm
            .beta
            .as_ref()
            .map(|b| data(b.val().grad(&grads).unwrap()));
        (out, dx, dgamma, dbeta)
    };
    let (fused, reference) = (run(fused), run(reference));
    close(fused.0, reference.0, &format!("{what} output"));
    close(fused.1, reference.1, &format!("{what} input gradient"));
    if affine {
        close(
            fused.2.unwrap(),
            reference.2.unwrap(),
            &format!("{what} gamma gradient"),
        );
        close(
            fused.3.unwrap(),
            reference.3.unwrap(),
            &format!("{what} beta gradient"),
        );
    }
}

#[test]
fn gradients_equal_burns_module_on_the_training_backend() {
    for affine in [true, false] {
        for dims in [[2, 3, 4, 5], [3, 8, 7, 7]] {
            same_gradients(
                dims,
                dims,
                affine,
                &format!("{dims:?} affine {affine}"),
                instance_norm,
                |x, norm| norm.forward(x),
            );
        }
    }
}

/// burn's ConvNet block after the convolution: the module's norm, ReLU, 2x2 average pool.
fn burn_block<B: Backend>(x: Tensor<B, 4>, norm: &InstanceNorm<B>) -> Tensor<B, 4> {
    avg_pool2d(relu(norm.forward(x)), [2, 2], [2, 2], [0, 0], true, false)
}

const BLOCK_DIMS: [[usize; 4]; 4] = [[2, 3, 4, 6], [3, 8, 7, 7], [1, 2, 5, 2], [2, 4, 32, 32]];

#[test]
fn fused_block_outputs_equal_burns_operations_on_the_inference_backend() {
    for affine in [true, false] {
        for dims in BLOCK_DIMS {
            let norm = norm::<Flex>(dims[1], affine);
            let x = input::<Flex>(dims);
            let got = instance_norm_relu_pool(x.clone(), &norm);
            assert_eq!(got.dims(), [dims[0], dims[1], dims[2] / 2, dims[3] / 2]);
            close(
                data(got),
                data(burn_block(x, &norm)),
                &format!("{dims:?} affine {affine}"),
            );
        }
    }
}

#[test]
fn fused_block_gradients_equal_burns_operations_on_the_training_backend() {
    for affine in [true, false] {
        for dims in BLOCK_DIMS {
            same_gradients(
                dims,
                [dims[0], dims[1], dims[2] / 2, dims[3] / 2],
                affine,
                &format!("block {dims:?} affine {affine}"),
                instance_norm_relu_pool,
                burn_block,
            );
        }
    }
}
