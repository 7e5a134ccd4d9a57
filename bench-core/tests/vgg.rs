//! VGG-11 and VGG-16 (batch norm, TorchAL's head): the published weight counts, grey
//! 28x28 and colour 32x32 inputs, batch norm's running statistics outside a training
//! step, the model's own dropout as an MC-dropout site, and its training loss falling on
//! a small problem.
#![allow(clippy::unwrap_used)]

mod common;

use common::{bright_halves, image_batch, rng_lock};

use burn::backend::{flex::FlexDevice, Autodiff, Flex};
use burn::module::Module;
use burn::tensor::Tensor;
use sieve_bench_core::train::{train_model, TrainRequest};
use sieve_bench_core::{
    vgg_first_padding, vgg_parameter_count, ModelKind, ModelSpec, Network, OptimizerKind,
    Regularization, VGG11_LAYERS, VGG16_LAYERS,
};
use sieve_datasets::ExampleShape;

type Cpu = Autodiff<Flex>;

#[test]
fn both_vggs_have_the_published_weight_counts_for_grey_and_colour_images() {
    let _rng = rng_lock();
    // torchvision's vgg16 has 138,357,544 weights, of which its three linear layers hold
    // 123,642,856: 14,714,688 in the convolutions (vgg11: 132,863,336 - 123,642,856 =
    // 9,220,480). Batch norm adds weight, bias and burn's two running statistics per
    // channel (4 x 4,224 for D, 4 x 2,752 for A); TorchAL's head is 25,088 -> 4,096 ->
    // 512 -> 10. A grey input has 64 x 2 x 9 fewer first-layer weights.
    let head = 25_088 * 4_096 + 4_096 + 4_096 * 512 + 512 + 512 * 10 + 10;
    for (kind, layers, convs, bn_channels) in [
        (ModelKind::Vgg11, VGG11_LAYERS, 9_220_480u128, 2_752u128),
        (ModelKind::Vgg16, VGG16_LAYERS, 14_714_688, 4_224),
    ] {
        for shape in [ExampleShape::new(3, 32, 32), ExampleShape::new(1, 28, 28)] {
            let net = Network::<Flex>::init(&ModelSpec::of(kind), shape, 10, &FlexDevice).unwrap();
            let expected =
                convs + 4 * bn_channels + head - if shape.channels == 1 { 64 * 2 * 9 } else { 0 };
            assert_eq!(net.num_params() as u128, expected, "{kind:?} {shape}");
            assert_eq!(vgg_parameter_count(layers, shape.channels, 10), expected);
            let logits = net.forward(image_batch::<Flex>(shape, 2, &FlexDevice), 0.0, false);
            assert_eq!(logits.dims(), [2, 10]);
            assert_eq!(
                net.embed(image_batch::<Flex>(shape, 2, &FlexDevice), 0.0, false)
                    .dims(),
                [2, 512]
            );
        }
    }
    // Five max-pools need 32: the first convolution pads 28-31 up to it.
    assert_eq!(vgg_first_padding(28), 3);
    assert_eq!(vgg_first_padding(29), 3);
    assert_eq!(vgg_first_padding(32), 1);
    assert_eq!(vgg_first_padding(64), 1);
    // Smaller images are refused with the reason.
    let e = ModelSpec::of(ModelKind::Vgg11)
        .validate("model", Some(ExampleShape::new(1, 8, 8)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("28x28"), "{e}");
}

#[test]
fn the_model_carries_its_dropout_and_batch_norm_scores_with_running_statistics() {
    let _rng = rng_lock();
    let shape = ExampleShape::new(1, 28, 28);
    let spec = ModelSpec::of(ModelKind::Vgg11);
    assert!(spec.has_own_dropout());
    let net = Network::<Cpu>::init(&spec, shape, 4, &FlexDevice).unwrap();
    assert!(net.has_own_dropout());
    // TorchAL's dropout 0.5 after the 4,096 hidden units; none before the classifier,
    // whatever the regularization says.
    assert_eq!(net.dropout_sites(0.3), vec![(4096, 0.5), (512, 0.0)]);
    let x = image_batch::<Cpu>(shape, 4, &FlexDevice);
    let scored = |net: &Network<Cpu>, x: Tensor<Cpu, 4>| {
        net.forward(x, 0.0, false)
            .into_data()
            .to_vec::<f32>()
            .unwrap()
    };
    // Outside a training step one example's logits do not depend on the batch, and
    // masks of ones are the same network as no dropout.
    let whole = scored(&net, x.clone());
    let first = scored(&net, x.clone().narrow(0, 0, 1));
    for (a, b) in whole[..4].iter().zip(&first) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
    let ones: Vec<Tensor<Cpu, 2>> = net
        .dropout_sites(0.0)
        .iter()
        .map(|&(w, _)| Tensor::ones([1, w], &FlexDevice))
        .collect();
    let masked = net
        .forward_with_masks(x.clone(), &ones)
        .into_data()
        .to_vec::<f32>()
        .unwrap();
    for (a, b) in whole.iter().zip(&masked) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
    // A training step (dropout active) uses the batch's statistics and its own dropout,
    // and moves the running statistics.
    let trained = net
        .forward(x.clone(), 0.0, true)
        .into_data()
        .to_vec::<f32>()
        .unwrap();
    assert!(whole
        .iter()
        .zip(&trained)
        .any(|(a, b)| (a - b).abs() > 1e-4));
    let after = scored(&net, x);
    assert!(whole.iter().zip(&after).any(|(a, b)| (a - b).abs() > 1e-6));
}

#[test]
fn vgg11_learns_a_small_problem() {
    let _rng = rng_lock();
    // Two classes of 28x28 images: bright left half vs bright right half, with noise.
    let data = bright_halves(28);
    let mut reg = Regularization::preset("none").unwrap();
    reg.optimizer = OptimizerKind::Adam;
    reg.lr = 1e-4;
    reg.epochs = 3;
    reg.batch_size = 16;
    // Nine steps: enough for the training loss to fall, too few for batch norm's running
    // statistics (momentum 0.1) to settle, so the check is the training loss, not
    // held-out accuracy in evaluation mode.
    let rows: Vec<usize> = (0..48).collect();
    let mut losses = Vec::new();
    train_model::<Cpu>(
        TrainRequest {
            spec: &ModelSpec::of(ModelKind::Vgg11),
            regularization: &reg,
            data: &data,
            indices: &rows,
            classes: 2,
            init_seed: 3,
            train_seed: 4,
            warm_start: None,
            example_weights: None,
            device: &FlexDevice,
            unlabeled: &[],
            learning_loss: None,
        },
        &mut |_, loss| losses.push(loss),
    )
    .unwrap();
    assert_eq!(losses.len(), 3);
    assert!(
        losses[2] < 0.5 * losses[0] && losses[2] < 0.35,
        "training loss per epoch {losses:?}"
    );
}
