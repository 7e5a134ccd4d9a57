//! ResNet-18: both stems build for grey and colour images, batch norm uses running
//! statistics outside a training step (so scoring is deterministic and changes nothing),
//! a training step updates them, and the network learns a small problem.
#![allow(clippy::unwrap_used)]

mod common;

use common::{bright_halves, image_batch, rng_lock};

use burn::backend::{flex::FlexDevice, Autodiff, Flex};
use burn::module::Module;
use sieve_bench_core::train::{predict_probabilities, train_model, TrainRequest};
use sieve_bench_core::{ModelKind, ModelSpec, Network, OptimizerKind, Regularization, ResnetStem};
use sieve_datasets::ExampleShape;

type Cpu = Autodiff<Flex>;

fn spec(stem: ResnetStem) -> ModelSpec {
    ModelSpec {
        stem: Some(stem),
        ..ModelSpec::of(ModelKind::Resnet18)
    }
}

#[test]
fn both_stems_build_for_grey_and_colour_images() {
    let _rng = rng_lock();
    for (stem, shape) in [
        (ResnetStem::Cifar, ExampleShape::new(3, 32, 32)),
        (ResnetStem::Cifar, ExampleShape::new(1, 28, 28)),
        (ResnetStem::Imagenet, ExampleShape::new(1, 28, 28)),
        (ResnetStem::Imagenet, ExampleShape::new(3, 32, 32)),
    ] {
        let net = Network::<Flex>::init(&spec(stem), shape, 10, &FlexDevice).unwrap();
        let logits = net.forward(image_batch::<Flex>(shape, 2, &FlexDevice), 0.0, false);
        assert_eq!(logits.dims(), [2, 10], "{stem:?} {shape}");
        // torchvision's resnet18 has 11,689,512 weights with its 1000-class head:
        // 11,176,512 without it; + 512*10 + 10 here. burn also counts the batch norms'
        // running means and variances (2 x 4,800), which PyTorch keeps as buffers. The
        // 1-channel imagenet stem adds DeepAL+'s 1x1 conv (3 weights + 3 biases).
        let expected = 9_600
            + match (stem, shape.channels) {
                (ResnetStem::Imagenet, 3) => 11_176_512 + 5_130,
                (ResnetStem::Imagenet, 1) => 11_176_512 + 5_130 + 6,
                // 3x3 stem instead of 7x7: 64 * c * 9 instead of 64 * 3 * 49.
                (ResnetStem::Cifar, c) => 11_176_512 - 64 * 3 * 49 + 64 * c * 9 + 5_130,
                _ => unreachable!(),
            };
        assert_eq!(net.num_params(), expected, "{stem:?} {shape}");
    }
}

#[test]
fn batch_norm_uses_running_statistics_outside_a_training_step() {
    let _rng = rng_lock();
    let shape = ExampleShape::new(1, 16, 16);
    let net = Network::<Cpu>::init(&spec(ResnetStem::Cifar), shape, 4, &FlexDevice).unwrap();
    let x = image_batch::<Cpu>(shape, 4, &FlexDevice);
    // Not a training step (dropout inactive), even with autodiff: running statistics,
    // so one example's logits do not depend on the rest of the batch.
    let whole = net
        .forward(x.clone(), 0.0, false)
        .into_data()
        .to_vec::<f32>()
        .unwrap();
    let first = net
        .forward(x.clone().narrow(0, 0, 1), 0.0, false)
        .into_data()
        .to_vec::<f32>()
        .unwrap();
    for (a, b) in whole[..4].iter().zip(&first) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
    // A training step normalises with the batch's statistics: the first example's
    // logits now depend on the others.
    let trained = net
        .forward(x.clone(), 0.0, true)
        .into_data()
        .to_vec::<f32>()
        .unwrap();
    assert!(whole
        .iter()
        .zip(&trained)
        .any(|(a, b)| (a - b).abs() > 1e-3));
    // ... and it moved the running statistics: scoring changes afterwards.
    let after = net
        .forward(x, 0.0, false)
        .into_data()
        .to_vec::<f32>()
        .unwrap();
    assert!(whole.iter().zip(&after).any(|(a, b)| (a - b).abs() > 1e-5));
}

#[test]
fn resnet18_learns_a_small_problem() {
    let _rng = rng_lock();
    // Two classes of 8x8 images: bright left half vs bright right half, with noise.
    let data = bright_halves(8);
    let mut reg = Regularization::preset("none").unwrap();
    reg.optimizer = OptimizerKind::Adam;
    reg.lr = 1e-3;
    reg.epochs = 4;
    reg.batch_size = 16;
    let rows: Vec<usize> = (0..48).collect();
    let outcome = train_model::<Cpu>(
        TrainRequest {
            spec: &spec(ResnetStem::Cifar),
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
        &mut |_, _| {},
    )
    .unwrap();
    let held_out: Vec<usize> = (48..64).collect();
    let probs = predict_probabilities(&outcome.model, &data, &held_out, 8, &FlexDevice).unwrap();
    let correct = held_out
        .iter()
        .enumerate()
        .filter(|(k, &i)| {
            let row = probs.row(*k);
            (row[1] > row[0]) == (data.labels[i] == 1)
        })
        .count();
    assert!(correct >= 14, "{correct}/16 held-out examples right");
}
