//! Each strategy on a case whose right answer is known by construction.
#![allow(clippy::unwrap_used)]

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{FixedModelView, Matrix, SelectionRequest, Strategy};
use sieve_strategies::active::{
    EntropySampling, KCenterGreedy, KCenterParams, LeastConfidence, MarginSampling, Metric,
};
use sieve_strategies::build_strategy;
use sieve_strategies::random::RandomSampling;

/// Five pool examples with hand-built probabilities over 3 classes:
/// 0: confident; 1: two-way tie (smallest margin); 2: uniform (max entropy, least confidence);
/// 3: fairly confident; 4: labeled already.
fn hand_built_view() -> FixedModelView {
    let probabilities = Matrix::from_rows(&[
        vec![0.98, 0.01, 0.01],
        vec![0.45, 0.45, 0.10],
        vec![0.34, 0.33, 0.33],
        vec![0.70, 0.20, 0.10],
        vec![0.30, 0.30, 0.40],
    ]);
    let embeddings = Matrix::new(5, 1, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
    FixedModelView {
        probabilities,
        embeddings,
        mc_samples: vec![],
    }
}

fn select(
    strategy: &mut dyn Strategy,
    view: &FixedModelView,
    labeled: &[usize],
    unlabeled: &[usize],
    count: usize,
) -> Vec<usize> {
    let request = SelectionRequest {
        labeled,
        unlabeled,
        count,
        labeled_classes: &[],
        round_seed: 0,
        round: 0,
        rounds: 0,
    };
    strategy
        .select(&request, view, &mut ChaCha8Rng::seed_from_u64(7))
        .unwrap()
}

#[test]
fn least_confidence_picks_the_lowest_top_probability() {
    let view = hand_built_view();
    // top probs: 0.98, 0.45, 0.34, 0.70 -> order 2, 1, 3, 0
    assert_eq!(
        select(&mut LeastConfidence, &view, &[4], &[0, 1, 2, 3], 2),
        vec![2, 1]
    );
    assert_eq!(
        select(&mut LeastConfidence, &view, &[4], &[0, 1, 2, 3], 4),
        vec![2, 1, 3, 0]
    );
}

#[test]
fn margin_picks_the_smallest_gap() {
    let view = hand_built_view();
    // margins: 0.97, 0.00, 0.01, 0.50 -> order 1, 2, 3, 0
    assert_eq!(
        select(&mut MarginSampling, &view, &[4], &[0, 1, 2, 3], 4),
        vec![1, 2, 3, 0]
    );
}

#[test]
fn entropy_picks_the_flattest_distribution() {
    let view = hand_built_view();
    // entropies (nats): 0:0.112, 1:0.9489, 2:1.0986, 3:0.8018 -> order 2, 1, 3, 0
    assert_eq!(
        select(&mut EntropySampling, &view, &[4], &[0, 1, 2, 3], 4),
        vec![2, 1, 3, 0]
    );
    let h = sieve_strategies::active::entropy::entropy_score(&[0.45, 0.45, 0.10]);
    // By hand: -2(0.45 ln 0.45) - 0.1 ln 0.1 = 0.718650 + 0.230259 = 0.948915.
    assert!((h - 0.948_915).abs() < 1e-5, "{h}");
}

#[test]
fn kcenter_follows_the_obvious_farthest_first_order() {
    // Points on a line at 0, 1, 2, 3, 10, 11; labeled: the point at 0.
    // Farthest from {0} is 11 (index 5); then from {0, 11}: 3 or 10? distances to nearest
    // center: 1->1, 2->2, 3->3, 10->1 -> pick 3 (index 3); then 2 (dist 1 to 3 or 2 to 0 -> 1)...
    let embeddings = Matrix::new(6, 1, vec![0.0, 1.0, 2.0, 3.0, 10.0, 11.0]);
    let probabilities = Matrix::new(6, 2, vec![0.5; 12]);
    let view = FixedModelView {
        probabilities,
        embeddings,
        mc_samples: vec![],
    };
    let picks = select(
        &mut KCenterGreedy::default(),
        &view,
        &[0],
        &[1, 2, 3, 4, 5],
        2,
    );
    assert_eq!(picks, vec![5, 3]);
    // Two clusters far apart in 2-D: from a labeled point in cluster A, the first pick
    // must come from cluster B.
    let embeddings = Matrix::from_rows(&[
        vec![0.0, 0.0],
        vec![0.1, 0.0],
        vec![0.0, 0.1],
        vec![50.0, 50.0],
        vec![50.1, 50.0],
    ]);
    let probabilities = Matrix::new(5, 2, vec![0.5; 10]);
    let view = FixedModelView {
        probabilities,
        embeddings,
        mc_samples: vec![],
    };
    let picks = select(&mut KCenterGreedy::default(), &view, &[0], &[1, 2, 3, 4], 1);
    assert!(picks == vec![3] || picks == vec![4], "{picks:?}");
    let cosine = KCenterGreedy {
        params: KCenterParams {
            metric: Metric::Cosine,
        },
    };
    assert_eq!(cosine.params_json(), r#"{"metric":"cosine"}"#);
}

#[test]
fn random_is_seeded_distinct_and_unlabeled() {
    let view = hand_built_view();
    let a = select(&mut RandomSampling, &view, &[4], &[0, 1, 2, 3], 3);
    let b = select(&mut RandomSampling, &view, &[4], &[0, 1, 2, 3], 3);
    assert_eq!(a, b);
    let mut sorted = a.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 3);
    assert!(a.iter().all(|i| *i < 4));
}

#[test]
fn registry_builds_known_names_and_suggests_for_typos() {
    for info in sieve_strategies::strategy_infos() {
        let s = build_strategy(info.name, &serde_json::Value::Null).unwrap();
        assert_eq!(s.name(), info.name);
    }
    let err = build_strategy("margn", &serde_json::Value::Null)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("did you mean `margin`"), "{err}");
    let err = build_strategy("kcenter", &serde_json::json!({"metrc": "cosine"}))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("metrc"), "{err}");
    let err = build_strategy("margin", &serde_json::json!({"x": 1}))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("takes no parameters"), "{err}");
}
