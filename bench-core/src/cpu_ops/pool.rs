//! Max-pooling: sieve's kernel on the CPU backend (one autodiff node keeping the argmax),
//! burn's `max_pool2d` elsewhere.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::{Flex, FlexDevice};
use burn::tensor::backend::Backend;
use burn::tensor::{DType, Tensor, TensorData, TensorPrimitive};

use super::cast::{cast, cast_back};
use super::conv_autodiff::CpuAutodiff;
use super::flex::values;
use super::pool_kernels::{self as kernels, PoolGeometry};

/// `burn::tensor::module::max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)`,
/// on sieve's CPU kernel for dilation 1 and floor rounding.
pub fn max_pool2d<B: Backend>(
    x: Tensor<B, 4>,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    ceil_mode: bool,
) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let geometry = PoolGeometry::new(n * c, [h, w], kernel, stride, padding)
        .filter(|_| dilation == [1, 1] && !ceil_mode && x.dtype() == DType::F32);
    let burn =
        |x| burn::tensor::module::max_pool2d(x, kernel, stride, padding, dilation, ceil_mode);
    let Some(geometry) = geometry else {
        return burn(x);
    };
    let x = match cast::<Tensor<B, 4>, Tensor<Flex, 4>>(x) {
        Ok(x) => {
            let input = x.into_primitive().tensor();
            let (out, _) = kernels::forward(&geometry, &values(&input));
            return cast_back(output(out, &geometry, n, c));
        }
        Err(x) => x,
    };
    match cast::<Tensor<B, 4>, Tensor<CpuAutodiff, 4>>(x) {
        Ok(x) => cast_back(autodiff_max_pool(geometry, x)),
        Err(x) => burn(x),
    }
}

fn output(values: Vec<f32>, g: &PoolGeometry, n: usize, c: usize) -> Tensor<Flex, 4> {
    Tensor::from_data(
        TensorData::new(values, [n, c, g.out_height, g.out_width]),
        &FlexDevice,
    )
}

/// What the backward pass needs: where each window's maximum was, and the sizes.
#[derive(Clone, Debug)]
struct PoolState {
    argmax: Arc<Vec<u32>>,
    geometry: PoolGeometry,
    input_dims: [usize; 4],
}

#[derive(Debug)]
struct MaxPoolBackward;

impl Backward<Flex, 1> for MaxPoolBackward {
    type State = PoolState;

    fn backward(self, ops: Ops<PoolState, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        if let Some(node) = input {
            let state = ops.state;
            let dx = kernels::backward(&state.geometry, &values(&dy), &state.argmax);
            let dx =
                Tensor::<Flex, 4>::from_data(TensorData::new(dx, state.input_dims), &FlexDevice);
            grads.register::<Flex>(node.id, dx.into_primitive().tensor());
        }
    }
}

fn autodiff_max_pool(geometry: PoolGeometry, x: Tensor<CpuAutodiff, 4>) -> Tensor<CpuAutodiff, 4> {
    let input_dims = x.dims();
    let [n, c, _, _] = input_dims;
    let x = x.into_primitive().tensor();
    let (out, argmax) = kernels::forward(&geometry, &values(&x.primitive));
    let out = output(out, &geometry, n, c).into_primitive().tensor();
    let node = match MaxPoolBackward
        .prepare::<NoCheckpointing>([x.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(
            PoolState {
                argmax: Arc::new(argmax),
                geometry,
                input_dims,
            },
            out,
        ),
        OpsKind::UnTracked(prep) => prep.finish(out),
    };
    Tensor::from_primitive(TensorPrimitive::Float(node))
}
