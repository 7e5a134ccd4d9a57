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
//! Models call [`conv2d`] and [`max_pool2d`] instead of `Conv2d::forward` and burn's
//! `max_pool2d`: on `Flex` and `Autodiff<Flex>` with f32 data and the settings these
//! kernels cover, they run here; on every other backend or setting they are exactly
//! burn's operations.

mod cast;
mod conv;
mod conv_autodiff;
mod conv_geometry;
mod conv_kernels;
mod flex;
mod im2col;
mod pool;
mod pool_kernels;
mod scratch;

pub use conv::conv2d;
pub use pool::max_pool2d;
