//! sieve's CPU convolution against burn's `Conv2d::forward`: the same outputs and the same
//! gradients for the input, weights and bias, on every geometry the models use and a few
//! they might (stride 2, 'same', 'valid', 1x1, no bias), on `Flex` and `Autodiff<Flex>`.
#![allow(clippy::unwrap_used)]

mod common;

use burn::backend::{Autodiff, Flex};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::PaddingConfig2d;
use burn::tensor::{backend::Backend, Tensor, TensorData};
use sieve_bench_core::cpu_ops::conv2d;

type Ad = Autodiff<Flex>;

fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec().unwrap()
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-4 * scale,
            "{what}[{i}]: sieve {g}, burn {w} (scale {scale})"
        );
    }
}

/// Deterministic values in [-1, 1] (no RNG: no lock needed).
fn pattern(n: usize, salt: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 37 + salt * 11) % 101) as f32 / 50.0 - 1.0)
        .collect()
}

struct Case {
    name: &'static str,
    input: [usize; 4],
    channels_out: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: PaddingConfig2d,
    bias: bool,
}

/// The case's input batch (deterministic values, no RNG).
fn input<B: Backend>(case: &Case, device: &B::Device) -> Tensor<B, 4> {
    Tensor::from_data(
        TensorData::new(pattern(case.input.iter().product(), 3), case.input),
        device,
    )
}

fn conv_of<B: Backend>(case: &Case, device: &B::Device) -> Conv2d<B> {
    let mut conv: Conv2d<B> = Conv2dConfig::new([case.input[1], case.channels_out], case.kernel)
        .with_stride(case.stride)
        .with_padding(case.padding.clone())
        .with_bias(case.bias)
        .init(device);
    let w = conv.weight.dims();
    conv.weight = conv.weight.map(|_| {
        Tensor::from_data(TensorData::new(pattern(w.iter().product(), 1), w), device).require_grad()
    });
    if let Some(bias) = conv.bias.take() {
        let n = bias.dims()[0];
        conv.bias = Some(bias.map(|_| {
            Tensor::from_data(TensorData::new(pattern(n, 2), [n]), device).require_grad()
        }));
    }
    conv
}

fn cases() -> Vec<Case> {
    let explicit = |p| PaddingConfig2d::Explicit(p, p, p, p);
    vec![
        Case {
            name: "lenet conv1",
            input: [3, 1, 28, 28],
            channels_out: 6,
            kernel: [5, 5],
            stride: [1, 1],
            padding: explicit(2),
            bias: true,
        },
        Case {
            name: "lenet conv2",
            input: [2, 6, 14, 14],
            channels_out: 16,
            kernel: [5, 5],
            stride: [1, 1],
            padding: explicit(2),
            bias: true,
        },
        Case {
            name: "convnet first layer",
            input: [2, 1, 28, 28],
            channels_out: 8,
            kernel: [3, 3],
            stride: [1, 1],
            padding: explicit(3),
            bias: true,
        },
        Case {
            name: "gal_cnn valid 4x4",
            input: [2, 3, 12, 11],
            channels_out: 5,
            kernel: [4, 4],
            stride: [1, 1],
            padding: PaddingConfig2d::Valid,
            bias: true,
        },
        Case {
            name: "resnet stem 7x7 stride 2",
            input: [2, 3, 17, 16],
            channels_out: 4,
            kernel: [7, 7],
            stride: [2, 2],
            padding: explicit(3),
            bias: false,
        },
        Case {
            name: "3x3 stride 2 no bias",
            input: [3, 4, 9, 10],
            channels_out: 6,
            kernel: [3, 3],
            stride: [2, 2],
            padding: explicit(1),
            bias: false,
        },
        Case {
            name: "1x1 projection stride 2",
            input: [2, 5, 7, 7],
            channels_out: 3,
            kernel: [1, 1],
            stride: [2, 2],
            padding: PaddingConfig2d::Valid,
            bias: false,
        },
        Case {
            name: "same 3x3",
            input: [1, 2, 6, 5],
            channels_out: 2,
            kernel: [3, 3],
            stride: [1, 1],
            padding: PaddingConfig2d::Same,
            bias: true,
        },
        // Taps that read only padding are cut before the product (cpu_ops::conv_crop).
        Case {
            name: "3x3 over a 1x1 map (ResNet-18's and the VGGs' last stage)",
            input: [3, 6, 1, 1],
            channels_out: 5,
            kernel: [3, 3],
            stride: [1, 1],
            padding: explicit(1),
            bias: true,
        },
        Case {
            name: "3x3 stride 2 from a 2x2 map",
            input: [2, 4, 2, 2],
            channels_out: 3,
            kernel: [3, 3],
            stride: [2, 2],
            padding: explicit(1),
            bias: false,
        },
        Case {
            name: "5x5 over a one-row map, cut along one axis",
            input: [2, 2, 1, 6],
            channels_out: 3,
            kernel: [5, 5],
            stride: [1, 1],
            padding: explicit(2),
            bias: true,
        },
        Case {
            name: "stride past a one-pixel map: live taps with a dead one between",
            input: [2, 2, 1, 1],
            channels_out: 2,
            kernel: [3, 3],
            stride: [2, 2],
            padding: explicit(2),
            bias: true,
        },
        Case {
            name: "rectangular kernel and padding",
            input: [2, 2, 8, 9],
            channels_out: 3,
            kernel: [3, 5],
            stride: [1, 2],
            padding: PaddingConfig2d::Explicit(1, 2, 1, 2),
            bias: true,
        },
    ]
}

#[test]
fn forward_matches_burn_on_flex_and_autodiff() {
    for case in cases() {
        let device = Default::default();
        let x = input::<Flex>(&case, &device);
        let conv = conv_of::<Flex>(&case, &device);
        let want = values(conv.forward(x.clone()));
        assert_close(case.name, &values(conv2d(&conv, x)), &want);

        let conv = conv_of::<Ad>(&case, &device);
        let x = input::<Ad>(&case, &device);
        assert_close(case.name, &values(conv2d(&conv, x)), &want);
    }
}

#[test]
fn gradients_match_burn() {
    for case in cases() {
        let device = Default::default();
        let conv = conv_of::<Ad>(&case, &device);
        let make_x = || input::<Ad>(&case, &device).require_grad();
        // A weighted sum so every output position has its own gradient.
        let loss = |y: Tensor<Ad, 4>| {
            let dims = y.dims();
            let r = Tensor::<Ad, 4>::from_data(
                TensorData::new(pattern(dims.iter().product(), 4), dims),
                &device,
            );
            (y * r).sum()
        };
        let (x_burn, x_sieve) = (make_x(), make_x());
        let grads_burn = loss(conv.forward(x_burn.clone())).backward();
        let grads_sieve = loss(conv2d(&conv, x_sieve.clone())).backward();
        let what = |part: &str| format!("{}: {part} gradient", case.name);
        assert_close(
            &what("input"),
            &values(x_sieve.grad(&grads_sieve).unwrap()),
            &values(x_burn.grad(&grads_burn).unwrap()),
        );
        assert_close(
            &what("weight"),
            &values(conv.weight.val().grad(&grads_sieve).unwrap()),
            &values(conv.weight.val().grad(&grads_burn).unwrap()),
        );
        if let Some(bias) = &conv.bias {
            assert_close(
                &what("bias"),
                &values(bias.val().grad(&grads_sieve).unwrap()),
                &values(bias.val().grad(&grads_burn).unwrap()),
            );
        }
    }
}

#[test]
fn an_input_without_gradient_still_trains_the_weights() {
    let case = &cases()[0];
    let device = Default::default();
    let conv = conv_of::<Ad>(case, &device);
    let x = input::<Ad>(case, &device);
    let grads = conv2d(&conv, x.clone()).sum().backward();
    assert!(x.grad(&grads).is_none());
    let want = conv.forward(x).sum().backward();
    assert_close(
        "weight",
        &values(conv.weight.val().grad(&grads).unwrap()),
        &values(conv.weight.val().grad(&want).unwrap()),
    );
}

#[test]
fn frozen_weights_still_give_the_input_gradient() {
    use burn::module::Module;
    let case = &cases()[1];
    let device = Default::default();
    let conv = conv_of::<Ad>(case, &device).no_grad();
    let make_x = || input::<Ad>(case, &device).require_grad();
    let (x_burn, x_sieve) = (make_x(), make_x());
    let want = conv.forward(x_burn.clone()).sum().backward();
    let got = conv2d(&conv, x_sieve.clone()).sum().backward();
    assert!(conv.weight.val().grad(&got).is_none());
    assert_close(
        "input",
        &values(x_sieve.grad(&got).unwrap()),
        &values(x_burn.grad(&want).unwrap()),
    );
}
