//! POAL's pieces on cases whose answer is known by construction: Pareto fronts, the
//! pre-selection, the Monte-Carlo subset search, the Mahalanobis confidence, and the
//! strategy preferring uncertain in-distribution examples over uncertain OOD ones.
#![allow(clippy::unwrap_used)]

mod common;

use common::{try_select, try_select_annotated};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{FixedModelView, Matrix, StrategyError};
use sieve_strategies::active::poal::mahalanobis_confidence;
use sieve_strategies::active::poal::pareto::{
    mmd_rbf, monte_carlo_subset, pareto_front, preselect,
};
use sieve_strategies::build_strategy;

#[test]
fn pareto_fronts_and_preselection_by_hand() {
    // (entropy, in-distribution score)
    let v = [
        (3.0, 1.0),
        (1.0, 3.0),
        (2.0, 2.0),
        (1.0, 1.0),
        (0.5, 0.5),
        (2.0, 0.5),
    ];
    let all: Vec<usize> = (0..v.len()).collect();
    // 3 is dominated by 2; 4 by everything; 5 by 0.
    assert_eq!(pareto_front(&v, &all), vec![0, 1, 2]);
    // Fronts: {0, 1, 2}, then {3, 5}, then {4}.
    assert_eq!(preselect(&v, 3), vec![0, 1, 2]);
    assert_eq!(preselect(&v, 4), vec![0, 1, 2, 3, 5]);
    assert_eq!(preselect(&v, 100), all);
}

#[test]
fn the_monte_carlo_search_finds_the_dominating_subset_and_never_a_dominated_one() {
    // Subset {0, 1} dominates every other pair.
    let v = [(3.0, 3.0), (2.0, 2.0), (1.0, 1.0), (0.0, 0.0)];
    let (best, _) = monte_carlo_subset(&v, 2, 2000, &mut ChaCha8Rng::seed_from_u64(1));
    assert_eq!(best, vec![0, 1]);
    // A trade-off: A (10, 0), B (0, 10), C (6, 6), D (1, 1), pairs: AB (10, 10),
    // AC (16, 6), BC (6, 16) are the front; anything with D is dominated.
    let v = [(10.0, 0.0), (0.0, 10.0), (6.0, 6.0), (1.0, 1.0)];
    for seed in 0..5 {
        let (best, _) = monte_carlo_subset(&v, 2, 2000, &mut ChaCha8Rng::seed_from_u64(seed));
        assert!(!best.contains(&3), "seed {seed}: {best:?}");
        assert_eq!(best.len(), 2);
    }
    // A batch as large as the candidates takes them all.
    assert_eq!(
        monte_carlo_subset(&v, 4, 10, &mut ChaCha8Rng::seed_from_u64(0)).0,
        vec![0, 1, 2, 3]
    );
}

#[test]
fn early_stopping_ends_a_converged_search() {
    // 40 candidates, batch 3: the reference's T = 120 x ... here 1,000,000 as a cap.
    let v: Vec<(f64, f64)> = (0..40)
        .map(|i| (f64::from(i % 7), f64::from((i * 3) % 11)))
        .collect();
    let (_, iterations) = monte_carlo_subset(&v, 3, 1_000_000, &mut ChaCha8Rng::seed_from_u64(2));
    assert!(iterations < 1_000_000, "stopped early after {iterations}");
    assert!(iterations.is_multiple_of(200), "stops at a check");
    // MMD of a set with itself is 0, of two separated sets positive.
    let a = [(0.0, 0.0), (1.0, 0.0)];
    let b = [(5.0, 5.0), (6.0, 5.0)];
    assert!(mmd_rbf(&a, &a).abs() < 1e-12);
    assert!(mmd_rbf(&a, &b) > 0.1);
}

#[test]
fn mahalanobis_confidence_by_hand() {
    // Class 0 at (±1, 0) around (0, 0), class 1 at (10 ± 1, 0) around (10, 0): the
    // class-centred features are (±1, 0) and the y variance is 0, so the shared
    // covariance is diag(1, 0) plus a ridge of 1e-3 x mean variance (0.5) on the
    // diagonal: diag(1.0005, 0.0005).
    let (a, b, c, d) = ([-1.0f32, 0.0], [1.0f32, 0.0], [9.0f32, 0.0], [11.0f32, 0.0]);
    let labeled: Vec<(&[f32], u32)> = vec![(&a, 0), (&b, 0), (&c, 1), (&d, 1)];
    let points = Matrix::from_rows(&[vec![0.0, 0.0], vec![2.0, 0.0], vec![0.0, 0.01]]);
    let conf = mahalanobis_confidence(&points, &labeled).unwrap();
    assert!(conf[0].abs() < 1e-12, "at a class mean: {conf:?}");
    assert!((conf[1] + 0.5 * 4.0 / 1.0005).abs() < 1e-9, "{conf:?}");
    // Off the labeled examples' line, where they never vary: far from in distribution.
    assert!((conf[2] + 0.5 * 0.0001 / 0.0005).abs() < 1e-6, "{conf:?}");
    assert!(mahalanobis_confidence(&points, &[]).is_none());
}

/// Two labeled classes around (0, 0) and (4, 0) in embedding space. Unlabeled: 6
/// uncertain in-distribution examples between them (x in 1.9..2.15, probabilities
/// 0.5 / 0.5), 6 equally uncertain OOD examples far off the classes' line (y = 30), and
/// 6 confident examples beyond class 0 (x <= -2.5, farther from a class mean than the
/// uncertain ones). The uncertain in-distribution examples are best in both objectives,
/// so every batch of them dominates every other batch.
fn ood_view() -> (FixedModelView, Vec<usize>, Vec<Option<u32>>, Vec<usize>) {
    let mut emb = Vec::new();
    let mut probs = Vec::new();
    let mut labeled = Vec::new();
    let mut classes = Vec::new();
    for i in 0..6 {
        let offset = 0.1 * (i % 3) as f32 - 0.1;
        emb.push(vec![if i < 3 { offset } else { 4.0 + offset }, 0.0]);
        probs.push(if i < 3 {
            vec![0.95, 0.05]
        } else {
            vec![0.05, 0.95]
        });
        labeled.push(i);
        classes.push(Some(u32::from(i >= 3)));
    }
    let mut unlabeled = Vec::new();
    for i in 0..6 {
        let step = 0.05 * i as f32;
        unlabeled.push(emb.len());
        emb.push(vec![1.9 + step, 0.0]); // uncertain, in distribution
        probs.push(vec![0.5, 0.5]);
        unlabeled.push(emb.len());
        emb.push(vec![1.9 + step, 30.0]); // uncertain, out of distribution
        probs.push(vec![0.5, 0.5]);
        unlabeled.push(emb.len());
        emb.push(vec![-2.5 - step, 0.0]); // confident, far side of class 0
        probs.push(vec![0.97, 0.03]);
    }
    let view = FixedModelView {
        probabilities: Matrix::from_rows(&probs),
        embeddings: Matrix::from_rows(&emb),
        mc_samples: Vec::new(),
    };
    (view, labeled, classes, unlabeled)
}

#[test]
fn poal_prefers_uncertain_in_distribution_examples_over_ood_ones() {
    let (view, labeled, classes, unlabeled) = ood_view();
    let is_uncertain_id = |p: usize| (p - 6).is_multiple_of(3);
    for seed in 0..3 {
        let mut poal = build_strategy("poal", &serde_json::Value::Null).unwrap();
        let picks = try_select_annotated(
            poal.as_mut(),
            &view,
            &labeled,
            &classes,
            &unlabeled,
            3,
            seed,
        )
        .unwrap();
        assert_eq!(picks.len(), 3);
        assert!(
            picks.iter().all(|&p| is_uncertain_id(p)),
            "seed {seed}: {picks:?}"
        );
    }
    // Without annotations: an error, never a guess.
    let mut poal = build_strategy("poal", &serde_json::Value::Null).unwrap();
    assert!(matches!(
        try_select(poal.as_mut(), &view, &labeled, &unlabeled, 3, 0),
        Err(StrategyError::Request { .. })
    ));
    assert!(build_strategy("poal", &serde_json::json!({"preselect_factor": 0})).is_err());
}

/// The sort-and-sweep front equals the definition (no other point dominates) on random
/// points with many ties.
#[test]
fn the_fast_front_matches_the_definition() {
    use rand::Rng;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..50 {
        let v: Vec<(f64, f64)> = (0..60)
            .map(|_| {
                (
                    f64::from(rng.random_range(0..8u8)),
                    f64::from(rng.random_range(0..8u8)),
                )
            })
            .collect();
        let rows: Vec<usize> = (0..v.len()).collect();
        let dominates =
            |a: (f64, f64), b: (f64, f64)| a.0 >= b.0 && a.1 >= b.1 && (a.0 > b.0 || a.1 > b.1);
        let slow: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| !rows.iter().any(|&j| dominates(v[j], v[i])))
            .collect();
        assert_eq!(pareto_front(&v, &rows), slow);
    }
}
