//! Online selection methods on batches whose right answer is known by construction, and
//! the trainer's selection hook.
#![allow(clippy::unwrap_used)]

use burn::backend::{flex::FlexDevice, Autodiff};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sieve_bench_core::train::{train_model_with, BatchOutputs, TrainObserver, TrainRequest};
use sieve_bench_core::{ModelKind, ModelSpec, Regularization};
use sieve_datasets::{ExampleShape, LabeledSet};
use sieve_strategies::online::{build_online_method, online_registry, top, OnlineMethod};

type Cpu = Autodiff<burn::backend::Flex>;

/// Four examples (rows 10..14 of the data) of 3 classes.
fn batch<'a>(losses: &'a [f32], probabilities: &'a [f32], labels: &'a [u32]) -> BatchOutputs<'a> {
    BatchOutputs {
        epoch: 0,
        step: 0,
        rows: &[10, 11, 12, 13],
        labels,
        losses,
        probabilities,
        classes: 3,
    }
}

const LOSSES: [f32; 4] = [0.1, 2.0, 0.5, 1.0];
const LABELS: [u32; 4] = [0, 1, 2, 0];
/// Example 0 sure and right, 1 unsure, 2 sure and wrong, 3 fairly right.
const PROBABILITIES: [f32; 12] = [
    0.98, 0.01, 0.01, //
    0.3, 0.4, 0.3, //
    0.9, 0.05, 0.05, //
    0.7, 0.2, 0.1,
];

fn irreducible() -> Vec<f32> {
    let mut v = vec![f32::NAN; 14];
    v[10..14].copy_from_slice(&[0.0, 1.9, 0.1, 0.2]);
    v
}

fn pick(name: &str, keep: usize) -> Vec<usize> {
    let method = build_online_method(name, &Value::Null).unwrap();
    let irr = irreducible();
    method
        .select(
            &batch(&LOSSES, &PROBABILITIES, &LABELS),
            keep,
            Some(&irr),
            &mut ChaCha8Rng::seed_from_u64(0),
        )
        .unwrap()
}

#[test]
fn each_method_keeps_what_its_score_says() {
    // Training losses 0.1, 2.0, 0.5, 1.0: the two highest are positions 1 and 3.
    assert_eq!(pick("loss", 2), vec![1, 3]);
    // Reducible = loss - irreducible = 0.1, 0.1, 0.4, 0.8: position 1's high loss is
    // irreducible (a noisy label, say), so RHO-LOSS prefers 3 and 2.
    assert_eq!(pick("rho_loss", 2), vec![3, 2]);
    // Lowest irreducible loss: 0.0 (position 0), then 0.1 (position 2).
    assert_eq!(pick("irreducible", 2), vec![0, 2]);
    // ||p - y||: 0: sqrt(.02^2 + 2 * .01^2) ~ 0.024; 1: sqrt(.09 + .36 + .09) ~ 0.73;
    // 2: sqrt(.81 + .0025 + .9025) ~ 1.31; 3: sqrt(.09 + .04 + .01) ~ 0.37.
    assert_eq!(pick("gradnorm", 3), vec![2, 1, 3]);
    assert_eq!(
        pick("loss", 9),
        vec![1, 3, 2, 0],
        "keep is capped at the batch"
    );
}

#[test]
fn uniform_keeps_distinct_random_positions() {
    let method = build_online_method("uniform", &json!({})).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut seen = [0usize; 4];
    for _ in 0..400 {
        let picks = method
            .select(&batch(&LOSSES, &PROBABILITIES, &LABELS), 2, None, &mut rng)
            .unwrap();
        assert_eq!(picks.len(), 2);
        assert_ne!(picks[0], picks[1]);
        for p in picks {
            seen[p] += 1;
        }
    }
    // 800 picks over 4 positions: each about 200, and not the loss order.
    assert!(seen.iter().all(|&s| (150..=250).contains(&s)), "{seen:?}");
    // It reads nothing but the batch size: the trainer may skip the forward pass.
    assert!(!method.reads_outputs());
    let picks = method
        .select(&batch(&[], &[], &LABELS), 3, None, &mut rng)
        .unwrap();
    assert_eq!(picks.len(), 3);
    for info in online_registry() {
        assert_eq!(
            info.method.reads_outputs(),
            info.name != "uniform",
            "{}",
            info.name
        );
    }
}

#[test]
fn methods_that_need_irreducible_losses_say_so_and_fail_without_them() {
    for info in online_registry() {
        let needs = matches!(
            info.method,
            OnlineMethod::RhoLoss | OnlineMethod::Irreducible
        );
        assert_eq!(info.method.needs_irreducible(), needs, "{}", info.name);
        let result = info.method.select(
            &batch(&LOSSES, &PROBABILITIES, &LABELS),
            2,
            None,
            &mut ChaCha8Rng::seed_from_u64(0),
        );
        assert_eq!(result.is_err(), needs, "{}", info.name);
    }
    let e = build_online_method("rho_los", &Value::Null)
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean `rho_loss`"), "{e}");
    let e = build_online_method("loss", &json!({ "k": 1 }))
        .unwrap_err()
        .to_string();
    assert!(e.contains("k"), "{e}");
}

#[test]
fn top_breaks_ties_by_position_and_ranks_nan_last() {
    assert_eq!(top(&[1.0, 3.0, 3.0, f32::NAN, 2.0], 4), vec![1, 2, 4, 0]);
}

/// Keeps the class-0 examples of each batch (or, `broken`, one position twice) and asks
/// for the model after step 2 and at the end.
struct KeepClassZero {
    seen_rows: Vec<usize>,
    broken: bool,
}

impl TrainObserver for KeepClassZero {
    fn on_batch(&mut self, outputs: &BatchOutputs<'_>) {
        assert!(
            outputs.labels.iter().all(|&l| l == 0),
            "{:?}",
            outputs.labels
        );
        self.seen_rows.extend_from_slice(outputs.rows);
    }
    fn keep_per_batch(&self) -> Option<usize> {
        Some(3)
    }
    fn select(&mut self, outputs: &BatchOutputs<'_>) -> Vec<usize> {
        // Losses and probabilities of the whole big batch, one row per example.
        assert_eq!(outputs.losses.len(), outputs.rows.len());
        assert_eq!(
            outputs.probabilities.len(),
            outputs.rows.len() * outputs.classes
        );
        if self.broken {
            return vec![0, 0];
        }
        (0..outputs.rows.len())
            .filter(|&i| outputs.labels[i] == 0)
            .take(3)
            .collect()
    }
    fn wants_model(&self, steps_done: usize, last: bool) -> bool {
        steps_done == 2 || last
    }
}

#[test]
fn the_trainer_trains_on_the_selected_examples_and_hands_out_the_model_when_asked() {
    let shape = ExampleShape::new(1, 1, 4);
    let labels: Vec<u32> = (0..24).map(|i| (i % 2) as u32).collect();
    let features: Vec<f32> = (0..24 * 4).map(|i| (i % 7) as f32 / 7.0).collect();
    let data = LabeledSet::new(shape, 2, features, labels.clone()).unwrap();
    let rows: Vec<usize> = (0..24).collect();
    let reg = Regularization {
        epochs: 1,
        batch_size: 8,
        ..Regularization::preset("none").unwrap()
    };
    let spec = ModelSpec {
        hidden: Some(vec![4]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    let request = || TrainRequest::<Cpu> {
        spec: &spec,
        regularization: &reg,
        data: &data,
        indices: &rows,
        classes: 2,
        init_seed: 1,
        train_seed: 2,
        warm_start: None,
        example_weights: None,
        device: &FlexDevice,
        unlabeled: &[],
        learning_loss: None,
    };
    let mut observer = KeepClassZero {
        seen_rows: Vec::new(),
        broken: false,
    };
    let mut models_at = Vec::new();
    let outcome = train_model_with::<Cpu>(
        request(),
        &mut |_, _| {},
        &mut observer,
        &mut |steps, _, _| {
            models_at.push(steps);
            Ok(())
        },
    )
    .unwrap();
    // 24 rows in big batches of 8: 3 steps, each on (up to) 3 class-0 rows.
    assert_eq!(outcome.steps, 3);
    assert_eq!(observer.seen_rows.len(), 9);
    assert!(observer.seen_rows.iter().all(|&r| labels[r] == 0));
    assert_eq!(models_at, vec![2, 3]);
    // A selection that picks one position twice is refused, not trained on.
    let mut broken = KeepClassZero {
        seen_rows: Vec::new(),
        broken: true,
    };
    let e = train_model_with::<Cpu>(
        request(),
        &mut |_, _| {},
        &mut broken,
        &mut |_, _, _| Ok(()),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("picked twice"), "{e}");
    assert!(broken.seen_rows.is_empty());
}
