//! Models, trainer and views on the CPU backend: shapes, learning on separable data,
//! seeding, MC dropout, SWA.
#![allow(clippy::unwrap_used)]

mod common;

use common::rng_lock;

use burn::backend::{flex::FlexDevice, Autodiff, Flex};
use burn::module::{AutodiffModule, Module};
use burn::tensor::Tensor;
use sieve_bench_core::train::{evaluate, train_model, TrainRequest};
use sieve_bench_core::{
    ModelKind, ModelSpec, ModelView, Network, OptimizerKind, Regularization, TrainedModel,
};
use sieve_datasets::{generate_synthetic, ExampleShape, LabeledSet, SyntheticConfig};

type Cpu = Autodiff<Flex>;

fn separable(shape: ExampleShape, seed: u64) -> LabeledSet {
    let config = SyntheticConfig {
        classes: 3,
        per_class: 40,
        shape,
        separation: 6.0,
        noise: 0.5,
    };
    generate_synthetic(&config, seed).unwrap()
}

fn quick(optimizer: OptimizerKind) -> Regularization {
    let mut reg = Regularization::preset("none").unwrap();
    reg.epochs = 15;
    reg.batch_size = 16;
    reg.optimizer = optimizer;
    reg.lr = if optimizer == OptimizerKind::Sgd {
        0.05
    } else {
        0.01
    };
    reg
}

fn train(
    spec: &ModelSpec,
    reg: &Regularization,
    data: &LabeledSet,
    init_seed: u64,
) -> Network<Flex> {
    let indices: Vec<usize> = (0..data.len()).collect();
    let request = TrainRequest::<Cpu> {
        spec,
        regularization: reg,
        data,
        indices: &indices,
        classes: data.num_classes,
        init_seed,
        train_seed: 5,
        warm_start: None,
        example_weights: None,
        device: &FlexDevice,
        unlabeled: &[],
        learning_loss: None,
    };
    train_model::<Cpu>(request, &mut |_, _| {}).unwrap().model
}

fn params(model: &Network<Flex>) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl burn::module::ModuleVisitor<Flex> for Collect {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<Flex, D>>) {
            self.0
                .extend(param.val().into_data().to_vec::<f32>().unwrap());
        }
    }
    let mut c = Collect(Vec::new());
    model.visit(&mut c);
    c.0
}

#[test]
fn every_optimizer_learns_separable_classes() {
    let _rng = rng_lock();
    let data = separable(ExampleShape::flat(8), 1);
    for optimizer in [
        OptimizerKind::Sgd,
        OptimizerKind::Adam,
        OptimizerKind::Adamw,
    ] {
        let model = train(&ModelSpec::of(ModelKind::Mlp), &quick(optimizer), &data, 3);
        let metrics = evaluate(&model, &data, 64, &FlexDevice).unwrap();
        assert!(metrics.accuracy > 0.95, "{optimizer:?}: {metrics:?}");
    }
}

#[test]
fn the_cnns_fit_small_images_and_expose_embeddings() {
    let _rng = rng_lock();
    let data = separable(
        ExampleShape {
            channels: 1,
            height: 8,
            width: 8,
        },
        2,
    );
    for (kind, width) in [(ModelKind::Lenet, 84), (ModelKind::Convnet, 128)] {
        let model = train(&ModelSpec::of(kind), &quick(OptimizerKind::Adam), &data, 3);
        let metrics = evaluate(&model, &data, 64, &FlexDevice).unwrap();
        assert!(metrics.accuracy > 0.9, "{kind:?}: {metrics:?}");
        let view = TrainedModel {
            model,
            pool: &data,
            classes: data.num_classes,
            device: FlexDevice,
            batch_size: 7,
            dropout: 0.0,
            inference_seed: 0,
            previous: None,
        };
        let emb = view.embeddings(&[0, 5, 9]).unwrap();
        assert_eq!((emb.rows, emb.cols), (3, width));
        // The head's logits from the embeddings give the view's probabilities.
        let head = view.linear_head().unwrap();
        assert_eq!((head.weights.rows, head.weights.cols), (3, width));
        let probs = view.probabilities(&[0, 5, 9]).unwrap();
        for (e, p) in emb.iter_rows().zip(probs.iter_rows()) {
            let z = head.logits(e);
            let max = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = z.iter().map(|v| (v - max).exp()).sum();
            for (zc, &pc) in z.iter().zip(p) {
                let softmax = (zc - max).exp() / total;
                assert!((softmax - f64::from(pc)).abs() < 1e-4, "{softmax} vs {pc}");
            }
        }
        let probs = view.probabilities(&[0, 5, 9]).unwrap();
        for row in probs.iter_rows() {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        }
        // One pass for both gives the two passes' values, bit for bit.
        let (both_probs, both_emb) = view.probabilities_and_embeddings(&[0, 5, 9]).unwrap();
        assert_eq!((both_probs, both_emb), (probs, emb));
        assert!(
            view.mc_dropout_probabilities(&[0], 2).is_err(),
            "no dropout, no MC dropout"
        );
    }
    // ConvNet on CIFAR-sized input: 32 -> 16 -> 8 -> 4, 128 x 4 x 4 features.
    let spec = ModelSpec::of(ModelKind::Convnet);
    let net = Network::<Flex>::init(
        &spec,
        ExampleShape {
            channels: 3,
            height: 32,
            width: 32,
        },
        10,
        &FlexDevice,
    )
    .unwrap();
    let x = Tensor::<Flex, 4>::zeros([2, 3, 32, 32], &FlexDevice);
    assert_eq!(net.embed(x.clone(), 0.0, false).dims(), [2, 2048]);
    assert_eq!(net.forward(x, 0.0, false).dims(), [2, 10]);
}

#[test]
fn same_seeds_same_model_other_init_seed_other_model() {
    let _rng = rng_lock();
    let data = separable(ExampleShape::flat(8), 1);
    let spec = ModelSpec::of(ModelKind::Mlp);
    let reg = quick(OptimizerKind::Sgd);
    let a = params(&train(&spec, &reg, &data, 3));
    let b = params(&train(&spec, &reg, &data, 3));
    let c = params(&train(&spec, &reg, &data, 4));
    assert!(a == b, "same seeds must give the same weights");
    assert!(a != c, "another init seed must give other weights");
}

#[test]
fn mc_dropout_samples_vary_and_are_seeded() {
    let _rng = rng_lock();
    let data = separable(ExampleShape::flat(8), 1);
    let mut reg = quick(OptimizerKind::Adam);
    reg.dropout = 0.5;
    let spec = ModelSpec {
        hidden: Some(vec![64, 64]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    let model = train(&spec, &reg, &data, 3);
    let view = TrainedModel {
        model,
        pool: &data,
        classes: data.num_classes,
        device: FlexDevice,
        batch_size: 16,
        dropout: 0.5,
        inference_seed: 9,
        previous: None,
    };
    let samples = view.mc_dropout_probabilities(&[0, 1, 2, 50], 4).unwrap();
    assert_eq!(samples.len(), 4);
    assert_ne!(
        samples[0], samples[1],
        "dropout masks differ between samples"
    );
    let again = view.mc_dropout_probabilities(&[0, 1, 2, 50], 4).unwrap();
    assert!(samples == again, "same inference seed, same samples");
    // Deterministic inference is unaffected by dropout.
    assert_eq!(
        view.probabilities(&[0, 1]).unwrap(),
        view.probabilities(&[0, 1]).unwrap()
    );
}

/// A pool where example `2i+1` is an exact copy of example `2i`.
fn twins(shape: ExampleShape) -> LabeledSet {
    let base = separable(shape, 4);
    let len = shape.len();
    let mut data = base.clone();
    data.features = Vec::with_capacity(base.features.len() * 2);
    data.labels = Vec::with_capacity(base.len() * 2);
    for i in 0..base.len() {
        for _ in 0..2 {
            data.features
                .extend_from_slice(&base.features[i * len..(i + 1) * len]);
            data.labels.push(base.labels[i]);
        }
    }
    data
}

#[test]
fn mc_dropout_gives_identical_inputs_identical_rows_within_a_pass() {
    let _rng = rng_lock();
    let image = ExampleShape {
        channels: 1,
        height: 8,
        width: 8,
    };
    let mlp = ModelSpec {
        hidden: Some(vec![32, 16]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    for (spec, shape) in [
        (mlp, ExampleShape::flat(8)),
        (ModelSpec::of(ModelKind::Lenet), image),
        (ModelSpec::of(ModelKind::Convnet), image),
        (ModelSpec::of(ModelKind::GalCnn), image),
    ] {
        let data = twins(shape);
        let net = Network::<Flex>::init(&spec, shape, data.num_classes, &FlexDevice).unwrap();
        // Batches of 5 split twins across batches too: the mask is the pass's, not the batch's.
        let view = TrainedModel {
            model: net,
            pool: &data,
            classes: data.num_classes,
            device: FlexDevice,
            batch_size: 5,
            dropout: 0.5,
            inference_seed: 3,
            previous: None,
        };
        let indices: Vec<usize> = (0..data.len()).collect();
        let samples = view.mc_dropout_probabilities(&indices, 6).unwrap();
        for (s, pass) in samples.iter().enumerate() {
            for i in (0..data.len()).step_by(2) {
                assert_eq!(
                    pass.row(i),
                    pass.row(i + 1),
                    "{:?}: twins {i} and {} differ in pass {s}",
                    spec.kind,
                    i + 1
                );
            }
        }
        assert!(
            samples.windows(2).any(|w| w[0] != w[1]),
            "{:?}: passes must sample different networks",
            spec.kind
        );
        // The masks belong to the pass: another inference batch size gives the same samples.
        let rebatched = TrainedModel {
            batch_size: 64,
            ..view
        };
        let again = rebatched.mc_dropout_probabilities(&indices, 6).unwrap();
        for (a, b) in samples.iter().zip(&again) {
            for (x, y) in a.data.iter().zip(&b.data) {
                assert!((x - y).abs() < 1e-5, "{:?}: {x} vs {y}", spec.kind);
            }
        }
    }
}

#[test]
fn strong_regularization_with_swa_trains_on_images() {
    let _rng = rng_lock();
    let data = separable(
        ExampleShape {
            channels: 1,
            height: 8,
            width: 8,
        },
        2,
    );
    let mut reg = Regularization::preset("strong").unwrap();
    reg.epochs = 8;
    reg.optimizer = OptimizerKind::Adam;
    reg.lr = 0.01;
    let model = train(&ModelSpec::of(ModelKind::Mlp), &reg, &data, 3);
    let metrics = evaluate(&model, &data, 64, &FlexDevice).unwrap();
    assert!(metrics.accuracy > 0.9, "{metrics:?}");
}

#[test]
fn diverging_training_is_an_error_not_a_panic() {
    let _rng = rng_lock();
    let data = separable(ExampleShape::flat(8), 1);
    let mut reg = quick(OptimizerKind::Sgd);
    reg.lr = 1e30;
    let indices: Vec<usize> = (0..data.len()).collect();
    let spec = ModelSpec::of(ModelKind::Mlp);
    let request = TrainRequest::<Cpu> {
        spec: &spec,
        regularization: &reg,
        data: &data,
        indices: &indices,
        classes: data.num_classes,
        init_seed: 1,
        train_seed: 1,
        warm_start: None,
        example_weights: None,
        device: &FlexDevice,
        unlabeled: &[],
        learning_loss: None,
    };
    let err = train_model::<Cpu>(request, &mut |_, _| {}).err().unwrap();
    assert!(err.to_string().contains("diverged"), "{err}");
}

fn request<'a>(
    spec: &'a ModelSpec,
    reg: &'a Regularization,
    data: &'a LabeledSet,
    indices: &'a [usize],
    warm_start: Option<Network<Flex>>,
) -> TrainRequest<'a, Cpu> {
    TrainRequest::<Cpu> {
        spec,
        regularization: reg,
        data,
        indices,
        classes: data.num_classes,
        init_seed: 3,
        train_seed: 5,
        warm_start,
        example_weights: None,
        unlabeled: &[],
        device: &FlexDevice,
        learning_loss: None,
    }
}

#[test]
fn min_steps_is_honoured() {
    let _rng = rng_lock();
    // 20 examples at batch 8: 3 steps an epoch; epochs = 2 alone would be 6 steps.
    let data = separable(ExampleShape::flat(8), 1);
    let indices: Vec<usize> = (0..20).collect();
    let spec = ModelSpec::of(ModelKind::Mlp);
    // Through the config block, as a user writes it (the override used to be dropped).
    let block = sieve_bench_core::regularization::RegularizationSpec {
        name: "none".into(),
        epochs: Some(2),
        batch_size: Some(8),
        min_steps: Some(50),
        ..Default::default()
    };
    let mut reg = block.resolve("regularization[0]").unwrap();
    let mut epochs_seen = 0;
    let outcome = train_model::<Cpu>(request(&spec, &reg, &data, &indices, None), &mut |_, _| {
        epochs_seen += 1
    })
    .unwrap();
    assert_eq!(outcome.epochs, 17, "ceil(50 / 3) epochs");
    assert_eq!(outcome.steps, 51, "at least 50 steps, whole epochs");
    assert_eq!(epochs_seen, 17);
    reg.min_steps = 0;
    let outcome =
        train_model::<Cpu>(request(&spec, &reg, &data, &indices, None), &mut |_, _| {}).unwrap();
    assert_eq!((outcome.epochs, outcome.steps), (2, 6));
}

#[test]
fn a_warm_started_round_trains() {
    let _rng = rng_lock();
    let data = separable(ExampleShape::flat(8), 1);
    let spec = ModelSpec::of(ModelKind::Mlp);
    let reg = quick(OptimizerKind::Sgd);
    let first: Vec<usize> = (0..30).collect();
    let round0 =
        train_model::<Cpu>(request(&spec, &reg, &data, &first, None), &mut |_, _| {}).unwrap();
    let before = params(&round0.model);
    let all: Vec<usize> = (0..data.len()).collect();
    let mut losses = Vec::new();
    let round1 = train_model::<Cpu>(
        request(&spec, &reg, &data, &all, Some(round0.model)),
        &mut |_, loss| losses.push(loss),
    )
    .unwrap();
    let after = params(&round1.model);
    let moved = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| (*a - *b).abs() > 1e-6)
        .count();
    assert!(
        moved > before.len() / 2,
        "warm start must train: {moved} of {} weights moved",
        before.len()
    );
    assert!(
        losses.last().unwrap() < losses.first().unwrap(),
        "loss falls: {losses:?}"
    );
}

#[test]
fn a_warm_start_from_the_initial_weights_reproduces_the_cold_run() {
    let _rng = rng_lock();
    let data = separable(ExampleShape::flat(8), 1);
    let spec = ModelSpec::of(ModelKind::Mlp);
    let reg = quick(OptimizerKind::Adam);
    let indices: Vec<usize> = (0..data.len()).collect();
    let mut cold = Vec::new();
    train_model::<Cpu>(request(&spec, &reg, &data, &indices, None), &mut |_, l| {
        cold.push(l)
    })
    .unwrap();
    <Cpu as burn::tensor::backend::Backend>::seed(&FlexDevice, 3);
    let initial = Network::<Cpu>::init(&spec, data.shape, data.num_classes, &FlexDevice)
        .unwrap()
        .valid();
    let mut warm = Vec::new();
    train_model::<Cpu>(
        request(&spec, &reg, &data, &indices, Some(initial)),
        &mut |_, l| warm.push(l),
    )
    .unwrap();
    assert_eq!(cold, warm);
}

#[test]
fn a_warm_start_from_an_swa_average_trains() {
    let _rng = rng_lock();
    let data = separable(ExampleShape::flat(8), 1);
    let spec = ModelSpec::of(ModelKind::Mlp);
    let mut reg = quick(OptimizerKind::Sgd);
    reg.swa = Some(sieve_bench_core::regularization::SwaConfig {
        start_fraction: 0.5,
        lr: None,
    });
    let indices: Vec<usize> = (0..data.len()).collect();
    let averaged =
        train_model::<Cpu>(request(&spec, &reg, &data, &indices, None), &mut |_, _| {}).unwrap();
    let before = params(&averaged.model);
    reg.swa = None;
    let next = train_model::<Cpu>(
        request(&spec, &reg, &data, &indices, Some(averaged.model)),
        &mut |_, _| {},
    )
    .unwrap();
    assert_ne!(before, params(&next.model));
}

#[test]
fn dropout_acts_once_before_the_head_except_between_mlp_hidden_layers() {
    let _rng = rng_lock();
    // With dropout forced on, the embedding is untouched for LeNet, ConvNet and a
    // one-hidden-layer MLP (their only dropout is the head's); a deeper MLP drops
    // between its hidden layers too.
    let shape = ExampleShape::new(1, 8, 8);
    let x = Tensor::<Flex, 4>::ones([3, 1, 8, 8], &FlexDevice);
    let embed_changes = |spec: &ModelSpec| {
        <Flex as burn::tensor::backend::Backend>::seed(&FlexDevice, 1);
        let net = Network::<Flex>::init(spec, shape, 3, &FlexDevice).unwrap();
        let plain = net.embed(x.clone(), 0.0, false).into_data();
        let dropped = net.embed(x.clone(), 0.9, true).into_data();
        plain != dropped
    };
    assert!(!embed_changes(&ModelSpec::of(ModelKind::Lenet)));
    assert!(!embed_changes(&ModelSpec::of(ModelKind::Convnet)));
    assert!(!embed_changes(&ModelSpec::of(ModelKind::Mlp)));
    let deep = ModelSpec {
        hidden: Some(vec![16, 16]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    assert!(embed_changes(&deep));
    // The head's dropout does act.
    let net =
        Network::<Flex>::init(&ModelSpec::of(ModelKind::Lenet), shape, 3, &FlexDevice).unwrap();
    let h = net.embed(x.clone(), 0.0, false);
    assert_ne!(
        net.head(h.clone(), 0.0, false).into_data(),
        net.head(h, 0.9, true).into_data()
    );
}

#[test]
fn unit_weights_train_like_no_weights_and_other_weights_change_training() {
    let _rng = rng_lock();
    let data = separable(ExampleShape::flat(8), 1);
    let spec = ModelSpec::of(ModelKind::Mlp);
    let reg = quick(OptimizerKind::Sgd);
    let indices: Vec<usize> = (0..data.len()).collect();
    let plain =
        train_model::<Cpu>(request(&spec, &reg, &data, &indices, None), &mut |_, _| {}).unwrap();
    let ones = vec![1.0f32; data.len()];
    let mut weighted = request(&spec, &reg, &data, &indices, None);
    weighted.example_weights = Some(&ones);
    let weighted = train_model::<Cpu>(weighted, &mut |_, _| {}).unwrap();
    let (a, b) = (params(&plain.model), params(&weighted.model));
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "unit weights moved a weight by {worst}");
    // Weight 2 on one class: the loss is a weighted mean, so it differs from plain.
    let skewed: Vec<f32> = data
        .labels
        .iter()
        .map(|&l| if l == 0 { 2.0 } else { 1.0 })
        .collect();
    let mut req = request(&spec, &reg, &data, &indices, None);
    req.example_weights = Some(&skewed);
    let other = train_model::<Cpu>(req, &mut |_, _| {}).unwrap();
    assert_ne!(params(&other.model), a);
    // Bad weights are refused, not trained on.
    let negative = vec![-1.0f32; data.len()];
    let mut req = request(&spec, &reg, &data, &indices, None);
    req.example_weights = Some(&negative);
    assert!(train_model::<Cpu>(req, &mut |_, _| {}).is_err());
}

#[test]
fn the_observer_sees_every_example_once_an_epoch() {
    use sieve_bench_core::train::{train_model_observed, BatchOutputs, TrainObserver};
    struct Seen {
        per_epoch: Vec<Vec<usize>>,
        losses_ok: bool,
        correct: usize,
    }
    impl TrainObserver for Seen {
        fn on_batch(&mut self, o: &BatchOutputs<'_>) {
            if self.per_epoch.len() <= o.epoch {
                self.per_epoch.push(Vec::new());
            }
            self.per_epoch[o.epoch].extend_from_slice(o.rows);
            assert_eq!(o.losses.len(), o.rows.len());
            assert_eq!(o.probabilities.len(), o.rows.len() * o.classes);
            for i in 0..o.rows.len() {
                let p = &o.probabilities[i * o.classes..(i + 1) * o.classes];
                let expected = -p[o.labels[i] as usize].ln();
                self.losses_ok &= (o.losses[i] - expected).abs() < 1e-3 * expected.max(1.0);
                self.correct += usize::from(o.correct(i));
            }
        }
    }
    let _rng = rng_lock();
    let data = separable(ExampleShape::flat(8), 1);
    let spec = ModelSpec::of(ModelKind::Mlp);
    let reg = quick(OptimizerKind::Sgd);
    let indices: Vec<usize> = (5..50).collect();
    let mut seen = Seen {
        per_epoch: Vec::new(),
        losses_ok: true,
        correct: 0,
    };
    let observed = train_model_observed::<Cpu>(
        request(&spec, &reg, &data, &indices, None),
        &mut |_, _| {},
        &mut seen,
    )
    .unwrap();
    assert_eq!(seen.per_epoch.len(), reg.epochs);
    for rows in &mut seen.per_epoch {
        rows.sort_unstable();
        assert_eq!(*rows, indices);
    }
    assert!(
        seen.losses_ok,
        "losses are the cross-entropy of the probabilities"
    );
    assert!(seen.correct > 0);
    // Observing changes nothing.
    let plain =
        train_model::<Cpu>(request(&spec, &reg, &data, &indices, None), &mut |_, _| {}).unwrap();
    assert_eq!(params(&plain.model), params(&observed.model));
}

/// `gal_cnn` carries its dropout rates: MC dropout works with the regularization's
/// dropout at 0, the passes differ at the paper's rates and coincide at rates of 0, and
/// training refuses a regularization dropout on top of them.
#[test]
fn gal_cnn_dropout_is_the_models_own() {
    let _rng = rng_lock();
    let shape = ExampleShape {
        channels: 1,
        height: 12,
        width: 12,
    };
    let data = separable(shape, 6);
    let indices: Vec<usize> = (0..data.len()).collect();
    let passes = |rates: Option<Vec<f64>>| {
        let spec = ModelSpec {
            dropout: rates,
            ..ModelSpec::of(ModelKind::GalCnn)
        };
        let net = Network::<Flex>::init(&spec, shape, data.num_classes, &FlexDevice).unwrap();
        assert_eq!(
            net.dropout_sites(0.0),
            vec![
                (32 * 3 * 3, spec.gal_dropout()[0]),
                (128, spec.gal_dropout()[1])
            ]
        );
        let view = TrainedModel {
            model: net,
            pool: &data,
            classes: data.num_classes,
            device: FlexDevice,
            batch_size: 7,
            dropout: 0.0,
            inference_seed: 5,
            previous: None,
        };
        view.mc_dropout_probabilities(&indices, 3).unwrap()
    };
    let paper = passes(None);
    assert_ne!(
        paper[0].data, paper[1].data,
        "the paper's rates sample networks"
    );
    let off = passes(Some(vec![0.0, 0.0]));
    assert_eq!(
        off[0].data, off[1].data,
        "rates of 0: every pass is the same network"
    );
    let mut reg = Regularization::preset("none").unwrap();
    reg.dropout = 0.3;
    reg.epochs = 1;
    let spec = ModelSpec::of(ModelKind::GalCnn);
    let err = train_model::<Cpu>(
        TrainRequest {
            spec: &spec,
            regularization: &reg,
            data: &data,
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
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("regularization.dropout") && err.contains("own dropout"),
        "{err}"
    );
}
