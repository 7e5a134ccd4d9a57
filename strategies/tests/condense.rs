//! Condensation methods on cases whose answer is known by construction, and every
//! parameter reaching the result.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use burn::backend::{flex::FlexDevice, Autodiff, Flex};
use burn::tensor::{Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sieve_bench_core::{ModelKind, ModelSpec};
use sieve_datasets::{ExampleShape, LabeledSet};
use sieve_strategies::condense::{
    build_condense_method, condense_registry, perturb, CondenseMethod, CondenseRequest, Contrast,
    DcParams, ModelAugmentation, SyntheticSet,
};

type Cpu = Autodiff<Flex>;

/// DM seeds burn's process-wide generator: tests take turns.
static RNG: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    RNG.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const SHAPE: ExampleShape = ExampleShape::new(1, 6, 6);

/// `per_class` copies of one fixed image per class (3 classes), plus `jitter` noise.
fn data(per_class: usize, jitter: f32) -> LabeledSet {
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for c in 0..3u32 {
        for i in 0..per_class {
            for p in 0..SHAPE.len() {
                let base = ((p * (c as usize + 2)) % 7) as f32 / 3.0 - 1.0;
                let noise = jitter * (((i * 31 + p * 17) % 11) as f32 / 5.0 - 1.0);
                features.push(base + noise);
            }
            labels.push(c);
        }
    }
    LabeledSet::new(SHAPE, 3, features, labels).unwrap()
}

fn class_image(c: usize) -> Vec<f32> {
    (0..SHAPE.len())
        .map(|p| ((p * (c + 2)) % 7) as f32 / 3.0 - 1.0)
        .collect()
}

fn condense(
    method: &CondenseMethod,
    set: &LabeledSet,
    spec: &ModelSpec,
    ipc: usize,
) -> (SyntheticSet, Vec<f64>) {
    let request = CondenseRequest::<Cpu> {
        data: set,
        classes: 3,
        ipc,
        spec,
        device: &FlexDevice,
    };
    let mut losses = Vec::new();
    let out = method
        .condense(
            &request,
            &mut ChaCha8Rng::seed_from_u64(1),
            &mut |_, loss| losses.push(loss),
        )
        .unwrap();
    (out, losses)
}

fn dm(params: Value) -> CondenseMethod {
    build_condense_method("dm", &params).unwrap()
}

fn mlp() -> ModelSpec {
    ModelSpec {
        hidden: Some(vec![64]),
        ..ModelSpec::of(ModelKind::Mlp)
    }
}

fn convnet() -> ModelSpec {
    ModelSpec {
        width: Some(8),
        ..ModelSpec::of(ModelKind::Convnet)
    }
}

#[test]
fn dm_leaves_a_perfect_set_alone_even_under_siamese_augmentation() {
    // One real image per class and ipc 1 from real images: the synthetic set *is* the
    // real set, so the means match exactly under any network — and under DSA only if
    // the real and synthetic batches get the same transform (Siamese). Loss 0, no step.
    let _rng = lock();
    let set = data(1, 0.0);
    for dsa in ["none", "color_crop_cutout_flip_scale_rotate"] {
        let method = dm(json!({ "iterations": 5, "dsa": dsa }));
        let (out, losses) = condense(&method, &set, &convnet(), 1);
        // (Under DSA the two sides are transformed by a sparse sum and by a matrix
        // product: equal up to float rounding.)
        assert!(losses.iter().all(|&l| l.abs() < 1e-6), "{dsa}: {losses:?}");
        for (a, b) in out.images.iter().zip(&set.features) {
            assert!((a - b).abs() < 1e-5, "{dsa}: {a} vs {b}");
        }
        assert_eq!(out.labels, vec![0, 1, 2]);
        assert_eq!(out.iterations, 5);
    }
}

#[test]
fn dm_moves_noise_towards_the_class_images() {
    // Every image of class c is the same x_c: the matching loss is zero at syn = x_c, so
    // DM from noise must lower the loss and bring each synthetic image closer to x_c.
    let _rng = lock();
    let set = data(20, 0.0);
    let method = dm(
        json!({ "iterations": 300, "dsa": "none", "init": "noise", "lr_img": 0.1, "batch_real": 8 }),
    );
    let (out, losses) = condense(&method, &set, &mlp(), 1);
    let start: f64 = losses[..10].iter().sum::<f64>() / 10.0;
    let end: f64 = losses[losses.len() - 10..].iter().sum::<f64>() / 10.0;
    assert!(end < 0.2 * start, "loss {start} -> {end}");
    for c in 0..3 {
        let target = class_image(c);
        let syn = &out.images[c * SHAPE.len()..(c + 1) * SHAPE.len()];
        // Noise starts at distance about sqrt(36 * (1 + |x|^2)); require a clear approach.
        let d: f32 = syn
            .iter()
            .zip(&target)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f32>()
            .sqrt();
        let start: f32 = target.iter().map(|b| b * b + 1.0).sum::<f32>().sqrt();
        assert!(
            d < 0.5 * start,
            "class {c}: distance {d} vs about {start} at the start"
        );
    }
}

/// A non-default value for each condensation parameter.
fn other_value(method: &str, param: &str) -> Value {
    match param {
        "iterations" => json!(4),
        "lr_img" => json!(0.3),
        "momentum" => json!(0.9),
        "batch_real" => json!(3),
        // dc and dc_ma start from noise, the others from real images.
        "init" => json!(if method == "dc" || method == "dc_ma" {
            "real"
        } else {
            "noise"
        }),
        "dsa" => json!("scale_rotate"),
        "lr_net" => json!(0.2),
        "batch_train" => json!(2),
        "outer_loop" => json!(3),
        "inner_loop" => json!(2),
        "contrast" => json!({ "outer_warmup": 0 }),
        "model_augmentation" => json!({ "pool_size": 3, "pool_epochs": 1, "pool_examples": 6 }),
        other => panic!("{method}.{other} needs a case in other_value"),
    }
}

/// A small, fast base configuration of each method (ipc 2 has no reference loops).
fn base_params(method: &str) -> Value {
    let ma = json!({ "pool_size": 2, "pool_epochs": 1, "pool_examples": 6 });
    match method {
        "dm" => json!({ "iterations": 3, "dsa": "crop" }),
        "dm_ma" => json!({ "iterations": 3, "dsa": "crop", "model_augmentation": ma }),
        "dc_ma" => json!({
            "iterations": 2, "dsa": "crop", "outer_loop": 2, "inner_loop": 1,
            "model_augmentation": ma
        }),
        "dcc" => json!({
            "iterations": 2, "dsa": "crop", "outer_loop": 2, "inner_loop": 1,
            "contrast": { "outer_warmup": 1, "inner_warmup": 1 }
        }),
        _ => json!({ "iterations": 2, "dsa": "crop", "outer_loop": 2, "inner_loop": 1 }),
    }
}

#[test]
fn every_condensation_parameter_changes_the_synthetic_set() {
    let _rng = lock();
    let set = data(12, 0.3);
    for info in condense_registry() {
        let base = base_params(info.name);
        let method = build_condense_method(info.name, &base).unwrap();
        let listed: Vec<&str> = info.params.iter().map(|p| p.name).collect();
        let resolved: Value = serde_json::from_str(&method.params_json()).unwrap();
        let keys: Vec<&str> = resolved
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let (mut a, mut b) = (listed.clone(), keys.clone());
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(
            a, b,
            "{}: the registry lists other parameters than it resolves",
            info.name
        );
        let (before, _) = condense(&method, &set, &convnet(), 2);
        for p in info.params {
            let mut params = base.clone();
            params[p.name] = other_value(info.name, p.name);
            let changed = build_condense_method(info.name, &params).unwrap();
            let (after, _) = condense(&changed, &set, &convnet(), 2);
            assert_ne!(
                before.images, after.images,
                "{}.{} changed nothing",
                info.name, p.name
            );
        }
    }
}

#[test]
fn every_nested_parameter_changes_the_synthetic_set() {
    // `contrast` and `model_augmentation` are tables: each of their fields on its own.
    let _rng = lock();
    let set = data(12, 0.3);
    let cases = [
        ("dcc", "contrast", "outer_warmup", json!(0)),
        ("dcc", "contrast", "inner_warmup", json!(2)),
        ("dm_ma", "model_augmentation", "pool_size", json!(3)),
        ("dm_ma", "model_augmentation", "pool_epochs", json!(2)),
        ("dm_ma", "model_augmentation", "pool_examples", json!(9)),
        ("dm_ma", "model_augmentation", "pool_batch", json!(2)),
        ("dm_ma", "model_augmentation", "pool_lr", json!(0.3)),
        ("dm_ma", "model_augmentation", "perturbation", json!(0.5)),
        ("dc_ma", "model_augmentation", "perturbation", json!(0.5)),
    ];
    for (method, table, field, value) in cases.clone() {
        let base = base_params(method);
        let (before, _) = condense(
            &build_condense_method(method, &base).unwrap(),
            &set,
            &convnet(),
            2,
        );
        let mut params = base.clone();
        params[table][field] = value;
        let (after, _) = condense(
            &build_condense_method(method, &params).unwrap(),
            &set,
            &convnet(),
            2,
        );
        assert_ne!(
            before.images, after.images,
            "{method}.{table}.{field} changed nothing"
        );
    }
    // Every field of the tables has a case above.
    let ma = serde_json::to_value(ModelAugmentation::default()).unwrap();
    let contrast = serde_json::to_value(Contrast::default()).unwrap();
    for (table, value) in [("model_augmentation", ma), ("contrast", contrast)] {
        for key in value.as_object().unwrap().keys() {
            assert!(
                cases.iter().any(|c| c.1 == table && c.2 == key),
                "{table}.{key} has no case"
            );
        }
    }
}

#[test]
fn model_augmented_dm_leaves_a_perfect_set_alone() {
    // As for DM: whatever network embeds them, identical real and synthetic sets have
    // identical means — early-stage and perturbed networks included.
    let _rng = lock();
    let set = data(1, 0.0);
    let method = build_condense_method(
        "dm_ma",
        &json!({ "iterations": 4, "model_augmentation": { "pool_size": 2, "pool_epochs": 1 } }),
    )
    .unwrap();
    let (out, losses) = condense(&method, &set, &convnet(), 1);
    assert!(losses.iter().all(|&l| l.abs() < 1e-6), "{losses:?}");
    for (a, b) in out.images.iter().zip(&set.features) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn early_stage_models_have_learned_and_perturbation_scales_each_filter() {
    let _rng = lock();
    let set = data(20, 0.2);
    let ma = ModelAugmentation {
        pool_size: 2,
        pool_epochs: 5,
        pool_batch: 8,
        pool_lr: 0.05,
        ..ModelAugmentation::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let pool = ma
        .train_pool::<Cpu>(&mlp(), &set, 3, None, &mut rng, &FlexDevice)
        .unwrap();
    assert_eq!(pool.len(), 2);
    let x = Tensor::<Flex, 4>::from_data(
        TensorData::new(set.features.clone(), [set.len(), 1, 6, 6]),
        &FlexDevice,
    );
    for net in &pool {
        let predicted = net.forward(x.clone(), 0.0, false).argmax(1);
        let predicted = predicted
            .into_data()
            .convert::<i64>()
            .to_vec::<i64>()
            .unwrap();
        let right = predicted
            .iter()
            .zip(&set.labels)
            .filter(|(p, l)| **p == **l as i64)
            .count();
        // Three separable classes: an early-stage model is far above chance (1/3).
        assert!(right * 10 >= set.len() * 9, "{right}/{}", set.len());
    }
    // Perturbation: every output unit of the head moves by at most 2ρ of its own norm
    // (two directions, each with |coefficient| <= ρ and the filter's norm), by something
    // for ρ > 0, by nothing for ρ = 0; the bias (1-d) never moves.
    let (w0, b0) = pool[0].head_parameters();
    let host = |t: Tensor<Flex, 2>| t.into_data().to_vec::<f32>().unwrap();
    let (w0, dims) = (host(w0.clone()), w0.dims());
    let b0 = b0.unwrap().into_data().to_vec::<f32>().unwrap();
    for rho in [0.0, 0.3] {
        let moved = perturb(pool[0].clone(), rho, &mut rng);
        let (w1, b1) = moved.head_parameters();
        let (w1, b1) = (host(w1), b1.unwrap().into_data().to_vec::<f32>().unwrap());
        assert_eq!(b0, b1);
        for col in 0..dims[1] {
            let norm =
                |v: &dyn Fn(usize) -> f32| (0..dims[0]).map(|r| v(r).powi(2)).sum::<f32>().sqrt();
            let own = norm(&|r| w0[r * dims[1] + col]);
            let delta = norm(&|r| w1[r * dims[1] + col] - w0[r * dims[1] + col]);
            assert!(
                delta <= 2.0 * rho as f32 * own + 1e-5,
                "ρ {rho}: {delta} vs {own}"
            );
            if rho > 0.0 {
                assert!(delta > 0.0, "ρ {rho}: output {col} did not move");
            }
        }
    }
}

#[test]
fn contrastive_matching_scores_a_perfect_set_far_below_a_noise_set() {
    // One real image per class, every step contrastive (outer_warmup 0): the whole
    // synthetic set's mean cross-entropy gradient equals the mean of the per-class real
    // gradients exactly when the synthetic set is the real set.
    let _rng = lock();
    let set = data(1, 0.0);
    let loss_of = |init: &str| {
        let method = build_condense_method(
            "dcc",
            &json!({
                "iterations": 1, "init": init, "outer_loop": 1, "inner_loop": 1,
                "contrast": { "outer_warmup": 0, "inner_warmup": 0 }
            }),
        )
        .unwrap();
        let (_, losses) = condense(&method, &set, &convnet(), 1);
        losses[0]
    };
    let (perfect, noise) = (loss_of("real"), loss_of("noise"));
    assert!(perfect < 0.05 * noise, "perfect {perfect}, noise {noise}");
}

#[test]
fn dcc_uses_its_own_loop_table_and_checks_its_warmups() {
    let dcc = DcParams::dcc();
    assert_eq!(dcc.loops(1), Ok((10, 5)));
    assert_eq!(dcc.loops(10), Ok((10, 50)));
    assert!(dcc.check_ipc(10).is_ok());
    let tight = DcParams {
        outer_loop: 4,
        ..DcParams::dcc()
    };
    assert!(tight.check_ipc(10).unwrap_err().contains("inner_warmup"));
    let e = build_condense_method("dcc", &json!({ "iterations": 100 }))
        .unwrap_err()
        .to_string();
    assert!(e.contains("outer_warmup"), "{e}");
    let e = build_condense_method("dm", &json!({ "model_augmentation": {} }))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown parameter `model_augmentation`"), "{e}");
    let e = build_condense_method(
        "dm_ma",
        &json!({ "model_augmentation": { "pool_size": 0 } }),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("model_augmentation.pool_size"), "{e}");
}

#[test]
fn gradient_matching_scores_a_perfect_set_far_below_a_noise_set() {
    // One real image per class: a synthetic set equal to it has the real gradients
    // exactly (distance only from the reference's 1e-6 in the cosine), noise does not.
    let _rng = lock();
    let set = data(1, 0.0);
    for name in ["dc", "dsa"] {
        let loss_of = |init: &str| {
            let method =
                build_condense_method(name, &json!({ "iterations": 1, "init": init })).unwrap();
            let (_, losses) = condense(&method, &set, &convnet(), 1);
            losses[0]
        };
        let (perfect, noise) = (loss_of("real"), loss_of("noise"));
        assert!(
            perfect < 0.05 * noise,
            "{name}: perfect {perfect}, noise {noise}"
        );
    }
}

#[test]
fn gradient_matching_loops_follow_the_reference_table() {
    let dc = DcParams::dc();
    assert_eq!(dc.loops(1), Ok((1, 1)));
    assert_eq!(dc.loops(10), Ok((10, 50)));
    assert_eq!(dc.loops(50), Ok((50, 10)));
    assert!(dc.loops(7).unwrap_err().contains("outer_loop"));
    let given = DcParams {
        outer_loop: 3,
        inner_loop: 4,
        ..DcParams::dc()
    };
    assert_eq!(given.loops(7), Ok((3, 4)));
    assert_eq!(given.loops(10), Ok((3, 4)));
}

#[test]
fn matching_gradients_flow_to_the_images_as_finite_differences_say() {
    // d/dx of distance(explicit gradients at x, fixed real gradients): autodiff through
    // the hand-written backward must agree with central differences.
    use burn::tensor::{Distribution, Tensor, TensorData};
    use sieve_bench_core::model::ConvNet;
    use sieve_strategies::condense::match_distance;
    let _rng = lock();
    let device = FlexDevice;
    let shape = ExampleShape::new(1, 6, 6);
    let net = ConvNet::<Cpu>::new(shape, 3, 4, 2, &device);
    let real = Tensor::<Cpu, 4>::random([4, 1, 6, 6], Distribution::Normal(0.0, 1.0), &device);
    let onehot = |n: usize| {
        let v: Vec<f32> = (0..n * 3)
            .map(|i| if i % 3 == 1 { 1.0 } else { 0.0 })
            .collect();
        Tensor::<Cpu, 2>::from_data(TensorData::new(v, [n, 3]), &device)
    };
    let real_grads = net.explicit_gradients(real, onehot(4));
    let x0: Vec<f32> = (0..2 * 36)
        .map(|i| ((i * 7919) % 97) as f32 / 48.0 - 1.0)
        .collect();
    let distance = |x: &[f32]| -> (f64, Vec<f32>) {
        let xt = Tensor::<Cpu, 4>::from_data(TensorData::new(x.to_vec(), [2, 1, 6, 6]), &device)
            .require_grad();
        let d = match_distance(&net.explicit_gradients(xt.clone(), onehot(2)), &real_grads);
        let value = d.clone().into_scalar() as f64;
        let g = xt
            .grad(&d.backward())
            .unwrap()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        (value, g)
    };
    let (_, analytic) = distance(&x0);
    // The hand-written gradient has jumps where a ReLU switches, so a difference
    // quotient across one is meaningless: a pixel counts where two step sizes agree.
    let fd = |i: usize, h: f32| {
        let (mut up, mut down) = (x0.clone(), x0.clone());
        up[i] += h;
        down[i] -= h;
        ((distance(&up).0 - distance(&down).0) / (2.0 * h as f64)) as f32
    };
    let mut checked = 0;
    for i in (0..72).step_by(5) {
        let (a, b) = (fd(i, 3e-3), fd(i, 1e-3));
        if (a - b).abs() > 0.02 * a.abs().max(b.abs()) + 1e-3 {
            continue;
        }
        checked += 1;
        assert!(
            (a - analytic[i]).abs() <= 0.02 * a.abs().max(analytic[i].abs()) + 1e-3,
            "pixel {i}: autodiff {} vs finite differences {a}",
            analytic[i]
        );
    }
    assert!(
        checked >= 8,
        "only {checked} pixels away from a ReLU switch"
    );
}

#[test]
fn bad_parameters_are_refused_with_their_name() {
    for (params, needle) in [
        (json!({ "iterations": 0 }), "iterations"),
        (json!({ "lr_img": -1.0 }), "lr_img"),
        (json!({ "momentum": 1.5 }), "momentum"),
        (json!({ "dsa": "crop_crop" }), "dsa"),
        (json!({ "init": "zeros" }), "zeros"),
        (json!({ "iteration": 3 }), "unknown parameter `iteration`"),
    ] {
        let e = build_condense_method("dm", &params)
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{params}: {e}");
    }
    let e = build_condense_method("dn", &Value::Null)
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean `dm`"), "{e}");
}
