//! The convolution's dispatch: sieve's kernels on the CPU backend, burn's elsewhere.

use burn::backend::flex::Flex;
use burn::nn::conv::Conv2d;
use burn::nn::PaddingConfig2d;
use burn::tensor::backend::Backend;
use burn::tensor::{DType, Tensor};

use super::cast::{cast, cast_back, param_on};
use super::conv_autodiff::{self as autodiff, CpuAutodiff};
use super::conv_geometry::ConvGeometry;
use super::conv_kernels as kernels;
use super::flex::{from_flex, values};

/// The geometry of `conv` applied to an input of `dims`, when this module can run it.
fn geometry_of<B: Backend>(conv: &Conv2d<B>, dims: [usize; 4]) -> Option<ConvGeometry> {
    let channels = dims[1];
    let [out_channels, weight_channels, kh, kw] = conv.weight.dims();
    if conv.groups != 1 || conv.dilation != [1, 1] || weight_channels != channels {
        return None;
    }
    let padding = match conv.padding {
        PaddingConfig2d::Valid => [0, 0],
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => {
            [top, left]
        }
        // 'Same' at stride 1 with odd kernels pads (k − 1) / 2 on each side.
        PaddingConfig2d::Same if conv.stride == [1, 1] && kh % 2 == 1 && kw % 2 == 1 => {
            [(kh - 1) / 2, (kw - 1) / 2]
        }
        _ => return None,
    };
    ConvGeometry::new(dims, out_channels, [kh, kw], conv.stride, padding)
}

/// `conv.forward(x)`, on sieve's CPU path where it applies (see the module docs).
pub fn conv2d<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let Some(geometry) = geometry_of(conv, x.dims()) else {
        return conv.forward(x);
    };
    let weight = conv.weight.val();
    if x.dtype() != DType::F32 || weight.dtype() != DType::F32 {
        return conv.forward(x);
    }
    let bias = conv.bias.as_ref().map(|b| b.val());
    let x = match cast::<Tensor<B, 4>, Tensor<Flex, 4>>(x) {
        Ok(x) => {
            let (weight, bias) = parameters_on(weight, bias);
            return cast_back(inference(geometry, x, weight, bias));
        }
        Err(x) => x,
    };
    match cast::<Tensor<B, 4>, Tensor<CpuAutodiff, 4>>(x) {
        Ok(x) => {
            let (weight, bias) = parameters_on(weight, bias);
            cast_back(autodiff::conv2d(geometry, x, weight, bias))
        }
        Err(x) => conv.forward(x),
    }
}

/// The module's weight and bias on `T`, the backend its input was just found to be on.
fn parameters_on<B: Backend, T: Backend>(
    weight: Tensor<B, 4>,
    bias: Option<Tensor<B, 1>>,
) -> (Tensor<T, 4>, Option<Tensor<T, 1>>) {
    (param_on(weight), param_on(bias))
}

/// The forward pass on `Flex` (no autodiff): inference and pool scoring.
fn inference(
    geometry: ConvGeometry,
    x: Tensor<Flex, 4>,
    weight: Tensor<Flex, 4>,
    bias: Option<Tensor<Flex, 1>>,
) -> Tensor<Flex, 4> {
    let x = x.into_primitive().tensor();
    let weight = weight.into_primitive().tensor();
    let bias = bias.map(|b| b.into_primitive().tensor());
    let out = kernels::forward(
        &geometry,
        &values(&x),
        &values(&weight),
        bias.as_ref().map(values).as_deref(),
    );
    from_flex(out)
}
