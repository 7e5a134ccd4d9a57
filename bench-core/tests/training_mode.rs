//! The `training` field: FixMatch-style pseudo-labels on the unlabeled rows change
//! training exactly when a pseudo-label passes the threshold, every one of its settings
//! takes effect, and a network takes another's head (self-supervised initialisation).
#![allow(clippy::unwrap_used)]

mod common;

use common::{image_batch, rng_lock, weights};

use burn::backend::{flex::FlexDevice, Autodiff, Flex};
use burn::tensor::Tensor;
use sieve_bench_core::regularization::RegularizationSpec;
use sieve_bench_core::train::{train_model, TrainRequest};
use sieve_bench_core::training_mode::fixmatch_views;
use sieve_bench_core::{ModelKind, ModelSpec, Network, Regularization, TrainingMode};
use sieve_datasets::{generate_synthetic, ExampleShape, LabeledSet, SyntheticConfig};

type Cpu = Autodiff<Flex>;

/// 8x8 images of 3 classes, 60 examples.
fn images() -> LabeledSet {
    let config = SyntheticConfig {
        classes: 3,
        per_class: 20,
        shape: ExampleShape::new(1, 8, 8),
        separation: 2.0,
        noise: 1.0,
    };
    generate_synthetic(&config, 4).unwrap()
}

fn pseudo(threshold: f64, ratio: usize, weight: f64) -> Option<TrainingMode> {
    Some(TrainingMode::PseudoLabel {
        threshold,
        ratio,
        weight,
    })
}

/// Trains on the first 12 rows, with the rest as the unlabeled pool (or none).
fn fingerprint(training: Option<TrainingMode>, with_unlabeled: bool) -> Vec<f32> {
    let data = images();
    let mut reg = Regularization::preset("none").unwrap();
    reg.epochs = 4;
    reg.batch_size = 4;
    reg.training = training;
    let spec = ModelSpec {
        hidden: Some(vec![16]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    let labeled: Vec<usize> = (0..12).collect();
    let unlabeled: Vec<usize> = if with_unlabeled {
        (12..60).collect()
    } else {
        Vec::new()
    };
    let outcome = train_model::<Cpu>(
        TrainRequest {
            spec: &spec,
            regularization: &reg,
            data: &data,
            indices: &labeled,
            classes: 3,
            init_seed: 1,
            train_seed: 2,
            warm_start: None,
            example_weights: None,
            unlabeled: &unlabeled,
            device: &FlexDevice,
            learning_loss: None,
        },
        &mut |_, _| {},
    )
    .unwrap();
    weights(&outcome.model)
}

#[test]
fn pseudo_labels_change_training_only_when_they_pass_the_threshold() {
    let _rng = rng_lock();
    let supervised = fingerprint(None, true);
    // No probability reaches 1: the term never fires and training is the supervised one.
    assert_eq!(supervised, fingerprint(pseudo(1.0, 2, 1.0), true));
    // Without unlabeled rows there is nothing to pseudo-label.
    assert_eq!(supervised, fingerprint(pseudo(0.4, 2, 1.0), false));
    // With a threshold the predictions pass, the unlabeled loss moves the weights.
    let base = fingerprint(pseudo(0.4, 2, 1.0), true);
    assert_ne!(supervised, base);
    assert_eq!(
        base,
        fingerprint(pseudo(0.4, 2, 1.0), true),
        "not deterministic"
    );
    // Every setting takes effect.
    for (field, changed) in [
        ("threshold", pseudo(0.5, 2, 1.0)),
        ("ratio", pseudo(0.4, 3, 1.0)),
        ("weight", pseudo(0.4, 2, 0.5)),
    ] {
        assert_ne!(
            base,
            fingerprint(changed, true),
            "`{field}` did not change training"
        );
    }
}

#[test]
fn the_training_field_parses_with_the_papers_defaults_and_checks_ranges() {
    let spec: RegularizationSpec = serde_json::from_value(serde_json::json!({
        "name": "fixmatch", "preset": "none", "training": {"kind": "pseudo_label"}
    }))
    .unwrap();
    let reg = spec.resolve("regularization[0]").unwrap();
    assert_eq!(reg.training, pseudo(0.95, 7, 1.0));
    // `supervised` is the same setting as no field.
    let spec: RegularizationSpec = serde_json::from_value(serde_json::json!({
        "name": "none", "training": {"kind": "supervised"}
    }))
    .unwrap();
    assert_eq!(
        spec.resolve("r").unwrap(),
        Regularization::preset("none").unwrap()
    );
    let ssl: TrainingMode =
        serde_json::from_value(serde_json::json!({"kind": "self_supervised_init"})).unwrap();
    assert_eq!(
        ssl.pretext().unwrap(),
        sieve_bench_core::RotationPretext::default()
    );
    for (bad, field) in [
        (pseudo(0.0, 7, 1.0), "threshold"),
        (pseudo(1.5, 7, 1.0), "threshold"),
        (pseudo(0.9, 0, 1.0), "ratio"),
        (pseudo(0.9, 7, 0.0), "weight"),
    ] {
        let err = bad.unwrap().validate("t", None).unwrap_err().to_string();
        assert!(err.contains(field), "{err}");
    }
    let err = ssl
        .validate("t", Some(ExampleShape::flat(10)))
        .unwrap_err()
        .to_string();
    assert!(err.contains("square"), "{err}");
    assert!(serde_json::from_value::<TrainingMode>(
        serde_json::json!({"kind": "pseudo_label", "tau": 0.9})
    )
    .is_err());
}

#[test]
fn fixmatch_views_translate_then_cut_out_half_the_side() {
    let (weak, strong) = fixmatch_views(ExampleShape::new(1, 28, 28));
    assert_eq!((weak.crop_padding, weak.cutout, weak.flip), (3, 0, false));
    assert_eq!((strong.crop_padding, strong.cutout), (0, 14));
    let (weak, strong) = fixmatch_views(ExampleShape::flat(64));
    assert!(weak.is_identity() && strong.is_identity());
}

#[test]
fn a_grafted_network_keeps_its_embedding_under_the_donors_head() {
    let _rng = rng_lock();
    let shape = ExampleShape::new(1, 8, 8);
    let spec = ModelSpec::of(ModelKind::Mlp);
    <Flex as burn::tensor::backend::Backend>::seed(&FlexDevice, 1);
    let pretext = Network::<Flex>::init(&spec, shape, 4, &FlexDevice).unwrap();
    <Flex as burn::tensor::backend::Backend>::seed(&FlexDevice, 2);
    let fresh = Network::<Flex>::init(&spec, shape, 3, &FlexDevice).unwrap();
    let x = image_batch::<Flex>(shape, 5, &FlexDevice);
    let grafted = pretext.clone().with_head_of(&fresh).unwrap();
    let same = |a: Tensor<Flex, 2>, b: Tensor<Flex, 2>| {
        a.into_data().to_vec::<f32>().unwrap() == b.into_data().to_vec::<f32>().unwrap()
    };
    assert!(same(
        grafted.embed(x.clone(), 0.0, false),
        pretext.embed(x.clone(), 0.0, false)
    ));
    assert!(same(
        grafted.forward(x.clone(), 0.0, false),
        fresh.head(pretext.embed(x, 0.0, false), 0.0, false)
    ));
    // A different architecture cannot give its head.
    let lenet = Network::<Flex>::init(
        &ModelSpec::of(ModelKind::Lenet),
        ExampleShape::new(1, 28, 28),
        3,
        &FlexDevice,
    )
    .unwrap();
    assert!(pretext.with_head_of(&lenet).is_err());
}
