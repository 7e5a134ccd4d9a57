//! sieve's own CPU kernels for the layers that dominate training on burn's CPU backend
//! (issue 12: training at PyTorch speed).
//!
//! burn-flex computes a convolution's weight gradient as a convolution of the
//! batch-swapped input with the output gradient (a strided copy of both, then a huge
//! im2col) and its input gradient as a transposed convolution that walks its input with a
//! scalar iterator: together ~45% of a LeNet training step; its max-pool is a scalar loop
//! per output with bounds checks on every tap (~18% of the step after that). Here the
//! convolution is a patch matrix times `[W | b]` and its backward two matrix products and
//! a scatter, all on burn-flex's gemm, and max-pooling a direct loop per plane.
//!
//! Instance norm (the ConvNet's) is one fused pass for the statistics and one for the
//! output, with one autodiff node whose backward recomputes x̂ from the kept per-row
//! mean and 1/σ, where burn runs ten tensor operations, each with its own node; the
//! block's ReLU and 2x2 average pool can ride in the same pass and node. Batch norm
//! (ResNet-18, the VGGs) is the same idea with statistics per channel over the batch.
//!
//! Models call [`conv2d`], [`max_pool2d`] and [`instance_norm`] instead of
//! `Conv2d::forward`, burn's `max_pool2d` and `InstanceNorm::forward`: on `Flex` and `Autodiff<Flex>` with f32 data and the settings these
//! kernels cover, they run here; on every other backend or setting they are exactly
//! burn's operations.

mod batch_norm;
mod batch_norm_kernels;
mod cast;
mod conv;
mod conv_autodiff;
mod conv_crop;
mod conv_geometry;
mod conv_kernels;
mod flex;
mod gemm;
mod im2col;
mod norm;
mod norm_kernels;
mod pool;
mod pool_kernels;
mod scratch;

pub use batch_norm::{batch_norm_inference, batch_norm_training};
pub use conv::conv2d;
pub use norm::{instance_norm, instance_norm_relu_pool};
pub use pool::max_pool2d;
