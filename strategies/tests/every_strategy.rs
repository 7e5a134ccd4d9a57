//! Every registered strategy, built with its default parameters, on a random but fixed
//! pool (200 examples, 5 classes, 16-d embeddings, MC samples): exactly `count`
//! distinct unlabeled indices, the same ones again for the same seed.
#![allow(clippy::unwrap_used)]

mod common;

use common::{annotations, random_head_view, try_select_annotated};
use sieve_strategies::{build_strategy, strategy_infos};

#[test]
fn every_registered_strategy_returns_valid_distinct_unlabeled_indices() {
    let view = random_head_view(200, 5, 16, 6);
    let labeled: Vec<usize> = (0..200).filter(|i| i % 10 == 3).collect();
    let unlabeled: Vec<usize> = (0..200).filter(|i| i % 10 != 3).collect();
    let infos = strategy_infos();
    assert!(infos.len() >= 17, "{} strategies registered", infos.len());
    for info in infos {
        for count in [1, 17] {
            let mut s = build_strategy(info.name, &serde_json::Value::Null).unwrap();
            let a = try_select_annotated(
                s.as_mut(),
                &view,
                &labeled,
                &annotations(&labeled),
                &unlabeled,
                count,
                9,
            )
            .unwrap_or_else(|e| panic!("{}: {e}", info.name));
            assert_eq!(a.len(), count, "{}", info.name);
            let mut sorted = a.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), count, "{}: duplicates in {a:?}", info.name);
            assert!(
                a.iter().all(|i| unlabeled.binary_search(i).is_ok()),
                "{}: {a:?} leaves the unlabeled pool",
                info.name
            );
            let mut again = build_strategy(info.name, &serde_json::Value::Null).unwrap();
            let b = try_select_annotated(
                again.as_mut(),
                &view,
                &labeled,
                &annotations(&labeled),
                &unlabeled,
                count,
                9,
            )
            .unwrap();
            assert_eq!(a, b, "{}: not deterministic", info.name);
        }
        // The whole unlabeled pool, and nothing.
        let mut s = build_strategy(info.name, &serde_json::Value::Null).unwrap();
        let all = try_select_annotated(
            s.as_mut(),
            &view,
            &labeled,
            &annotations(&labeled),
            &unlabeled,
            unlabeled.len(),
            1,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", info.name));
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, unlabeled, "{}", info.name);
        let none = try_select_annotated(
            s.as_mut(),
            &view,
            &labeled,
            &annotations(&labeled),
            &unlabeled,
            0,
            1,
        )
        .unwrap();
        assert!(none.is_empty(), "{}", info.name);
    }
}

#[test]
fn every_parameterised_strategy_rejects_unknown_fields() {
    for info in strategy_infos() {
        let err = build_strategy(info.name, &serde_json::json!({"no_such_param": 1}))
            .err()
            .unwrap_or_else(|| panic!("{} accepted an unknown field", info.name))
            .to_string();
        assert!(err.contains("no_such_param"), "{}: {err}", info.name);
    }
}
