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
    // Labels (row % 3) for the cold starts that read them (`balanced`).
    let labels: Vec<u32> = (0..rows as u32).map(|i| i % 3).collect();
    let features = Features::new(data, rows, data.len() / rows)
        .unwrap()
        .with_labels(&labels, 3)
        .unwrap();
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
    // A blob has 9 members, so K = min(20, 9/2) = 4. By hand, in squared distances: the
    // centre's 4 nearest are all 0.25 (mean 0.25); a ring point's are its two ring
    // neighbours (0.3827^2 = 0.1464 each), the centre (0.25) and the next ring point
    // (0.7071^2 = 0.5): mean 0.2607. The centre is the most typical.
    let mut picks = select(
        "typiclust",
        serde_json::json!({"representation": "raw"}),
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
        serde_json::json!({"pca_dims": 2}),
        &data,
        27,
        3,
    );
    picks.sort_unstable();
    assert_eq!(picks, vec![0, 9, 18]);
}

#[test]
fn typicality_is_the_inverse_mean_squared_distance_to_the_nearest_neighbours() {
    use sieve_bench_core::Matrix;
    use sieve_strategies::init::typicality;
    // (0,0) to (3,4) and (6,8): squared distances 25 and 100.
    let points = Matrix::new(3, 2, vec![0.0, 0.0, 3.0, 4.0, 6.0, 8.0]);
    let t = typicality(&points, &[0], &[0, 1, 2], 2);
    assert!((t[0] - 1.0 / (62.5 + 1e-5)).abs() < 1e-12, "{t:?}");
    let t = typicality(&points, &[0], &[0, 1, 2], 1);
    assert!((t[0] - 1.0 / (25.0 + 1e-5)).abs() < 1e-12, "{t:?}");
}

#[test]
fn typiclust_uses_half_the_cluster_as_neighbours_and_squared_distances() {
    // One cluster of 10 points on a line: K = min(20, 10/2) = 5. Mean squared distance
    // to the 5 nearest, by hand: 0.1405 0.0865 0.0565 0.0505 0.0865 0.1765 for the left
    // six, above 2.4 for the right four, so point 3 (at 0.3) is the most typical. With
    // K = 9 (every other member) point 5 would win (2.82), and with plain distances
    // point 2 (0.21, tied with 3, first wins).
    let data = [0.0f32, 0.1, 0.2, 0.3, 0.45, 0.6, 3.0, 3.05, 3.1, 3.15];
    let picks = select(
        "typiclust",
        serde_json::json!({"representation": "raw"}),
        &data,
        10,
        1,
    );
    assert_eq!(picks, vec![3]);
}

#[test]
fn typiclust_drops_clusters_of_at_most_five_and_cycles_over_the_rest() {
    // A spread cluster of 20 on the line and a tight one of 5 far away. Two clusters for
    // two picks; the cluster of 5 is dropped, so both picks come from the large one
    // (the most typical, then the most typical of what remains).
    let mut data: Vec<f32> = (0..20).map(|i| i as f32 * 0.1).collect();
    data.extend([100.0f32, 100.01, 100.02, 100.03, 100.04]);
    let picks = select(
        "typiclust",
        serde_json::json!({"representation": "raw"}),
        &data,
        25,
        2,
    );
    assert!(picks.iter().all(|&i| i < 20), "{picks:?}");
    // Keeping clusters above 4 members: one pick each, the larger cluster first.
    let picks = select(
        "typiclust",
        serde_json::json!({"representation": "raw", "min_cluster_size": 4}),
        &data,
        25,
        2,
    );
    assert!(picks[0] < 20 && picks[1] >= 20, "{picks:?}");
    // Three picks over a kept 20 and a kept 5: large, small, large.
    let picks = select(
        "typiclust",
        serde_json::json!({"representation": "raw", "min_cluster_size": 4}),
        &data,
        25,
        3,
    );
    let from_large = picks.iter().filter(|&&i| i < 20).count();
    assert_eq!(from_large, 2, "{picks:?}");
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

#[test]
fn balanced_takes_an_even_share_of_each_class_and_never_an_ood_one() {
    let data = vec![0.0f32; 120];
    // 60 examples: label i % 12, so 10 classes of 5 plus labels 10 and 11 (out of
    // distribution for a 10-class task).
    let labels: Vec<u32> = (0..60).map(|i| i % 12).collect();
    let features = Features::new(&data, 60, 2)
        .unwrap()
        .with_labels(&labels, 10)
        .unwrap();
    let balanced = build_init_strategy("balanced", &serde_json::Value::Null).unwrap();
    for seed in 0..5 {
        let picks = balanced
            .select_initial(&features, 20, &mut ChaCha8Rng::seed_from_u64(seed))
            .unwrap();
        let mut counts = [0usize; 12];
        for &p in &picks {
            counts[labels[p] as usize] += 1;
        }
        assert_eq!(&counts[..10], &[2; 10], "seed {seed}: {counts:?}");
        assert_eq!(counts[10] + counts[11], 0);
        let mut distinct = picks.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 20);
    }
    // A class too small for its share gives all it has; the others make up the rest.
    let labels: Vec<u32> = (0..11).map(|i| if i == 10 { 2 } else { i % 2 }).collect();
    let features = Features::new(&data[..22], 11, 2)
        .unwrap()
        .with_labels(&labels, 3)
        .unwrap();
    for seed in 0..5 {
        let picks = balanced
            .select_initial(&features, 7, &mut ChaCha8Rng::seed_from_u64(seed))
            .unwrap();
        let mut counts = [0usize; 3];
        for &p in &picks {
            counts[labels[p] as usize] += 1;
        }
        assert_eq!(counts[2], 1, "{counts:?}");
        assert_eq!(counts.iter().sum::<usize>(), 7);
        assert!(counts[0] >= 2 && counts[1] >= 2 && counts[0].abs_diff(counts[1]) <= 2);
    }
    // More than the in-distribution pool, or no labels: clear errors.
    assert!(balanced
        .select_initial(&features, 12, &mut ChaCha8Rng::seed_from_u64(0))
        .is_err());
    let unlabeled = Features::new(&data, 60, 2).unwrap();
    let err = balanced
        .select_initial(&unlabeled, 4, &mut ChaCha8Rng::seed_from_u64(0))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("labels"), "{err}");
    assert!(build_init_strategy("balanced", &serde_json::json!({"x": 1})).is_err());
}
