//! Reading and wrapping burn-flex tensors as plain `f32` data, for every kernel here.

use std::borrow::Cow;

use burn::backend::flex::{Flex, FlexTensor};
use burn::tensor::{Tensor, TensorPrimitive};

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
