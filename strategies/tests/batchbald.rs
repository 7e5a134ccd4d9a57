//! BatchBALD on constructions where BALD's top-b and the joint criterion differ, and
//! the sampled joint-entropy estimate against the exact one.
#![allow(clippy::unwrap_used)]

mod common;

use common::{mc_view, select};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sieve_strategies::active::batchbald::JointTable;
use sieve_strategies::active::{Bald, BatchBald, BatchBaldParams};
use sieve_strategies::build_strategy;

/// Confident MC passes: pattern[s] is the class predicted with probability 1 in pass s.
fn confident(pattern: &[usize]) -> Vec<Vec<f32>> {
    pattern
        .iter()
        .map(|&c| {
            if c == 0 {
                vec![1.0, 0.0]
            } else {
                vec![0.0, 1.0]
            }
        })
        .collect()
}

/// `examples[i][s]` (probabilities of example i in pass s) -> `samples[s][i]`.
fn transpose(examples: &[Vec<Vec<f32>>]) -> Vec<Vec<Vec<f32>>> {
    let k = examples[0].len();
    (0..k)
        .map(|s| examples.iter().map(|e| e[s].clone()).collect())
        .collect()
}

#[test]
fn batchbald_skips_a_duplicate_that_bald_takes() {
    // 0 and 1: identical, passes confidently split 0,0,1,1 (BALD = ln 2).
    // 2: passes split 0,1,0,1 but less confident (BALD = ln 2 - H(0.9, 0.1) = 0.368).
    // 3: every pass agrees (BALD = 0).
    let a = confident(&[0, 0, 1, 1]);
    let b = vec![
        vec![0.9, 0.1],
        vec![0.1, 0.9],
        vec![0.9, 0.1],
        vec![0.1, 0.9],
    ];
    let view = mc_view(&transpose(&[a.clone(), a, b, confident(&[0, 0, 0, 0])]));
    let all = [0, 1, 2, 3];
    let params = BatchBaldParams {
        samples: 4,
        ..BatchBaldParams::default()
    };
    assert_eq!(
        select(&mut Bald::default(), &view, &[], &all, 2),
        vec![0, 1]
    );
    let mut bb = BatchBald {
        params: params.clone(),
    };
    // Given 0, its duplicate adds nothing (H(y0, y1) = H(y0)), while 2 adds
    // H(y0, y2) - E H(y2|w) = ln 4 - 0.325 > ln 2.
    assert_eq!(select(&mut bb, &view, &[], &all, 2), vec![0, 2]);
    // The first pick is always BALD's.
    assert_eq!(select(&mut bb, &view, &[], &all, 1), vec![0]);
}

#[test]
fn sampled_configurations_keep_the_right_answer() {
    // Eight passes; A = 00001111, B = 00110011, C = 01010101 (each confident), with
    // duplicates A' and B'. Jointly, A, B, C each add ln 2; a duplicate adds 0.
    let pa = confident(&[0, 0, 0, 0, 1, 1, 1, 1]);
    let pb = confident(&[0, 0, 1, 1, 0, 0, 1, 1]);
    let pc = confident(&[0, 1, 0, 1, 0, 1, 0, 1]);
    let view = mc_view(&transpose(&[pa.clone(), pa, pb.clone(), pb, pc]));
    let all = [0, 1, 2, 3, 4];
    for max_configurations in [10_000, 2, 1] {
        let mut bb = BatchBald {
            params: BatchBaldParams {
                samples: 8,
                max_configurations,
                max_candidates: 0,
            },
        };
        assert_eq!(
            select(&mut bb, &view, &[], &all, 3),
            vec![0, 2, 4],
            "max_configurations {max_configurations}"
        );
    }
}

fn random_block(rng: &mut ChaCha8Rng, k: usize, c: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for _ in 0..k {
        let raw: Vec<f64> = (0..c).map(|_| rng.random::<f64>().powi(3) + 1e-3).collect();
        let z: f64 = raw.iter().sum();
        out.extend(raw.iter().map(|v| v / z));
    }
    out
}

#[test]
fn exact_joint_entropy_is_right_and_the_sampled_estimate_is_close() {
    // Two examples, confident patterns 0011 and 0101: H(y_a, y_b) = ln 4.
    let a = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0];
    let b = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0];
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut t = JointTable::new(4, 2);
    assert!((t.joint_entropy(&a) - std::f64::consts::LN_2).abs() < 1e-12);
    t.add(&a, 100, &mut rng);
    assert!((t.joint_entropy(&b) - 4f64.ln()).abs() < 1e-12);
    assert!(!t.is_sampled());

    // Random blocks: 5 selected over 4 classes (4^5 = 1024 configurations) and one
    // candidate: the exact table against 500 sampled configurations (a cap of 500 < 1024
    // forces sampling at the fifth example).
    let (k, c) = (10, 4);
    let mut data_rng = ChaCha8Rng::seed_from_u64(5);
    let selected: Vec<Vec<f64>> = (0..5).map(|_| random_block(&mut data_rng, k, c)).collect();
    let candidate = random_block(&mut data_rng, k, c);
    let mut exact = JointTable::new(k, c);
    let mut sampled = JointTable::new(k, c);
    for p in &selected {
        exact.add(p, 1_000_000, &mut rng);
        sampled.add(p, 500, &mut rng);
    }
    assert_eq!(exact.rows(), 1024);
    assert!(sampled.is_sampled() && sampled.rows() == 500);
    let (he, hs) = (
        exact.joint_entropy(&candidate),
        sampled.joint_entropy(&candidate),
    );
    assert!((he - hs).abs() / he < 0.03, "exact {he} vs sampled {hs}");
    // An exact table's probabilities sum to 1.
    assert!(he > 0.0 && he <= (4f64.powi(6)).ln() + 1e-9);
}

#[test]
fn batchbald_parameters_are_checked() {
    for (bad, name) in [
        (serde_json::json!({"samples": 1}), "samples"),
        (
            serde_json::json!({"max_configurations": 0}),
            "max_configurations",
        ),
    ] {
        let err = build_strategy("batchbald", &bad).err().unwrap().to_string();
        assert!(err.contains(&format!("`{name}`")), "{err}");
    }
    let s = build_strategy("batchbald", &serde_json::Value::Null).unwrap();
    assert_eq!(
        s.params_json(),
        r#"{"samples":20,"max_configurations":10000,"max_candidates":1000}"#
    );
}

/// A trained MLP with dropout over a pool of exact twins (example `2i+1` copies `2i`).
/// With one dropout mask per MC pass both twins get the same samples, so once one twin
/// is chosen the other can only add I(y_2; w | y_1), which is near 0 when each pass is
/// confident: BatchBALD must not take both. The pool is the training data scaled by 20
/// (a ReLU network's logits grow with the input, so every pass is confident while
/// passes still disagree near the boundaries), and K = 100 samples keep the joint
/// information of 10 picks below its ceiling ln K. With per-example masks (the bug this
/// guards) the same setting picks 2-4 twin pairs per batch.
#[test]
fn batchbald_never_picks_both_of_two_exact_twins_from_a_real_network() {
    use burn::backend::{flex::FlexDevice, Autodiff, Flex};
    use sieve_bench_core::train::{train_model, TrainRequest};
    use sieve_bench_core::TrainedModel;
    use sieve_bench_core::{ModelKind, ModelSpec, Regularization, SelectionRequest, Strategy};
    use sieve_datasets::{generate_synthetic, ExampleShape, SyntheticConfig};

    let config = SyntheticConfig {
        classes: 3,
        per_class: 30,
        shape: ExampleShape::flat(6),
        separation: 2.0,
        noise: 1.0,
    };
    let base = generate_synthetic(&config, 11).unwrap();
    let mut pool = base.clone();
    pool.features.clear();
    pool.labels.clear();
    for i in 0..base.len() {
        for _ in 0..2 {
            pool.features
                .extend_from_slice(&base.features[i * 6..(i + 1) * 6]);
            pool.labels.push(base.labels[i]);
        }
    }
    let mut sharp = pool.clone();
    for v in &mut sharp.features {
        *v *= 20.0;
    }
    let labeled: Vec<usize> = (0..12).map(|i| i * 14).collect();
    let unlabeled: Vec<usize> = (0..pool.len()).filter(|i| !labeled.contains(i)).collect();
    let mut reg = Regularization::preset("none").unwrap();
    reg.batch_size = 4;
    reg.dropout = 0.5;
    let spec = ModelSpec {
        hidden: Some(vec![64]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    for seed in 0..3 {
        let request = TrainRequest::<Autodiff<Flex>> {
            spec: &spec,
            regularization: &reg,
            data: &pool,
            indices: &labeled,
            classes: pool.num_classes,
            init_seed: seed,
            train_seed: 2,
            warm_start: None,
            example_weights: None,
            device: &FlexDevice,
            unlabeled: &[],
            learning_loss: None,
        };
        let model = train_model(request, &mut |_, _| {}).unwrap().model;
        let view = TrainedModel {
            model,
            pool: &sharp,
            classes: pool.num_classes,
            device: FlexDevice,
            batch_size: 16,
            dropout: 0.5,
            inference_seed: seed,
            previous: None,
        };
        let mut strategy = BatchBald {
            params: BatchBaldParams {
                samples: 100,
                ..BatchBaldParams::default()
            },
        };
        let request = SelectionRequest {
            labeled: &labeled,
            unlabeled: &unlabeled,
            count: 10,
            labeled_classes: &[],
            round_seed: 0,
            round: 0,
            rounds: 0,
        };
        let picked = strategy
            .select(&request, &view, &mut ChaCha8Rng::seed_from_u64(3))
            .unwrap();
        assert_eq!(picked.len(), 10);
        for &i in &picked {
            assert!(
                !picked.contains(&(i ^ 1)),
                "seed {seed}: picked both twins {} and {}: {picked:?}",
                i & !1,
                i | 1
            );
        }
    }
}
