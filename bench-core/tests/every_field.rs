//! No field may be accepted and ignored. For every field of the `[[regularization]]` and
//! `[[model]]` blocks, a non-default value changes what the trainer uses: the resolved
//! setting, and then the trained weights (or the network built). Field lists come from
//! serde, so a field added later fails here until it has a case.
#![allow(clippy::unwrap_used)]

mod common;

use common::{rng_lock, weights};

use std::collections::BTreeSet;

use burn::backend::{flex::FlexDevice, Autodiff, Flex};
use burn::module::Module;
use burn::tensor::Tensor;
use serde_json::{json, Value};
use sieve_bench_core::regularization::{LrSchedule, RegularizationSpec, SwaConfig};
use sieve_bench_core::train::{train_model, TrainRequest};
use sieve_bench_core::{ModelKind, ModelSpec, Network, OptimizerKind, Regularization};
use sieve_datasets::{
    generate_synthetic, Augmentation, DsaStrategy, ExampleShape, LabeledSet, SyntheticConfig,
};

type Cpu = Autodiff<Flex>;

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut out = base.clone();
    out.as_object_mut().unwrap().insert(key.into(), value);
    out
}

fn assert_covers(cases: &[&str], exempt: &[&str], all: BTreeSet<String>, block: &str) {
    let covered: BTreeSet<String> = cases.iter().chain(exempt).map(|s| s.to_string()).collect();
    assert_eq!(covered, all, "every {block} field needs a case here");
}

#[test]
fn every_regularization_override_reaches_the_resolved_setting() {
    let _rng = rng_lock();
    let base = json!({"name": "custom", "preset": "none"});
    let strong = json!({"name": "custom", "preset": "strong"});
    let cases: Vec<(&str, Value, Value)> = vec![
        ("name", base.clone(), json!("renamed")),
        ("preset", base.clone(), json!("standard")),
        ("epochs", base.clone(), json!(7)),
        ("min_steps", base.clone(), json!(123)),
        ("batch_size", base.clone(), json!(17)),
        ("optimizer", base.clone(), json!("adam")),
        ("lr", base.clone(), json!(0.123)),
        ("momentum", base.clone(), json!(0.5)),
        ("schedule", base.clone(), json!({"kind": "cosine"})),
        ("weight_decay", base.clone(), json!(0.01)),
        ("dropout", base.clone(), json!(0.2)),
        ("augment", base.clone(), json!({"flip": true})),
        ("label_smoothing", base.clone(), json!(0.05)),
        ("swa", base.clone(), json!({"start_fraction": 0.5})),
        ("no_swa", strong.clone(), json!(true)),
        ("training", base.clone(), json!({"kind": "pseudo_label"})),
    ];
    let names: Vec<&str> = cases.iter().map(|c| c.0).collect();
    assert_covers(
        &names,
        &[],
        keys(&serde_json::to_value(RegularizationSpec::default()).unwrap()),
        "[[regularization]]",
    );
    let resolve = |v: &Value| {
        serde_json::from_value::<RegularizationSpec>(v.clone())
            .unwrap()
            .resolve("regularization[0]")
            .unwrap()
    };
    for (field, base, value) in cases {
        let before = resolve(&base);
        let after = resolve(&with(&base, field, value.clone()));
        assert_ne!(before, after, "override `{field}` = {value} was dropped");
    }
}

/// Small images (augmentation needs them), 3 classes, 30 examples.
fn images() -> LabeledSet {
    let config = SyntheticConfig {
        classes: 3,
        per_class: 10,
        shape: ExampleShape::new(1, 6, 6),
        separation: 2.0,
        noise: 1.0,
    };
    generate_synthetic(&config, 4).unwrap()
}

fn base_regularization() -> Regularization {
    let mut reg = Regularization::preset("none").unwrap();
    reg.epochs = 3;
    reg.batch_size = 8;
    reg
}

/// The trained weights and the amount of training: what a changed setting must move.
fn train_fingerprint(reg: &Regularization, data: &LabeledSet) -> (Vec<f32>, usize, usize) {
    let spec = ModelSpec {
        hidden: Some(vec![16]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    let indices: Vec<usize> = (0..data.len()).collect();
    let outcome = train_model::<Cpu>(
        TrainRequest {
            spec: &spec,
            regularization: reg,
            data,
            indices: &indices,
            classes: data.num_classes,
            init_seed: 1,
            train_seed: 2,
            warm_start: None,
            example_weights: None,
            device: &FlexDevice,
            unlabeled: &[],
            learning_loss: None,
        },
        &mut |_, _| {},
    )
    .unwrap();
    (weights(&outcome.model), outcome.steps, outcome.epochs)
}

type Mutation = Box<dyn Fn(&mut Regularization)>;

#[test]
fn every_regularization_setting_changes_what_the_trainer_learns() {
    let _rng = rng_lock();
    let data = images();
    // (field, how the base is changed). Several cases may test one field.
    let cases: Vec<(&str, Mutation)> = vec![
        ("epochs", Box::new(|r| r.epochs = 4)),
        ("min_steps", Box::new(|r| r.min_steps = 20)),
        ("batch_size", Box::new(|r| r.batch_size = 5)),
        ("optimizer", Box::new(|r| r.optimizer = OptimizerKind::Adam)),
        (
            "optimizer",
            Box::new(|r| r.optimizer = OptimizerKind::Adamw),
        ),
        ("lr", Box::new(|r| r.lr = 0.01)),
        ("momentum", Box::new(|r| r.momentum = 0.5)),
        ("schedule", Box::new(|r| r.schedule = LrSchedule::Cosine {})),
        (
            "schedule",
            Box::new(|r| {
                r.schedule = LrSchedule::Step {
                    step_epochs: 1,
                    gamma: 0.5,
                }
            }),
        ),
        ("weight_decay", Box::new(|r| r.weight_decay = 0.01)),
        ("dropout", Box::new(|r| r.dropout = 0.3)),
        ("augment", Box::new(|r| r.augment.flip = true)),
        ("augment", Box::new(|r| r.augment.crop_padding = 1)),
        ("augment", Box::new(|r| r.augment.cutout = 2)),
        (
            "augment",
            Box::new(|r| r.augment.dsa = Some(DsaStrategy::parse("crop_scale").unwrap())),
        ),
        ("label_smoothing", Box::new(|r| r.label_smoothing = 0.1)),
        (
            "swa",
            Box::new(|r| {
                r.swa = Some(SwaConfig {
                    start_fraction: 0.3,
                    lr: None,
                })
            }),
        ),
    ];
    // `name` labels the records; it cannot change training.
    let names: Vec<&str> = cases.iter().map(|c| c.0).collect();
    assert_covers(
        &names,
        &["name"],
        keys(&serde_json::to_value(base_regularization()).unwrap()),
        "resolved regularization",
    );
    // Every optional field set, so serialisation lists it.
    let full = Augmentation {
        dsa: Some(DsaStrategy::parse(DsaStrategy::DEFAULT).unwrap()),
        ..Augmentation::default()
    };
    let augment_fields = keys(&serde_json::to_value(full).unwrap());
    assert_eq!(
        augment_fields,
        ["crop_padding", "cutout", "dsa", "flip"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        "every augment field needs a case above"
    );

    let base = train_fingerprint(&base_regularization(), &data);
    for (i, (field, mutate)) in cases.iter().enumerate() {
        let mut reg = base_regularization();
        mutate(&mut reg);
        assert_ne!(
            base,
            train_fingerprint(&reg, &data),
            "case {i}: changing `{field}` did not change training"
        );
    }

    // Optimizer-specific: momentum is SGD's momentum and Adam/AdamW's beta1.
    for optimizer in [OptimizerKind::Adam, OptimizerKind::Adamw] {
        let mut reg = base_regularization();
        reg.optimizer = optimizer;
        let before = train_fingerprint(&reg, &data);
        reg.momentum = 0.5;
        assert_ne!(
            before,
            train_fingerprint(&reg, &data),
            "momentum ignored by {optimizer:?}"
        );
    }
    // SWA's own fields.
    let swa_fields = keys(
        &serde_json::to_value(SwaConfig {
            start_fraction: 0.5,
            lr: Some(0.1),
        })
        .unwrap(),
    );
    assert_eq!(
        swa_fields,
        ["lr", "start_fraction"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        "every swa field needs a case below"
    );
    let mut reg = base_regularization();
    reg.epochs = 4;
    reg.swa = Some(SwaConfig {
        start_fraction: 0.5,
        lr: None,
    });
    let swa_base = train_fingerprint(&reg, &data);
    reg.swa = Some(SwaConfig {
        start_fraction: 0.0,
        lr: None,
    });
    assert_ne!(
        swa_base,
        train_fingerprint(&reg, &data),
        "swa.start_fraction"
    );
    reg.swa = Some(SwaConfig {
        start_fraction: 0.5,
        lr: Some(0.01),
    });
    assert_ne!(swa_base, train_fingerprint(&reg, &data), "swa.lr");
    // The name really is only a label.
    let mut renamed = base_regularization();
    renamed.name = "other".into();
    assert_eq!(base, train_fingerprint(&renamed, &data));
}

fn network_fingerprint(spec: &ModelSpec, shape: ExampleShape) -> String {
    let net = Network::<Flex>::init(spec, shape, 3, &FlexDevice).unwrap();
    let x = Tensor::<Flex, 4>::zeros([1, shape.channels, shape.height, shape.width], &FlexDevice);
    let variant = match &net {
        Network::Mlp(_) => "mlp",
        Network::Lenet(_) => "lenet",
        Network::Convnet(_) => "convnet",
        Network::GalCnn(_) => "gal_cnn",
        Network::Resnet18(_) => "resnet18",
        Network::Vgg(_) => "vgg",
    };
    format!(
        "{variant} params={} embed={:?} dropout sites={:?}",
        net.num_params(),
        net.embed(x, 0.0, false).dims(),
        net.dropout_sites(0.0)
    )
}

#[test]
fn every_model_field_changes_the_network() {
    let _rng = rng_lock();
    let shape = ExampleShape::new(1, 16, 16);
    let mlp = json!({"name": "m", "kind": "mlp"});
    let convnet = json!({"name": "c", "kind": "convnet"});
    let gal = json!({"name": "g", "kind": "gal_cnn"});
    let resnet = json!({"name": "r", "kind": "resnet18"});
    let cases: Vec<(&str, Value, Value)> = vec![
        ("kind", mlp.clone(), json!("lenet")),
        ("hidden", mlp.clone(), json!([7])),
        ("width", convnet.clone(), json!(8)),
        ("depth", convnet.clone(), json!(2)),
        ("dropout", gal.clone(), json!([0.1, 0.2])),
        ("stem", resnet.clone(), json!("imagenet")),
    ];
    let names: Vec<&str> = cases.iter().map(|c| c.0).collect();
    // `name` labels records (and infers the kind when `kind` is absent, tested below).
    assert_covers(
        &names,
        &["name"],
        keys(&serde_json::to_value(ModelSpec::of(ModelKind::Mlp)).unwrap()),
        "[[model]]",
    );
    let build = |v: &Value| serde_json::from_value::<ModelSpec>(v.clone()).unwrap();
    for (field, base, value) in cases {
        assert_ne!(
            network_fingerprint(&build(&base), shape),
            network_fingerprint(&build(&with(&base, field, value.clone())), shape),
            "model field `{field}` = {value} changed nothing"
        );
    }
    assert_ne!(
        network_fingerprint(&build(&json!({"name": "mlp"})), shape),
        network_fingerprint(&build(&json!({"name": "lenet"})), shape),
    );
}

#[test]
fn model_fields_of_another_kind_are_refused() {
    let _rng = rng_lock();
    let shape = Some(ExampleShape::new(1, 16, 16));
    for (text, field) in [
        (json!({"name": "lenet", "hidden": [7]}), "model[0].hidden"),
        (json!({"name": "mlp", "width": 5}), "model[0].width"),
        (json!({"name": "mlp", "depth": 7}), "model[0].depth"),
        (json!({"name": "convnet", "hidden": [7]}), "model[0].hidden"),
        (json!({"name": "lenet", "depth": 2}), "model[0].depth"),
        (
            json!({"name": "lenet", "dropout": [0.1, 0.2]}),
            "model[0].dropout",
        ),
        (json!({"name": "gal_cnn", "width": 8}), "model[0].width"),
        (json!({"name": "lenet", "stem": "cifar"}), "model[0].stem"),
        (
            json!({"name": "resnet18", "hidden": [8]}),
            "model[0].hidden",
        ),
    ] {
        let spec: ModelSpec = serde_json::from_value(text.clone()).unwrap();
        let err = spec.validate("model[0]", shape).unwrap_err().to_string();
        assert!(err.starts_with(field), "{text}: {err}");
        assert!(err.contains("is not a field of model kind"), "{err}");
    }
}

#[test]
fn schedules_refuse_fields_they_do_not_have() {
    let _rng = rng_lock();
    for text in [
        r#"{"kind": "constant", "step_epochs": 3}"#,
        r#"{"kind": "cosine", "gamma": 0.1}"#,
        r#"{"kind": "step", "step_epochs": 3, "gamma": 0.1, "warmup": 2}"#,
    ] {
        let err = serde_json::from_str::<LrSchedule>(text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field"), "{text}: {err}");
    }
    assert_eq!(
        serde_json::from_str::<LrSchedule>(r#"{"kind": "cosine"}"#).unwrap(),
        LrSchedule::Cosine {}
    );
}

#[test]
fn swa_and_no_swa_together_are_refused() {
    let _rng = rng_lock();
    let spec: RegularizationSpec = serde_json::from_value(json!({
        "name": "strong", "swa": {"start_fraction": 0.5}, "no_swa": true
    }))
    .unwrap();
    let err = spec.resolve("regularization[1]").unwrap_err().to_string();
    assert!(err.starts_with("regularization[1].no_swa"), "{err}");
}

#[test]
fn inference_runs_in_batches_of_the_configured_size() {
    let _rng = rng_lock();
    // `inference_batch_size` changes no number (records are bit-identical by design);
    // it must still be the batch size inference uses.
    let data = images();
    let indices: Vec<usize> = (0..data.len()).collect();
    for (batch, calls) in [(7, 5), (30, 1), (1, 30)] {
        let mut seen = 0;
        sieve_bench_core::train::map_batches::<Flex>(&data, &indices, batch, &FlexDevice, |x| {
            seen += 1;
            assert!(x.dims()[0] <= batch);
            Ok(vec![0.0; x.dims()[0]])
        })
        .unwrap();
        assert_eq!(seen, calls, "batch {batch}");
    }
}
