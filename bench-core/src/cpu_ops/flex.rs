//! Reading and wrapping burn-flex tensors as plain `f32` data, for every kernel here.

use std::borrow::Cow;

use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::NodeId;
use burn::backend::flex::{Flex, FlexTensor};
use burn::tensor::{Tensor, TensorData, TensorPrimitive};

/// A contiguous f32 view (or copy) of a Flex tensor's values.
pub(crate) fn values(tensor: &FlexTensor) -> Cow<'_, [f32]> {
    match tensor.as_slice::<f32>() {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(
            tensor
                .to_contiguous()
                .as_slice::<f32>()
                .map(<[f32]>::to_vec)
                .unwrap_or_default(),
        ),
    }
}

/// A Flex tensor primitive as a typed tensor.
pub(crate) fn from_flex<const D: usize>(t: FlexTensor) -> Tensor<Flex, D> {
    Tensor::from_primitive(TensorPrimitive::Float(t))
}

/// Hands a parent node its gradient (`values` of `shape`), when the node is tracked and
/// the gradient was computed.
pub(crate) fn register_gradient(
    grads: &mut Gradients,
    node: Option<NodeId>,
    values: Option<Vec<f32>>,
    shape: Vec<usize>,
) {
    if let (Some(id), Some(v)) = (node, values) {
        let t = FlexTensor::from_data(TensorData::new(v, shape));
        grads.register::<Flex>(id, t);
    }
}
