//! `candidate_pool`: every strategy accepts it, scores only the shared random subset of
//! the unlabeled pool drawn from the request's round seed, and records it in its
//! parameters.
#![allow(clippy::unwrap_used)]

mod common;

use common::{annotations, random_head_view};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};
use sieve_strategies::candidate_pool::candidates;
use sieve_strategies::{build_strategy, strategy_infos};

fn select_with_seed(
    strategy: &mut dyn Strategy,
    view: &dyn ModelView,
    labeled: &[usize],
    unlabeled: &[usize],
    count: usize,
    round_seed: u64,
) -> Result<Vec<usize>, StrategyError> {
    let classes = annotations(labeled);
    let request = SelectionRequest {
        labeled,
        unlabeled,
        count,
        labeled_classes: &classes,
        round_seed,
        round: 0,
        rounds: 3,
    };
    strategy.select(&request, view, &mut ChaCha8Rng::seed_from_u64(4))
}

#[test]
fn every_strategy_chooses_from_the_same_shared_candidates() {
    let view = random_head_view(200, 5, 16, 6);
    let labeled: Vec<usize> = (0..200).filter(|i| i % 10 == 3).collect();
    let unlabeled: Vec<usize> = (0..200).filter(|i| i % 10 != 3).collect();
    let shared = candidates(&unlabeled, 30, 11);
    assert_eq!(shared.len(), 30);
    assert!(shared.windows(2).all(|w| w[0] < w[1]));
    assert!(shared.iter().all(|i| unlabeled.contains(i)));
    assert_ne!(
        shared,
        candidates(&unlabeled, 30, 12),
        "another round, another draw"
    );
    for info in strategy_infos() {
        let params = serde_json::json!({"candidate_pool": 30});
        let mut s = build_strategy(info.name, &params).unwrap();
        assert!(
            s.params_json().contains("\"candidate_pool\":30"),
            "{}: {}",
            info.name,
            s.params_json()
        );
        let picks = select_with_seed(s.as_mut(), &view, &labeled, &unlabeled, 8, 11)
            .unwrap_or_else(|e| panic!("{}: {e}", info.name));
        assert_eq!(picks.len(), 8, "{}", info.name);
        assert!(
            picks.iter().all(|p| shared.contains(p)),
            "{} picked outside the shared candidates: {picks:?}",
            info.name
        );
    }
}

#[test]
fn a_pool_no_larger_than_the_candidates_is_left_whole() {
    let view = random_head_view(200, 5, 16, 6);
    let labeled: Vec<usize> = (0..200).filter(|i| i % 10 == 3).collect();
    let unlabeled: Vec<usize> = (0..200).filter(|i| i % 10 != 3).collect();
    let mut plain = build_strategy("margin", &serde_json::Value::Null).unwrap();
    let mut wide = build_strategy("margin", &serde_json::json!({"candidate_pool": 1000})).unwrap();
    let a = select_with_seed(plain.as_mut(), &view, &labeled, &unlabeled, 10, 1).unwrap();
    let b = select_with_seed(wide.as_mut(), &view, &labeled, &unlabeled, 10, 1).unwrap();
    assert_eq!(a, b);
    // Restricted, margin takes the best of the subset: different from the whole pool's.
    let mut narrow = build_strategy("margin", &serde_json::json!({"candidate_pool": 20})).unwrap();
    let c = select_with_seed(narrow.as_mut(), &view, &labeled, &unlabeled, 10, 1).unwrap();
    assert_ne!(a, c);
}

#[test]
fn bad_candidate_pools_are_refused_with_the_field_named() {
    for bad in [
        serde_json::json!({"candidate_pool": 0}),
        serde_json::json!({"candidate_pool": -3}),
        serde_json::json!({"candidate_pool": "all"}),
        serde_json::json!({"candidate_pool": 2.5}),
    ] {
        let err = build_strategy("entropy", &bad).err().unwrap().to_string();
        assert!(err.contains("`candidate_pool`"), "{err}");
    }
    // Other parameters still reach the strategy, and unknown ones are still refused.
    let s = build_strategy(
        "bald",
        &serde_json::json!({"candidate_pool": 50, "samples": 7}),
    )
    .unwrap();
    assert_eq!(s.params_json(), r#"{"candidate_pool":50,"samples":7}"#);
    assert!(build_strategy(
        "bald",
        &serde_json::json!({"candidate_pool": 50, "nope": 1})
    )
    .is_err());
    // A batch larger than the candidates: an error naming the option.
    let view = random_head_view(200, 5, 16, 6);
    let unlabeled: Vec<usize> = (0..200).collect();
    let mut s = build_strategy("random", &serde_json::json!({"candidate_pool": 5})).unwrap();
    let err = select_with_seed(s.as_mut(), &view, &[], &unlabeled, 6, 0)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("candidate_pool"), "{err}");
}
