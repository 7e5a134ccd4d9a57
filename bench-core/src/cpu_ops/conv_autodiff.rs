//! The convolution as one operation of burn's autodiff graph on the CPU backend, with
//! the backward pass of [`super::kernels`] instead of burn's transposed-convolution one.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::{Flex, FlexTensor};
use burn::backend::Autodiff;
use burn::tensor::{Tensor, TensorPrimitive};
use std::sync::Arc;

use super::conv_geometry::ConvGeometry;
use super::conv_kernels::{self as kernels, Wanted};
use super::flex::values;
use super::scratch::Scratch;

/// The CPU training backend this operation serves.
pub(crate) type CpuAutodiff = Autodiff<Flex>;

/// What the backward pass needs: the input and weights as they were, and the sizes.
#[derive(Clone, Debug)]
pub(crate) struct ConvState {
    input: FlexTensor,
    weight: FlexTensor,
    geometry: ConvGeometry,
    /// The forward pass's patch matrices, when small enough to keep.
    patches: Option<Arc<Vec<Scratch>>>,
}

impl ConvState {
    fn gradients(
        &self,
        dy: FlexTensor,
        want_input: bool,
        want_params: bool,
    ) -> kernels::ConvGradients {
        kernels::backward(
            &self.geometry,
            &values(&self.input),
            &values(&self.weight),
            &values(&dy),
            Wanted {
                input: want_input,
                params: want_params,
            },
            self.patches.as_deref().map(Vec::as_slice),
        )
    }
}

#[derive(Debug)]
struct ConvWithBias;

#[derive(Debug)]
struct ConvNoBias;

impl Backward<Flex, 3> for ConvWithBias {
    type State = ConvState;

    fn backward(self, ops: Ops<ConvState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input, weight, bias] = ops.parents;
        let want_params = weight.is_some() || bias.is_some();
        let out = ops.state.gradients(
            grads.consume::<Flex>(&ops.node),
            input.is_some(),
            want_params,
        );
        for (node, grad) in [(input, out.input), (weight, out.weight), (bias, out.bias)] {
            if let (Some(node), Some(grad)) = (node, grad) {
                grads.register::<Flex>(node.id, grad);
            }
        }
    }
}

impl Backward<Flex, 2> for ConvNoBias {
    type State = ConvState;

    fn backward(self, ops: Ops<ConvState, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input, weight] = ops.parents;
        let out = ops.state.gradients(
            grads.consume::<Flex>(&ops.node),
            input.is_some(),
            weight.is_some(),
        );
        for (node, grad) in [(input, out.input), (weight, out.weight)] {
            if let (Some(node), Some(grad)) = (node, grad) {
                grads.register::<Flex>(node.id, grad);
            }
        }
    }
}

/// The convolution on `Autodiff<Flex>`, recorded as one graph node.
pub(crate) fn conv2d(
    geometry: ConvGeometry,
    x: Tensor<CpuAutodiff, 4>,
    weight: Tensor<CpuAutodiff, 4>,
    bias: Option<Tensor<CpuAutodiff, 1>>,
) -> Tensor<CpuAutodiff, 4> {
    let x = x.into_primitive().tensor();
    let weight = weight.into_primitive().tensor();
    let bias = bias.map(|b| b.into_primitive().tensor());
    let input = x.primitive.to_contiguous();
    let weights = weight.primitive.to_contiguous();
    let bias_values = bias.as_ref().map(|b| values(&b.primitive));
    let (x_values, w_values) = (values(&input), values(&weights));
    // The patches serve only the weight gradient: not kept when the weights are frozen
    // (input gradients for DeepFool, BIM, condensation's images).
    let (output, patches) = if weight.node.requirement.is_none() {
        let y = kernels::forward(&geometry, &x_values, &w_values, bias_values.as_deref());
        (y, None)
    } else {
        kernels::forward_keeping_patches(&geometry, &x_values, &w_values, bias_values.as_deref())
    };
    drop((x_values, w_values, bias_values));
    let state = ConvState {
        input,
        weight: weights,
        geometry,
        patches: patches.map(Arc::new),
    };
    let out = match bias {
        Some(bias) => match ConvWithBias
            .prepare::<NoCheckpointing>([x.node.clone(), weight.node.clone(), bias.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(state, output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        },
        None => match ConvNoBias
            .prepare::<NoCheckpointing>([x.node.clone(), weight.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(state, output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        },
    };
    Tensor::from_primitive(TensorPrimitive::Float(out))
}
