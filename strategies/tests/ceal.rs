//! CEAL on hand-built predictions: it queries the most uncertain examples and
//! pseudo-labels, with their predicted class, the others whose entropy is below a
//! threshold that shrinks by `decay` per selection.
#![allow(clippy::unwrap_used)]

mod common;

use common::try_select;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{FixedModelView, Matrix, SelectionRequest, Strategy};
use sieve_strategies::active::{Ceal, CealParams};
use sieve_strategies::build_strategy;

/// Entropies by hand (nats): 0: (0.5, 0.5) ln 2 = 0.693; 1: (0.999, 0.001) 0.0079;
/// 2: (0.0005, 0.9995) 0.0043; 3: (0.7, 0.3) 0.611; 4: (0.9999, 0.0001) 0.00102.
fn view() -> FixedModelView {
    let probs = Matrix::from_rows(&[
        vec![0.5, 0.5],
        vec![0.999, 0.001],
        vec![0.0005, 0.9995],
        vec![0.7, 0.3],
        vec![0.9999, 0.0001],
    ]);
    FixedModelView {
        probabilities: probs,
        embeddings: Matrix::new(5, 1, vec![0.0; 5]),
        mc_samples: Vec::new(),
    }
}

#[test]
fn ceal_queries_the_uncertain_and_pseudo_labels_the_confident() {
    let view = view();
    let all = [0, 1, 2, 3, 4];
    let mut ceal = Ceal::new(CealParams::default());
    assert!((ceal.threshold() - 0.005).abs() < 1e-12);
    let picks = try_select(&mut ceal, &view, &[], &all, 2, 0).unwrap();
    assert_eq!(picks, vec![0, 3]);
    // Below 0.005: examples 2 (class 1) and 4 (class 0); 1 (0.0079) is not.
    assert_eq!(ceal.pseudo_labels(), &[(2, 1), (4, 0)]);
    // Second selection: δ = 0.005 − 0.00033 = 0.00467, still above 0.0043 and 0.00102.
    assert!((ceal.threshold() - 0.00467).abs() < 1e-12);
    let picks = try_select(&mut ceal, &view, &[], &[1, 2, 4], 1, 0).unwrap();
    assert_eq!(picks, vec![1]);
    assert_eq!(ceal.pseudo_labels(), &[(2, 1), (4, 0)]);
    // A fast decay: the third selection has δ = 0.005 − 2 x 0.002 = 0.001 < 0.00102.
    let mut fast = Ceal::new(CealParams {
        decay: 0.002,
        ..CealParams::default()
    });
    try_select(&mut fast, &view, &[], &all, 1, 0).unwrap();
    try_select(&mut fast, &view, &[], &all, 1, 0).unwrap();
    assert_eq!(fast.pseudo_labels(), &[(4, 0)], "δ = 0.003 at the second");
    try_select(&mut fast, &view, &[], &all, 1, 0).unwrap();
    assert!(
        fast.pseudo_labels().is_empty(),
        "{:?}",
        fast.pseudo_labels()
    );
    // A queried example is never pseudo-labeled too.
    let mut greedy = build_strategy("ceal", &serde_json::json!({"delta": 10.0})).unwrap();
    let picks = try_select(greedy.as_mut(), &view, &[], &all, 2, 0).unwrap();
    let pseudo: Vec<usize> = greedy.pseudo_labels().iter().map(|p| p.0).collect();
    assert_eq!(pseudo, vec![1, 2, 4]);
    assert!(picks.iter().all(|p| !pseudo.contains(p)));
}

#[test]
fn ceal_criteria_rank_the_queries() {
    let view = view();
    let all = [0, 1, 2, 3, 4];
    for (criterion, expected) in [
        ("entropy", vec![0, 3]),
        ("least_confidence", vec![0, 3]),
        ("margin", vec![0, 3]),
    ] {
        let mut s = build_strategy("ceal", &serde_json::json!({ "criterion": criterion })).unwrap();
        assert_eq!(
            try_select(s.as_mut(), &view, &[], &all, 2, 0).unwrap(),
            expected
        );
    }
    // Where they differ: (0.4, 0.4, 0.2) has a smaller top than (0.45, 0.1, 0.45)'s but
    // a margin of 0 against 0; entropy 1.055 vs 0.983.
    let view = FixedModelView {
        probabilities: Matrix::from_rows(&[vec![0.4, 0.4, 0.2], vec![0.5, 0.05, 0.45]]),
        embeddings: Matrix::new(2, 1, vec![0.0; 2]),
        mc_samples: Vec::new(),
    };
    let first = |criterion: &str| {
        let mut s = build_strategy("ceal", &serde_json::json!({ "criterion": criterion })).unwrap();
        try_select(s.as_mut(), &view, &[], &[0, 1], 1, 0).unwrap()[0]
    };
    assert_eq!(first("entropy"), 0);
    assert_eq!(first("least_confidence"), 0);
    assert_eq!(first("margin"), 0);
    assert!(build_strategy("ceal", &serde_json::json!({"delta": -1.0})).is_err());
    assert!(build_strategy("ceal", &serde_json::json!({"criterion": "bald"})).is_err());
}

#[test]
fn a_candidate_pool_passes_ceals_pseudo_labels_on() {
    let view = view();
    let mut s = build_strategy(
        "ceal",
        &serde_json::json!({"delta": 10.0, "candidate_pool": 5}),
    )
    .unwrap();
    let request = SelectionRequest {
        labeled: &[],
        unlabeled: &[0, 1, 2, 3, 4],
        count: 1,
        labeled_classes: &[],
        round_seed: 3,
        round: 0,
        rounds: 0,
    };
    s.select(&request, &view, &mut ChaCha8Rng::seed_from_u64(0))
        .unwrap();
    assert_eq!(s.pseudo_labels().len(), 4);
}
