//! Cold-start strategies on point sets whose right answer is known by construction.
#![allow(clippy::unwrap_used)]

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_strategies::init::{build_init_strategy, init_strategy_names, Features};

/// Three tight blobs around (0,0), (10,0), (0,10) in 2-D; each blob's first point sits
/// exactly on its centre, with 8 points on a small ring around it.
fn blobs() -> Vec<f32> {
    let mut data = Vec::new();
    for (cx, cy) in [(0.0f32, 0.0f32), (10.0, 0.0), (0.0, 10.0)] {
        data.extend([cx, cy]);
        for k in 0..8 {
            let angle = k as f32 * std::f32::consts::PI / 4.0;
            data.extend([cx + 0.5 * angle.cos(), cy + 0.5 * angle.sin()]);
        }
    }
    data
}

fn select(
    name: &str,
    params: serde_json::Value,
    data: &[f32],
    rows: usize,
    count: usize,
) -> Vec<usize> {
    let features = Features::new(data, rows, data.len() / rows).unwrap();
    let strategy = build_init_strategy(name, &params).unwrap();
    strategy
        .select_initial(&features, count, &mut ChaCha8Rng::seed_from_u64(3))
        .unwrap()
}

#[test]
fn kmeans_medoids_pick_each_blob_centre() {
    let data = blobs();
    let mut picks = select(
        "kmeans",
        serde_json::json!({"representation": "raw"}),
        &data,
        27,
        3,
    );
    picks.sort_unstable();
    assert_eq!(picks, vec![0, 9, 18], "the centre point of each blob");
}

#[test]
fn typiclust_picks_the_most_typical_point_of_each_cluster() {
    let data = blobs();
    // With K = 8 (the rest of the blob), by hand: the centre's mean distance is 0.5; a ring
    // point's is (2*0.383 + 2*0.707 + 2*0.924 + 1.0 + 0.5) / 8 = 0.691, so the centre is
    // the most typical. (With K = 4 a ring point would win: 0.493 < 0.5.)
    let mut picks = select(
        "typiclust",
        serde_json::json!({"representation": "raw", "knn": 8}),
        &data,
        27,
        3,
    );
    picks.sort_unstable();
    assert_eq!(
        picks,
        vec![0, 9, 18],
        "the blob centres are the most typical points"
    );
    // With PCA to 2 dimensions (a rotation here) the answer is the same.
    let mut picks = select(
        "typiclust",
        serde_json::json!({"pca_dims": 2, "knn": 8}),
        &data,
        27,
        3,
    );
    picks.sort_unstable();
    assert_eq!(picks, vec![0, 9, 18]);
}

#[test]
fn every_init_strategy_returns_distinct_indices_of_the_requested_count() {
    let data = blobs();
    for name in init_strategy_names() {
        for count in [1, 5, 27] {
            let picks = select(name, serde_json::Value::Null, &data, 27, count);
            let mut sorted = picks.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), count, "{name} count {count}: {picks:?}");
            assert!(picks.iter().all(|&i| i < 27));
            assert_eq!(
                picks,
                select(name, serde_json::Value::Null, &data, 27, count),
                "{name} is seeded"
            );
        }
    }
}

#[test]
fn unknown_init_strategies_and_parameters_are_named() {
    let e = build_init_strategy("typiclst", &serde_json::Value::Null)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("did you mean `typiclust`"), "{e}");
    let e = build_init_strategy("kmeans", &serde_json::json!({"pca_dim": 3}))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("pca_dim"), "{e}");
}
