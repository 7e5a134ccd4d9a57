//! sieve's CPU max-pool against burn's `max_pool2d`: the same outputs and input gradients
//! (ties included: the first maximum in row-major order takes the gradient), on the
//! pools the models use and overlapping, padded and odd-sized ones.
#![allow(clippy::unwrap_used)]

use burn::backend::{Autodiff, Flex};
use burn::tensor::{backend::Backend, module, Tensor, TensorData};
use sieve_bench_core::cpu_ops::max_pool2d;

type Ad = Autodiff<Flex>;

fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec().unwrap()
}

/// Values with many exact ties (only 7 distinct levels) so tie-breaking is exercised.
fn pattern(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 5) % 7) as f32 - 3.0).collect()
}

#[test]
fn outputs_and_gradients_match_burn() {
    // (input dims, kernel, stride, padding)
    type Case = ([usize; 4], [usize; 2], [usize; 2], [usize; 2]);
    let cases: [Case; 5] = [
        ([2, 3, 28, 28], [2, 2], [2, 2], [0, 0]), // LeNet, gal_cnn, VGG
        ([2, 2, 7, 9], [2, 2], [2, 2], [0, 0]),   // odd sizes: the last row and column drop
        ([2, 2, 14, 14], [3, 3], [2, 2], [1, 1]), // ResNet's stem pool: overlapping, padded
        ([1, 3, 5, 6], [3, 2], [1, 2], [1, 0]),   // rectangular
        ([1, 1, 4, 4], [4, 4], [4, 4], [0, 0]),   // one window
    ];
    let device = Default::default();
    for (dims, kernel, stride, padding) in cases {
        let make = || {
            Tensor::<Ad, 4>::from_data(
                TensorData::new(pattern(dims.iter().product()), dims),
                &device,
            )
            .require_grad()
        };
        let (x_burn, x_sieve) = (make(), make());
        let y_burn = module::max_pool2d(x_burn.clone(), kernel, stride, padding, [1, 1], false);
        let y_sieve = max_pool2d(x_sieve.clone(), kernel, stride, padding, [1, 1], false);
        let what = format!("{dims:?} kernel {kernel:?} stride {stride:?} padding {padding:?}");
        assert_eq!(
            values(y_sieve.clone()),
            values(y_burn.clone()),
            "{what}: output"
        );

        let weights = |y: &Tensor<Ad, 4>| {
            let d = y.dims();
            let w: Vec<f32> = (0..d.iter().product::<usize>())
                .map(|i| (i % 11) as f32 + 1.0)
                .collect();
            Tensor::<Ad, 4>::from_data(TensorData::new(w, d), &device)
        };
        let g_burn = (y_burn.clone() * weights(&y_burn)).sum().backward();
        let g_sieve = (y_sieve.clone() * weights(&y_sieve)).sum().backward();
        assert_eq!(
            values(x_sieve.grad(&g_sieve).unwrap()),
            values(x_burn.grad(&g_burn).unwrap()),
            "{what}: input gradient"
        );

        let inner = Tensor::<Flex, 4>::from_data(
            TensorData::new(pattern(dims.iter().product()), dims),
            &device,
        );
        assert_eq!(
            values(max_pool2d(
                inner.clone(),
                kernel,
                stride,
                padding,
                [1, 1],
                false
            )),
            values(module::max_pool2d(
                inner,
                kernel,
                stride,
                padding,
                [1, 1],
                false
            )),
            "{what}: inference output"
        );
    }
}
