//! DeepFool on a trained network: examples near the decision boundary need smaller
//! perturbations than those far from it, and the perturbation found flips the
//! prediction within the iteration budget.
#![allow(clippy::unwrap_used)]

mod common;

use common::rng_lock;

use burn::backend::{flex::FlexDevice, Autodiff, Flex};
use burn::module::AutodiffModule;
use burn::tensor::{Tensor, TensorData};
use sieve_bench_core::bim::bim_norms;
use sieve_bench_core::deepfool::deepfool_norms;
use sieve_bench_core::train::{predict_probabilities, read_f32, train_model, TrainRequest};
use sieve_bench_core::{ModelKind, ModelSpec, Network, OptimizerKind, Regularization};
use sieve_datasets::{ExampleShape, LabeledSet};

type Cpu = Autodiff<Flex>;

/// Two classes on a line: x < 0 is class 0, x > 0 class 1 (second feature is noise).
fn line() -> LabeledSet {
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for i in 0..80 {
        let x = (i as f32 - 39.5) / 10.0;
        features.extend([x, ((i * 7) % 5) as f32 / 10.0]);
        labels.push(u32::from(x > 0.0));
    }
    LabeledSet::new(ExampleShape::flat(2), 2, features, labels).unwrap()
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let ranks = |v: &[f64]| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        for (rank, &i) in idx.iter().enumerate() {
            r[i] = rank as f64;
        }
        r
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let mean = (n - 1.0) / 2.0;
    let cov: f64 = ra
        .iter()
        .zip(&rb)
        .map(|(x, y)| (x - mean) * (y - mean))
        .sum();
    let var: f64 = ra.iter().map(|x| (x - mean).powi(2)).sum();
    cov / var
}

fn trained_on_the_line(data: &LabeledSet) -> sieve_bench_core::TrainOutcome<Flex> {
    let mut reg = Regularization::preset("none").unwrap();
    reg.optimizer = OptimizerKind::Adam;
    reg.lr = 0.02;
    reg.epochs = 60;
    reg.batch_size = 16;
    let spec = ModelSpec {
        hidden: Some(vec![16]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    let rows: Vec<usize> = (0..data.len()).collect();
    train_model::<Cpu>(
        TrainRequest {
            spec: &spec,
            regularization: &reg,
            data,
            indices: &rows,
            classes: 2,
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
    .unwrap()
}

#[test]
fn deepfool_distances_grow_with_the_distance_to_the_boundary() {
    let _rng = rng_lock();
    let data = line();
    let rows: Vec<usize> = (0..data.len()).collect();
    let trained = trained_on_the_line(&data);
    let norms = deepfool_norms::<Cpu>(&trained.model, &data, &rows, 32, 50, &FlexDevice).unwrap();
    assert_eq!(norms.len(), data.len());
    assert!(norms.iter().all(|v| v.is_finite() && *v >= 0.0));
    // Distance to the boundary x = 0, in the input space.
    let distance: Vec<f64> = (0..data.len())
        .map(|i| f64::from(data.example(i)[0]).abs())
        .collect();
    let norms64: Vec<f64> = norms.iter().map(|&v| f64::from(v)).collect();
    let rho = spearman(&norms64, &distance);
    assert!(rho > 0.8, "Spearman correlation {rho}");
    // The points nearest the boundary need the smallest perturbations, far smaller
    // than the typical one.
    let nearest = norms64
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert!(distance[nearest] < 0.5, "{nearest}: {}", distance[nearest]);
    let mut sorted = norms64.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    assert!(
        norms64[nearest] < median / 4.0,
        "smallest {} vs median {median}",
        norms64[nearest]
    );
    // The model does separate the line: it is right on the points far from x = 0.
    let probs = predict_probabilities(&trained.model, &data, &rows, 64, &FlexDevice).unwrap();
    for i in (0..data.len()).filter(|&i| distance[i] > 1.0) {
        let label = data.labels[i] as usize;
        assert!(probs.row(i)[label] > 0.5, "{i}: {:?}", probs.row(i));
    }
}

/// BIM steps every input value by ±epsilon, so after k steps an example whose gradient
/// signs held has ||η||² = 2·(k·epsilon)² (two input values): a whole number of steps,
/// at least one, more of them the farther the example is from the boundary x = 0.
#[test]
fn bim_takes_whole_epsilon_steps_and_more_of_them_far_from_the_boundary() {
    let _rng = rng_lock();
    let data = line();
    let rows: Vec<usize> = (0..data.len()).collect();
    let trained = trained_on_the_line(&data);
    let epsilon = 0.05;
    let norms =
        bim_norms::<Cpu>(&trained.model, &data, &rows, 32, epsilon, 200, &FlexDevice).unwrap();
    let steps: Vec<f64> = norms
        .iter()
        .map(|&n| (f64::from(n) / (2.0 * epsilon * epsilon)).sqrt())
        .collect();
    for (i, k) in steps.iter().enumerate() {
        assert!(*k >= 1.0 - 1e-3, "{i}: {k} steps");
        assert!(
            (k - k.round()).abs() < 1e-2,
            "{i}: {k} is not a whole number of steps"
        );
    }
    let distance: Vec<f64> = (0..data.len())
        .map(|i| f64::from(data.example(i)[0]).abs())
        .collect();
    let rho = spearman(&steps, &distance);
    assert!(rho > 0.8, "Spearman correlation {rho}");
    // max_iter caps the steps: one step each.
    let capped =
        bim_norms::<Cpu>(&trained.model, &data, &rows, 32, epsilon, 1, &FlexDevice).unwrap();
    for n in capped {
        assert!((f64::from(n) - 2.0 * epsilon * epsilon).abs() < 1e-6, "{n}");
    }
}

/// Three classes on a line: x < -1 is class 0, -1 < x < 1 class 1, x > 1 class 2.
fn three_bands() -> LabeledSet {
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for i in 0..90 {
        let x = (i as f32 - 44.5) / 15.0;
        features.extend([x, ((i * 7) % 5) as f32 / 10.0 - 0.2]);
        labels.push(if x < -1.0 {
            0
        } else if x < 1.0 {
            1
        } else {
            2
        });
    }
    LabeledSet::new(ExampleShape::flat(2), 3, features, labels).unwrap()
}

/// The first largest value's index (torch's argmax and sieve's).
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best
}

/// DeepCore's DeepFool loop written plainly: one example at a time, one forward and
/// backward per class per iteration, every iteration up to `max_iter` until the
/// prediction changes.
fn reference_norm(model: &Network<Flex>, example: &[f32], max_iter: usize) -> f64 {
    let network = Network::<Cpu>::from_inner(model.clone());
    let tensor = |x: &[f32]| {
        Tensor::<Flex, 4>::from_data(TensorData::new(x.to_vec(), [1, 1, 1, x.len()]), &FlexDevice)
    };
    let logits = |x: &[f32]| read_f32(network.valid().forward(tensor(x), 0.0, false)).unwrap();
    let gradient = |x: &[f32], k: usize| {
        let leaf = Tensor::<Cpu, 4>::from_inner(tensor(x)).require_grad();
        let grads = network
            .forward(leaf.clone(), 0.0, false)
            .slice([0..1, k..k + 1])
            .sum()
            .backward();
        read_f32(leaf.grad(&grads).unwrap()).unwrap()
    };
    let mut x = example.to_vec();
    let mut total = vec![0.0f64; x.len()];
    let original = argmax(&logits(&x));
    for _ in 0..max_iter {
        let f = logits(&x);
        if argmax(&f) != original {
            break;
        }
        let g0 = gradient(&x, original);
        let mut best: Option<(f64, f64, Vec<f32>)> = None;
        for k in (0..f.len()).filter(|&k| k != original) {
            let w: Vec<f32> = gradient(&x, k)
                .iter()
                .zip(&g0)
                .map(|(a, b)| a - b)
                .collect();
            let norm2 = w
                .iter()
                .map(|v| f64::from(*v).powi(2))
                .sum::<f64>()
                .max(1e-12);
            let gap = f64::from(f[k] - f[original]).abs();
            if best.as_ref().is_none_or(|(d, ..)| gap / norm2.sqrt() < *d) {
                best = Some((gap / norm2.sqrt(), gap / norm2, w));
            }
        }
        let (_, step, w) = best.unwrap();
        for (d, wd) in w.iter().enumerate() {
            let r = step * f64::from(*wd);
            total[d] += r;
            x[d] += r as f32;
        }
    }
    total.iter().map(|r| r * r).sum()
}

/// The batched attack (all classes' gradients in one pass, examples replaced as they
/// finish, ties stopped early) gives the plain loop's norms, whatever the batch size.
#[test]
fn batched_deepfool_matches_the_plain_loop_at_every_batch_size() {
    let _rng = rng_lock();
    let data = three_bands();
    let mut reg = Regularization::preset("none").unwrap();
    reg.optimizer = OptimizerKind::Adam;
    reg.lr = 0.02;
    reg.epochs = 40;
    reg.batch_size = 16;
    let spec = ModelSpec {
        hidden: Some(vec![16]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    let rows: Vec<usize> = (0..data.len()).collect();
    let trained = train_model::<Cpu>(
        TrainRequest {
            spec: &spec,
            regularization: &reg,
            data: &data,
            indices: &rows,
            classes: 3,
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
    let expected: Vec<f64> = rows
        .iter()
        .map(|&i| reference_norm(&trained.model, data.example(i), 50))
        .collect();
    // Both neighbouring classes are reachable from the middle band: the attack chose
    // among more than one class for some examples.
    assert!(expected.iter().all(|v| v.is_finite()));
    for batch in [3, 7, 64, 512] {
        let norms =
            deepfool_norms::<Cpu>(&trained.model, &data, &rows, batch, 50, &FlexDevice).unwrap();
        for (i, (got, want)) in norms.iter().zip(&expected).enumerate() {
            let got = f64::from(*got);
            assert!(
                (got - want).abs() <= 1e-4 * want.max(1.0),
                "batch {batch}, example {i}: {got} vs the plain loop's {want}"
            );
        }
    }
    // max_iter = 0 takes no step; one iteration at most one.
    let none = deepfool_norms::<Cpu>(&trained.model, &data, &rows, 8, 0, &FlexDevice).unwrap();
    assert!(none.iter().all(|&v| v == 0.0));
    let one = deepfool_norms::<Cpu>(&trained.model, &data, &rows, 8, 1, &FlexDevice).unwrap();
    for (i, &v) in one.iter().enumerate() {
        let want = reference_norm(&trained.model, data.example(i), 1);
        assert!(
            (f64::from(v) - want).abs() <= 1e-4 * want.max(1.0),
            "{i}: {v} vs {want}"
        );
    }
}
