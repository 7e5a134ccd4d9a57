//! Instance norm (the DC papers' ConvNet norm): sieve's fused kernel on the CPU backend —
//! one pass for the statistics, one for the output, one autodiff node whose backward
//! recomputes x̂ — instead of burn's ten tensor operations over the whole activation,
//! each with its own node; the same operations elsewhere. [`instance_norm_relu_pool`]
//! folds the ConvNet block's ReLU and 2x2 average pool into the same node.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::{Flex, FlexDevice, FlexTensor};
use burn::nn::InstanceNorm;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::module::avg_pool2d;
use burn::tensor::{DType, Tensor, TensorData, TensorPrimitive};

use super::cast::{cast, cast_back, param_on};
use super::conv_autodiff::CpuAutodiff;
use super::flex::{register_gradient as register, values};
use super::norm_kernels::{self as kernels, Epilogue, RowStats};

/// `norm.forward(x)` for an instance norm (biased variance, `norm.epsilon`, optional
/// affine γ and β per channel), on sieve's CPU kernel where it applies.
pub fn instance_norm<B: Backend>(x: Tensor<B, 4>, norm: &InstanceNorm<B>) -> Tensor<B, 4> {
    fused(x, norm, Epilogue::None)
}

/// `avg_pool2d(relu(norm.forward(x)), 2x2, stride 2)` — the ConvNet block after its
/// convolution — as one kernel and one autodiff node on the CPU backend: neither the
/// normalised nor the rectified map is stored. Maps smaller than 2x2 take burn's
/// operations.
pub fn instance_norm_relu_pool<B: Backend>(
    x: Tensor<B, 4>,
    norm: &InstanceNorm<B>,
) -> Tensor<B, 4> {
    let [_, _, height, width] = x.dims();
    if height < 2 || width < 2 {
        return pool_after(
            instance_norm(x, norm),
            Epilogue::ReluAvgPool { height, width },
        );
    }
    fused(x, norm, Epilogue::ReluAvgPool { height, width })
}

fn affine_of<B: Backend>(norm: &InstanceNorm<B>) -> Option<(Tensor<B, 1>, Tensor<B, 1>)> {
    match (&norm.gamma, &norm.beta) {
        (Some(g), Some(b)) => Some((g.val(), b.val())),
        _ => None,
    }
}

/// The norm followed by `epilogue`, on the backend `x` lives on.
fn fused<B: Backend>(x: Tensor<B, 4>, norm: &InstanceNorm<B>, epilogue: Epilogue) -> Tensor<B, 4> {
    let affine = affine_of(norm);
    let eps = norm.epsilon;
    if x.dtype() != DType::F32 {
        return pool_after(generic(x, affine, eps), epilogue);
    }
    let x = match cast::<Tensor<B, 4>, Tensor<Flex, 4>>(x) {
        Ok(x) => return cast_back(inference(x, affine.map(params_on), eps, epilogue)),
        Err(x) => x,
    };
    match cast::<Tensor<B, 4>, Tensor<CpuAutodiff, 4>>(x) {
        Ok(x) => cast_back(autodiff_instance_norm(
            x,
            affine.map(params_on),
            eps,
            epilogue,
        )),
        Err(x) => pool_after(generic(x, affine, eps), epilogue),
    }
}

/// `epilogue` in burn's operations, after a normalisation computed by [`generic`].
fn pool_after<B: Backend>(y: Tensor<B, 4>, epilogue: Epilogue) -> Tensor<B, 4> {
    match epilogue {
        Epilogue::None => y,
        Epilogue::ReluAvgPool { .. } => avg_pool2d(relu(y), [2, 2], [2, 2], [0, 0], true, false),
    }
}

/// The output dims of the kernel for an input of `dims`.
fn output_dims(dims: [usize; 4], epilogue: Epilogue) -> [usize; 4] {
    match epilogue {
        Epilogue::None => dims,
        Epilogue::ReluAvgPool { height, width } => [dims[0], dims[1], height / 2, width / 2],
    }
}

/// γ and β on `T`, the backend the input was just found to be on.
fn params_on<B: Backend, T: Backend>(
    (gamma, beta): (Tensor<B, 1>, Tensor<B, 1>),
) -> (Tensor<T, 1>, Tensor<T, 1>) {
    (param_on(gamma), param_on(beta))
}

/// The kernel's forward pass on a contiguous input of `dims` with optional (γ, β).
fn forward_on(
    input: &FlexTensor,
    affine: Option<&(FlexTensor, FlexTensor)>,
    dims: [usize; 4],
    eps: f64,
    epilogue: Epilogue,
) -> (Vec<f32>, RowStats) {
    let affine = affine.map(|(g, b)| (values(g), values(b)));
    kernels::forward(
        &values(input),
        dims[2] * dims[3],
        dims[1],
        affine.as_ref().map(|(g, b)| (&g[..], &b[..])),
        eps,
        epilogue,
    )
}

/// The forward pass on `Flex` (no autodiff): inference and pool scoring.
fn inference(
    x: Tensor<Flex, 4>,
    affine: Option<(Tensor<Flex, 1>, Tensor<Flex, 1>)>,
    eps: f64,
    epilogue: Epilogue,
) -> Tensor<Flex, 4> {
    let dims = x.dims();
    let x = x.into_primitive().tensor();
    let affine = affine.map(|(g, b)| (g.into_primitive().tensor(), b.into_primitive().tensor()));
    let (y, _) = forward_on(&x, affine.as_ref(), dims, eps, epilogue);
    Tensor::from_data(TensorData::new(y, output_dims(dims, epilogue)), &FlexDevice)
}

/// The same normalisation in burn's tensor operations (every other backend).
fn generic<B: Backend>(
    x: Tensor<B, 4>,
    affine: Option<(Tensor<B, 1>, Tensor<B, 1>)>,
    eps: f64,
) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let rows = x.reshape([n * c, h * w]);
    let mean = rows.clone().mean_dim(1);
    let centred = rows.sub(mean);
    let var = centred.clone().square().mean_dim(1);
    let mut y = centred.div(var.add_scalar(eps).sqrt());
    if let Some((gamma, beta)) = affine {
        let per_row = |p: Tensor<B, 1>| p.reshape([1, c]).repeat_dim(0, n).reshape([n * c, 1]);
        y = y.mul(per_row(gamma)).add(per_row(beta));
    }
    y.reshape([n, c, h, w])
}

/// What the backward pass needs: the input, γ, and each row's statistics.
#[derive(Clone, Debug)]
struct NormState {
    input: FlexTensor,
    gamma: Option<FlexTensor>,
    stats: RowStats,
    dims: [usize; 4],
    epilogue: Epilogue,
}

impl NormState {
    fn gradients(&self, dy: &FlexTensor, want_input: bool) -> kernels::NormGradients {
        let gamma = self.gamma.as_ref().map(values);
        kernels::backward(
            &values(&self.input),
            &values(dy),
            self.dims[2] * self.dims[3],
            self.dims[1],
            gamma.as_deref(),
            &self.stats,
            self.epilogue,
            want_input,
        )
    }
}

#[derive(Debug)]
struct AffineNormBackward;

#[derive(Debug)]
struct PlainNormBackward;

impl Backward<Flex, 3> for AffineNormBackward {
    type State = NormState;

    fn backward(self, ops: Ops<NormState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input, gamma, beta] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let state = ops.state;
        let out = state.gradients(&dy, input.is_some());
        let c = state.dims[1];
        register(grads, input.map(|n| n.id), out.input, state.dims.to_vec());
        register(grads, gamma.map(|n| n.id), out.gamma, vec![c]);
        register(grads, beta.map(|n| n.id), out.beta, vec![c]);
    }
}

impl Backward<Flex, 1> for PlainNormBackward {
    type State = NormState;

    fn backward(self, ops: Ops<NormState, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let state = ops.state;
        let out = state.gradients(&dy, input.is_some());
        register(grads, input.map(|n| n.id), out.input, state.dims.to_vec());
    }
}

fn autodiff_instance_norm(
    x: Tensor<CpuAutodiff, 4>,
    affine: Option<(Tensor<CpuAutodiff, 1>, Tensor<CpuAutodiff, 1>)>,
    eps: f64,
    epilogue: Epilogue,
) -> Tensor<CpuAutodiff, 4> {
    let dims = x.dims();
    let x = x.into_primitive().tensor();
    let input = x.primitive.to_contiguous();
    let affine = affine.map(|(g, b)| (g.into_primitive().tensor(), b.into_primitive().tensor()));
    let params = affine
        .as_ref()
        .map(|(g, b)| (g.primitive.clone(), b.primitive.clone()));
    let (y, stats) = forward_on(&input, params.as_ref(), dims, eps, epilogue);
    let output = FlexTensor::from_data(TensorData::new(y, output_dims(dims, epilogue).to_vec()));
    let state = NormState {
        input,
        gamma: params.map(|(g, _)| g),
        stats,
        dims,
        epilogue,
    };
    let out = match affine {
        Some((gamma, beta)) => match AffineNormBackward
            .prepare::<NoCheckpointing>([x.node.clone(), gamma.node.clone(), beta.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(state, output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        },
        None => match PlainNormBackward
            .prepare::<NoCheckpointing>([x.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(state, output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        },
    };
    Tensor::from_primitive(TensorPrimitive::Float(out))
}
