//! The ConvNet's parameter gradients of the mean cross-entropy, written out as ordinary
//! tensor operations (forward, then a hand-written backward through the linear head,
//! average pooling, ReLU, instance norm and the convolutions).
//!
//! Gradient matching (DC, DSA, DCC) needs the gradient of a distance between parameter
//! gradients with respect to the synthetic images: a second-order quantity. burn's
//! autodiff is first order, but every operation here is one it differentiates, so
//! autodiff over [`ConvNet::explicit_gradients`] gives exactly that (the role of
//! PyTorch's `create_graph=True` in the reference).

use burn::module::Module;
use burn::tensor::activation::{relu, softmax};
use burn::tensor::backend::Backend;
use burn::tensor::module::{avg_pool2d, conv2d, conv_transpose2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::Tensor;

use super::convnet::ConvNet;

/// Every parameter's gradient, in burn's layouts: conv weights `[out, in, k, k]`, the
/// head's weight `[in, out]`.
pub struct ConvNetGradients<B: Backend> {
    pub conv_weight: Vec<Tensor<B, 4>>,
    pub conv_bias: Vec<Tensor<B, 1>>,
    pub norm_gamma: Vec<Tensor<B, 1>>,
    pub norm_beta: Vec<Tensor<B, 1>>,
    pub head_weight: Tensor<B, 2>,
    pub head_bias: Tensor<B, 1>,
}

impl<B: Backend> ConvNetGradients<B> {
    /// Every gradient times `factor`.
    pub fn scale(self, factor: f64) -> Self {
        self.zip_with(None, &|a, _| a.mul_scalar(factor))
    }

    /// The parameter-wise sum with `other` (DCC's mean over classes).
    pub fn plus(self, other: Self) -> Self {
        self.zip_with(Some(other), &|a, b| match b {
            Some(b) => a + b,
            None => a,
        })
    }

    fn zip_with(
        self,
        other: Option<Self>,
        f: &dyn Fn(Tensor<B, 1>, Option<Tensor<B, 1>>) -> Tensor<B, 1>,
    ) -> Self {
        fn apply<B: Backend, const D: usize>(
            a: Tensor<B, D>,
            b: Option<Tensor<B, D>>,
            f: &dyn Fn(Tensor<B, 1>, Option<Tensor<B, 1>>) -> Tensor<B, 1>,
        ) -> Tensor<B, D> {
            let dims = a.dims();
            let n = a.shape().num_elements();
            f(a.reshape([n]), b.map(|b| b.reshape([n]))).reshape(dims)
        }
        fn each<B: Backend, const D: usize>(
            a: Vec<Tensor<B, D>>,
            b: Option<Vec<Tensor<B, D>>>,
            f: &dyn Fn(Tensor<B, 1>, Option<Tensor<B, 1>>) -> Tensor<B, 1>,
        ) -> Vec<Tensor<B, D>> {
            match b {
                Some(b) => a
                    .into_iter()
                    .zip(b)
                    .map(|(a, b)| apply(a, Some(b), f))
                    .collect(),
                None => a.into_iter().map(|a| apply(a, None, f)).collect(),
            }
        }
        let (cw, cb, ng, nb, hw, hb) = match other {
            Some(o) => (
                Some(o.conv_weight),
                Some(o.conv_bias),
                Some(o.norm_gamma),
                Some(o.norm_beta),
                Some(o.head_weight),
                Some(o.head_bias),
            ),
            None => (None, None, None, None, None, None),
        };
        Self {
            conv_weight: each(self.conv_weight, cw, f),
            conv_bias: each(self.conv_bias, cb, f),
            norm_gamma: each(self.norm_gamma, ng, f),
            norm_beta: each(self.norm_beta, nb, f),
            head_weight: apply(self.head_weight, hw, f),
            head_bias: apply(self.head_bias, hb, f),
        }
    }
}

/// What the backward pass of one block needs from its forward pass.
struct BlockTape<B: Backend> {
    input: Tensor<B, 4>,
    /// Normalised conv output `(z - mean) / std`, `[n·c, h·w]`.
    xhat: Tensor<B, 2>,
    /// `1 / std` per `(n, c)` row, `[n·c, 1]`.
    inv_std: Tensor<B, 2>,
    /// The affine output before ReLU, `[n, c, h, w]`.
    pre_relu: Tensor<B, 4>,
    padding: usize,
    /// Spatial size before pooling.
    conv_hw: [usize; 2],
}

/// Gamma and beta of an instance norm as `[n·c, 1]` per-row columns (1 and 0 without
/// an affine transform).
fn norm_rows<B: Backend>(
    norm: &burn::nn::InstanceNorm<B>,
    n: usize,
    c: usize,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let rows = |p: Tensor<B, 1>| p.reshape([1, c]).repeat_dim(0, n).reshape([n * c, 1]);
    match (&norm.gamma, &norm.beta) {
        (Some(gamma), Some(beta)) => (rows(gamma.val()), rows(beta.val())),
        _ => {
            let device = norm.devices().first().cloned().unwrap_or_default();
            (
                Tensor::ones([n * c, 1], &device),
                Tensor::zeros([n * c, 1], &device),
            )
        }
    }
}

impl<B: Backend> ConvNet<B> {
    /// Gradients of the mean cross-entropy of `x` against `targets` (`[n, classes]`
    /// probability rows, one-hot for hard labels) with respect to every parameter,
    /// as a differentiable function of `x`.
    pub fn explicit_gradients(
        &self,
        x: Tensor<B, 4>,
        targets: Tensor<B, 2>,
    ) -> ConvNetGradients<B> {
        let n = x.dims()[0];
        let mut tapes = Vec::with_capacity(self.blocks.len());
        let mut a = x;
        for block in &self.blocks {
            let conv = &block.conv;
            let padding = match conv.padding {
                burn::nn::PaddingConfig2d::Explicit(p, _, _, _) => p,
                _ => 0,
            };
            let z = conv2d(
                a.clone(),
                conv.weight.val(),
                conv.bias.as_ref().map(|b| b.val()),
                ConvOptions::new([1, 1], [padding, padding], [1, 1], 1),
            );
            let [_, c, h, w] = z.dims();
            let rows = z.reshape([n * c, h * w]);
            let mean = rows.clone().mean_dim(1);
            let centred = rows.sub(mean);
            let var = centred.clone().square().mean_dim(1);
            let inv_std = var.add_scalar(block.norm.epsilon).sqrt().recip();
            let xhat = centred.mul(inv_std.clone());
            let (gamma, beta) = norm_rows(&block.norm, n, c);
            let pre_relu = xhat.clone().mul(gamma).add(beta).reshape([n, c, h, w]);
            let pooled = avg_pool2d(relu(pre_relu.clone()), [2, 2], [2, 2], [0, 0], true, false);
            tapes.push(BlockTape {
                input: a,
                xhat,
                inv_std,
                pre_relu,
                padding,
                conv_hw: [h, w],
            });
            a = pooled;
        }
        let [_, c, h, w] = a.dims();
        let features = a.reshape([n, c * h * w]);
        let head = self.head_layer();
        let logits = head.forward(features.clone());
        let classes = targets.dims()[1];

        // Backward.
        let dlogits = (softmax(logits, 1) - targets).div_scalar(n as f64);
        let head_weight = features.transpose().matmul(dlogits.clone());
        let head_bias = dlogits.clone().sum_dim(0).reshape([classes]);
        let mut da = dlogits
            .matmul(head.weight.val().transpose())
            .reshape([n, c, h, w]);
        let blocks = &self.blocks;
        let depth = blocks.len();
        let mut conv_weight = vec![None; depth];
        let mut conv_bias = vec![None; depth];
        let mut norm_gamma = vec![None; depth];
        let mut norm_beta = vec![None; depth];
        for (d, tape) in tapes.into_iter().enumerate().rev() {
            let block = &blocks[d];
            let [ch, cw] = tape.conv_hw;
            let channels = block.conv.weight.dims()[0];
            // Average pooling: each pooled value spread evenly over its 2x2 window;
            // rows/columns cut off by the floor pooling get no gradient.
            let [_, _, ph, pw] = da.dims();
            let mut dr = da
                .clone()
                .reshape([n, channels, ph, 1, pw, 1])
                .repeat_dim(3, 2)
                .repeat_dim(5, 2)
                .reshape([n, channels, 2 * ph, 2 * pw])
                .div_scalar(4.0);
            if 2 * ph < ch || 2 * pw < cw {
                dr = dr.pad(
                    (0, cw - 2 * pw, 0, ch - 2 * ph),
                    burn::tensor::ops::PadMode::Constant(0.0),
                );
            }
            // ReLU.
            let mask = tape.pre_relu.greater_elem(0.0).float();
            let dn = (dr * mask).reshape([n * channels, ch * cw]);
            // Instance norm's affine, then the normalisation itself.
            let xhat = tape.xhat;
            let dgamma_rows = (dn.clone() * xhat.clone())
                .sum_dim(1)
                .reshape([n, channels]);
            norm_gamma[d] = Some(dgamma_rows.sum_dim(0).reshape([channels]));
            let dbeta_rows = dn.clone().sum_dim(1).reshape([n, channels]);
            norm_beta[d] = Some(dbeta_rows.sum_dim(0).reshape([channels]));
            let (gamma, _) = norm_rows(&block.norm, n, channels);
            let dxhat = dn.mul(gamma);
            let mean_dxhat = dxhat.clone().mean_dim(1);
            let mean_dxhat_xhat = (dxhat.clone() * xhat.clone()).mean_dim(1);
            let dz = (dxhat - mean_dxhat - xhat.mul(mean_dxhat_xhat))
                .mul(tape.inv_std)
                .reshape([n, channels, ch, cw]);
            // Convolution: bias, weight (a correlation of the input with dz), input.
            conv_bias[d] = Some(
                dz.clone()
                    .sum_dim(0)
                    .sum_dim(2)
                    .sum_dim(3)
                    .reshape([channels]),
            );
            let p = tape.padding;
            let [_, _, ih, iw] = tape.input.dims();
            let dw = conv2d(
                tape.input.clone().swap_dims(0, 1),
                dz.clone().swap_dims(0, 1),
                None,
                ConvOptions::new([1, 1], [p, p], [1, 1], 1),
            );
            // [in, out, k, k] -> [out, in, k, k] (the output side is exactly the kernel's:
            // ih + 2p - (ih + 2p - k + 1) + 1 = k).
            conv_weight[d] = Some(dw.swap_dims(0, 1));
            if d > 0 {
                da = conv_transpose2d(
                    dz,
                    block.conv.weight.val(),
                    None,
                    ConvTransposeOptions::new([1, 1], [p, p], [0, 0], [1, 1], 1),
                );
                let [_, _, dh, dw_] = da.dims();
                debug_assert_eq!([dh, dw_], [ih, iw]);
            }
        }
        ConvNetGradients {
            conv_weight: conv_weight.into_iter().flatten().collect(),
            conv_bias: conv_bias.into_iter().flatten().collect(),
            norm_gamma: norm_gamma.into_iter().flatten().collect(),
            norm_beta: norm_beta.into_iter().flatten().collect(),
            head_weight,
            head_bias,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use burn::backend::{Autodiff, Flex};
    use burn::module::Param;
    use burn::tensor::activation::log_softmax;
    use burn::tensor::{Distribution, TensorData};
    use sieve_datasets::ExampleShape;

    type Ad = Autodiff<Flex>;

    fn values<const D: usize>(t: Tensor<Flex, D>) -> Vec<f32> {
        t.into_data().to_vec().unwrap()
    }

    fn assert_close(name: &str, got: Vec<f32>, want: Vec<f32>) {
        assert_eq!(got.len(), want.len(), "{name}: sizes");
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-3);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-5 * scale.max(1.0),
                "{name}[{i}]: hand-written {g} vs autodiff {w} (largest {scale})"
            );
        }
    }

    /// The hand-written gradient of every parameter equals autodiff's first-order one.
    fn check(shape: ExampleShape, width: usize, depth: usize, n: usize) {
        let device = Default::default();
        let classes = 4;
        let mut net = ConvNet::<Ad>::new(shape, classes, width, depth, &device);
        // Non-trivial affine parameters, so the norm's backward is exercised fully.
        for block in &mut net.blocks {
            let c = block.conv.weight.dims()[0];
            block.norm.gamma = Some(Param::from_tensor(
                Tensor::random([c], Distribution::Uniform(0.5, 1.5), &device).require_grad(),
            ));
            block.norm.beta = Some(Param::from_tensor(
                Tensor::random([c], Distribution::Uniform(-0.5, 0.5), &device).require_grad(),
            ));
        }
        let x = Tensor::<Ad, 4>::random(
            [n, shape.channels, shape.height, shape.width],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let labels: Vec<f32> = (0..n * classes)
            .map(|i| {
                if i % classes == (i / classes * 3) % classes {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let targets = Tensor::<Ad, 2>::from_data(TensorData::new(labels, [n, classes]), &device);

        let logits = net.head(net.embed(x.clone()));
        let loss = (log_softmax(logits, 1) * targets.clone())
            .sum_dim(1)
            .mean()
            .neg();
        let grads = loss.backward();
        let explicit = net.explicit_gradients(x, targets);
        for (d, block) in net.blocks.iter().enumerate() {
            let want = |p: &Param<Tensor<Ad, 4>>| values(p.val().grad(&grads).unwrap());
            assert_close(
                &format!("conv{d}.weight"),
                values(explicit.conv_weight[d].clone().inner()),
                want(&block.conv.weight),
            );
            let want1 = |p: &Param<Tensor<Ad, 1>>| values(p.val().grad(&grads).unwrap());
            assert_close(
                &format!("conv{d}.bias"),
                values(explicit.conv_bias[d].clone().inner()),
                want1(block.conv.bias.as_ref().unwrap()),
            );
            assert_close(
                &format!("norm{d}.gamma"),
                values(explicit.norm_gamma[d].clone().inner()),
                want1(block.norm.gamma.as_ref().unwrap()),
            );
            assert_close(
                &format!("norm{d}.beta"),
                values(explicit.norm_beta[d].clone().inner()),
                want1(block.norm.beta.as_ref().unwrap()),
            );
        }
        let head = net.head_layer();
        assert_close(
            "head.weight",
            values(explicit.head_weight.inner()),
            values(head.weight.val().grad(&grads).unwrap()),
        );
        assert_close(
            "head.bias",
            values(explicit.head_bias.inner()),
            values(head.bias.as_ref().unwrap().val().grad(&grads).unwrap()),
        );
    }

    #[test]
    fn hand_written_gradients_equal_autodiff_on_28x28_grey_images() {
        // The padding-3 first block (28 -> 32), then 16, 8, 4.
        check(ExampleShape::new(1, 28, 28), 6, 3, 5);
    }

    #[test]
    fn hand_written_gradients_equal_autodiff_on_small_and_odd_images() {
        check(ExampleShape::new(3, 8, 8), 5, 3, 3);
        // 10 -> 5 -> 2: the second pooling drops a row and a column.
        check(ExampleShape::new(2, 10, 10), 4, 2, 2);
    }
}
