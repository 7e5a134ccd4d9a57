//! LL4AL: the ranking loss against hand-computed values, every model's stages, the joint
//! training (each setting takes effect; detached from the start it leaves the network
//! exactly as plain training does), and a module that learns which examples are hard.
#![allow(clippy::unwrap_used)]

mod common;

use common::{image_batch, rng_lock, weights};

use burn::backend::{flex::FlexDevice, Autodiff, Flex};
use burn::tensor::{Tensor, TensorData};
use sieve_bench_core::learning_loss::{predicted_losses, ranking_loss};
use sieve_bench_core::train::{
    per_example_cross_entropy, read_f32, smoothed_targets, train_model, TrainOutcome, TrainRequest,
};
use sieve_bench_core::{
    LearningLossConfig, ModelKind, ModelSpec, Network, Regularization, ResnetStem,
};
use sieve_datasets::{generate_synthetic, ExampleShape, LabeledSet, SyntheticConfig};

type Cpu = Autodiff<Flex>;

fn vector(values: &[f32]) -> Tensor<Flex, 1> {
    Tensor::from_data(
        TensorData::new(values.to_vec(), [values.len()]),
        &FlexDevice,
    )
}

fn loss_of(predicted: &[f32], target: &[f32], margin: f64) -> f32 {
    read_f32(ranking_loss(vector(predicted), vector(target), margin)).unwrap()[0]
}

#[test]
fn the_ranking_loss_pairs_each_example_with_its_mirror() {
    // Pairs (0, 3) and (1, 2). Pair (0, 3): the target says 0 > 3 and the prediction
    // agrees by exactly the margin: 0. Pair (1, 2): the target says 1 < 2 but the
    // prediction has 1 above 2 by 1: max(0, 1 + 1) = 2. Mean over the 2 pairs: 1.
    assert_eq!(
        loss_of(&[3.0, 1.0, 0.0, 2.0], &[5.0, 1.0, 2.0, 0.0], 1.0),
        1.0
    );
    // Margin 0.5: pair (0, 3) max(0, 0.5 - 1) = 0, pair (1, 2) 0.5 + 1 = 1.5; mean 0.75.
    assert_eq!(
        loss_of(&[3.0, 1.0, 0.0, 2.0], &[5.0, 1.0, 2.0, 0.0], 0.5),
        0.75
    );
    // A tie counts as "not above" (sign -1): max(0, 1 + (0.25 - 0)) = 1.25.
    assert_eq!(loss_of(&[0.25, 0.0], &[1.0, 1.0], 1.0), 1.25);
    // An odd batch leaves its middle example out: pairs (0, 4), (1, 3) only; the middle
    // prediction may be anything.
    let odd = |middle: f32| {
        loss_of(
            &[2.0, 0.0, middle, 1.0, 0.0],
            &[3.0, 0.0, 9.0, 1.0, 1.0],
            1.0,
        )
    };
    // Pair (0, 4): target 3 > 1, prediction 2 - 0 = 2: 0. Pair (1, 3): target 0 < 1,
    // prediction 0 - 1 = -1: max(0, 1 - 1) = 0.
    assert_eq!(odd(0.0), 0.0);
    assert_eq!(odd(100.0), 0.0);
    // One example has no pair.
    assert_eq!(loss_of(&[4.0], &[1.0], 1.0), 0.0);
}

#[test]
fn every_model_hands_over_its_stages_and_the_same_logits() {
    let _rng = rng_lock();
    let small = ExampleShape::new(1, 12, 12);
    let mnist = ExampleShape::new(1, 28, 28);
    let cases: Vec<(ModelSpec, ExampleShape, Vec<usize>)> = vec![
        (
            ModelSpec {
                hidden: Some(vec![32, 16]),
                ..ModelSpec::of(ModelKind::Mlp)
            },
            small,
            vec![32, 16],
        ),
        (ModelSpec::of(ModelKind::Lenet), small, vec![6, 16, 120, 84]),
        (
            ModelSpec {
                width: Some(8),
                ..ModelSpec::of(ModelKind::Convnet)
            },
            small,
            vec![8, 8, 8],
        ),
        (ModelSpec::of(ModelKind::GalCnn), mnist, vec![32, 32, 128]),
        (
            ModelSpec {
                stem: Some(ResnetStem::Cifar),
                ..ModelSpec::of(ModelKind::Resnet18)
            },
            small,
            vec![64, 128, 256, 512],
        ),
        (
            ModelSpec::of(ModelKind::Vgg11),
            mnist,
            vec![64, 128, 256, 512, 512, 512],
        ),
    ];
    for (spec, shape, widths) in cases {
        <Flex as burn::tensor::backend::Backend>::seed(&FlexDevice, 3);
        let network = Network::<Flex>::init(&spec, shape, 4, &FlexDevice).unwrap();
        let x = image_batch::<Flex>(shape, 2, &FlexDevice);
        let (logits, stages) = network.forward_with_stages(x.clone(), 0.0, false);
        let got: Vec<usize> = stages.iter().map(|s| s.dims()[1]).collect();
        assert_eq!(got, widths, "{}", spec.name);
        assert!(stages.iter().all(|s| s.dims()[0] == 2), "{}", spec.name);
        assert_eq!(
            read_f32(logits).unwrap(),
            read_f32(network.forward(x, 0.0, false)).unwrap(),
            "{}: the stages must come from the same pass as forward",
            spec.name
        );
    }
}

/// 8x8 images of 3 classes, 60 examples; rows `i % 5 == 0` get another class's label.
fn noisy_images() -> (LabeledSet, Vec<bool>) {
    let config = SyntheticConfig {
        classes: 3,
        per_class: 20,
        shape: ExampleShape::new(1, 8, 8),
        separation: 2.0,
        noise: 1.0,
    };
    let mut data = generate_synthetic(&config, 4).unwrap();
    let flipped: Vec<bool> = (0..data.len()).map(|i| i % 5 == 0).collect();
    for (i, &f) in flipped.iter().enumerate() {
        if f {
            data.labels[i] = (data.labels[i] + 1) % 3;
        }
    }
    (data, flipped)
}

fn mlp() -> ModelSpec {
    ModelSpec {
        hidden: Some(vec![32, 16]),
        ..ModelSpec::of(ModelKind::Mlp)
    }
}

fn train(
    data: &LabeledSet,
    epochs: usize,
    lr: f64,
    learning_loss: Option<&LearningLossConfig>,
) -> TrainOutcome<Flex> {
    let mut reg = Regularization::preset("none").unwrap();
    reg.epochs = epochs;
    reg.batch_size = 10;
    reg.lr = lr;
    let spec = mlp();
    let rows: Vec<usize> = (0..data.len()).collect();
    train_model::<Cpu>(
        TrainRequest {
            spec: &spec,
            regularization: &reg,
            data,
            indices: &rows,
            classes: 3,
            init_seed: 1,
            train_seed: 2,
            warm_start: None,
            example_weights: None,
            unlabeled: &[],
            device: &FlexDevice,
            learning_loss,
        },
        &mut |_, _| {},
    )
    .unwrap()
}

#[test]
fn every_setting_of_the_joint_training_takes_effect() {
    let _rng = rng_lock();
    let (data, _) = noisy_images();
    let plain = train(&data, 3, 0.05, None);
    assert!(plain.loss_predictor.is_none());
    // Detached from the first epoch, the module never shapes the network: the network
    // is exactly the one plain training gives.
    let detached = LearningLossConfig {
        detach_after: 0.0,
        ..LearningLossConfig::default()
    };
    let outcome = train(&data, 3, 0.05, Some(&detached));
    assert!(outcome.loss_predictor.is_some());
    assert_eq!(weights(&outcome.model), weights(&plain.model));

    let joint = LearningLossConfig {
        detach_after: 1.0,
        ..LearningLossConfig::default()
    };
    let base = weights(&train(&data, 3, 0.05, Some(&joint)).model);
    assert_ne!(
        base,
        weights(&plain.model),
        "the joint term shapes the network"
    );
    let variants = [
        LearningLossConfig {
            margin: 0.5,
            ..joint.clone()
        },
        LearningLossConfig {
            weight: 2.0,
            ..joint.clone()
        },
        LearningLossConfig {
            hidden: 16,
            ..joint.clone()
        },
        LearningLossConfig {
            detach_after: 0.5,
            ..joint.clone()
        },
    ];
    for variant in &variants {
        assert_ne!(
            weights(&train(&data, 3, 0.05, Some(variant)).model),
            base,
            "{variant:?} changed nothing"
        );
    }
}

#[test]
fn bad_settings_are_refused_by_name() {
    let _rng = rng_lock();
    let (data, _) = noisy_images();
    let cases = [
        (
            LearningLossConfig {
                margin: -1.0,
                ..LearningLossConfig::default()
            },
            "learning_loss.margin",
        ),
        (
            LearningLossConfig {
                weight: 0.0,
                ..LearningLossConfig::default()
            },
            "learning_loss.weight",
        ),
        (
            LearningLossConfig {
                hidden: 0,
                ..LearningLossConfig::default()
            },
            "learning_loss.hidden",
        ),
        (
            LearningLossConfig {
                detach_after: 1.5,
                ..LearningLossConfig::default()
            },
            "learning_loss.detach_after",
        ),
    ];
    let mut reg = Regularization::preset("none").unwrap();
    reg.epochs = 1;
    let spec = mlp();
    for (config, field) in cases {
        let err = train_model::<Cpu>(
            TrainRequest {
                spec: &spec,
                regularization: &reg,
                data: &data,
                indices: &[0, 1],
                classes: 3,
                init_seed: 1,
                train_seed: 2,
                warm_start: None,
                example_weights: None,
                unlabeled: &[],
                device: &FlexDevice,
                learning_loss: Some(&config),
            },
            &mut |_, _| {},
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains(field), "{err}");
    }
}

#[test]
fn the_module_learns_which_examples_are_hard() {
    let _rng = rng_lock();
    let (data, flipped) = noisy_images();
    // At SGD lr 0.01: the joint term has no batch norm to stop it from scaling up an
    // MLP's features, and at 0.05 it does (docs/strategies.md).
    let outcome = train(&data, 40, 0.01, Some(&LearningLossConfig::default()));
    let rows: Vec<usize> = (0..data.len()).collect();
    let predicted = predicted_losses(
        &outcome.model,
        outcome.loss_predictor.as_ref().unwrap(),
        &data,
        &rows,
        16,
        &FlexDevice,
    )
    .unwrap();
    // The true losses of the trained network.
    let (mut buffer, mut labels) = (Vec::new(), Vec::new());
    data.gather(&rows, &mut buffer, &mut labels);
    let x =
        sieve_bench_core::train::batch_tensor::<Flex>(buffer, rows.len(), data.shape, &FlexDevice);
    let targets = smoothed_targets::<Flex>(&labels, 3, 0.0, &FlexDevice);
    let actual = read_f32(per_example_cross_entropy(
        outcome.model.forward(x, 0.0, false),
        targets,
    ))
    .unwrap();
    // Pairs ordered the same way by the prediction and by the true loss.
    let (mut agree, mut pairs) = (0usize, 0usize);
    for i in 0..rows.len() {
        for j in i + 1..rows.len() {
            if (actual[i] - actual[j]).abs() > 1e-3 {
                pairs += 1;
                agree += usize::from((predicted[i] > predicted[j]) == (actual[i] > actual[j]));
            }
        }
    }
    let concordance = agree as f64 / pairs as f64;
    assert!(concordance > 0.7, "concordance {concordance}");
    // The relabelled examples are the hard ones, and the module says so.
    let mean = |keep: bool| {
        let v: Vec<f32> = (0..rows.len())
            .filter(|&i| flipped[i] == keep)
            .map(|i| predicted[i])
            .collect();
        v.iter().sum::<f32>() / v.len() as f32
    };
    assert!(
        mean(true) > mean(false),
        "{} vs {}",
        mean(true),
        mean(false)
    );
}
