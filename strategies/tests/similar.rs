//! SIMILAR's information measures on hand-built similarities whose greedy order is
//! known, the query / private set rules, and the strategies on views whose classes
//! are separated by construction.
#![allow(clippy::unwrap_used)]

mod common;

use common::{sorted, try_select_annotated};
use sieve_bench_core::{FixedModelView, Matrix, StrategyError};
use sieve_strategies::active::similar::functions::{
    flcg_order, flqmi_order, gccg_order, gcmi_scores, logdet_order, DenseSimilarity, Similarity,
};
use sieve_strategies::active::similar::{private_set, query_set};
use sieve_strategies::build_strategy;

/// Candidates 0..4, query rows 4 and 5. Candidate 0 is close to query 4 (0.9), 1 too
/// (0.85, and 0.95 with 0: redundant), 2 close to query 5 (0.8), 3 far from both.
fn query_kernel() -> DenseSimilarity {
    let n = 6;
    let mut values = vec![0.1; n * n];
    let mut set = |a: usize, b: usize, v: f64| {
        values[a * n + b] = v;
        values[b * n + a] = v;
    };
    for i in 0..n {
        set(i, i, 1.0);
    }
    set(0, 4, 0.9);
    set(1, 4, 0.85);
    set(0, 1, 0.95);
    set(2, 5, 0.8);
    DenseSimilarity { n, values }
}

#[test]
fn flqmi_covers_every_query_example_before_repeating_one() {
    let k = query_kernel();
    // Gains by hand (η = 1): 0: (0.9 + 0.1) + 0.9 = 1.9; 1: 0.95 + 0.85 = 1.8;
    // 2: 0.9 + 0.8 = 1.7; 3: 0.2 + 0.1 = 0.3. After 0: 1 -> 0 + 0.85 = 0.85,
    // 2 -> 0.7 + 0.8 = 1.5, 3 -> 0.1. So 0, 2, then 1, then 3.
    assert_eq!(
        flqmi_order(&k, &[0, 1, 2, 3], &[4, 5], 1.0, 4),
        vec![0, 2, 1, 3]
    );
    // A large η makes relevance (η · max_q s) dominate coverage: 1 (85) beats 2 (80.7).
    assert_eq!(
        flqmi_order(&k, &[0, 1, 2, 3], &[4, 5], 100.0, 4),
        vec![0, 1, 2, 3]
    );
}

#[test]
fn gcmi_is_the_summed_similarity_to_the_query() {
    let k = query_kernel();
    let scores = gcmi_scores(&k, &[0, 1, 2, 3], &[4, 5]);
    let expected = [1.0, 0.95, 0.9, 0.2];
    for (s, e) in scores.iter().zip(expected) {
        assert!((s - e).abs() < 1e-12, "{scores:?}");
    }
}

/// `0.5 + 0.5·cos` of explicit vectors: positive semi-definite, as the strategies' kernel.
fn vector_kernel(rows: &[[f64; 3]]) -> DenseSimilarity {
    let unit: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
            r.iter().map(|v| v / norm).collect()
        })
        .collect();
    let n = rows.len();
    let mut values = vec![0.0; n * n];
    for a in 0..n {
        for b in 0..n {
            let cos: f64 = unit[a].iter().zip(&unit[b]).map(|(x, y)| x * y).sum();
            values[a * n + b] = 0.5 + 0.5 * cos;
        }
    }
    DenseSimilarity { n, values }
}

#[test]
fn logdet_mi_takes_one_example_per_query_direction() {
    // Candidates: 0 = e1, 1 = e1 nudged toward e3 (a near-duplicate of 0), 2 = e2,
    // 3 = e3. Queries: 4 = e1, 5 = e2.
    let k = vector_kernel(&[
        [1.0, 0.0, 0.0],
        [1.0, 0.0, 0.05],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
    ]);
    let order = logdet_order(&k, &[0, 1, 2, 3], &[4, 5], 1.0, 1.0, true, 4);
    // 0 and 2 each reproduce a query exactly (a tie, decided by rounding); the
    // duplicate 1 adds no information about the queries once 0 is in.
    assert_eq!(sorted(order[..2].to_vec()), vec![0, 2]);
    // First gain by hand with one query q = e1: ln(1 + ε) − ln(1 + ε − s²/(1 + ε)) with
    // s = 1 is ln(1/ε)-large; with the unrelated e3 (s = 0.5 to both queries) it is
    // small: the first pick is never 3.
    assert_ne!(order[0], 3);
}

#[test]
fn logdet_cg_avoids_the_private_direction_and_nu_sets_how_hard() {
    // Candidates 0 = e1, 1 = e2, 2 = e3; private 3 = e1.
    let k = vector_kernel(&[
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [1.0, 0.0, 0.0],
    ]);
    // ν = 1, λ = 1: candidate 0's conditioned variance is 1 + 1 − 1²/(1 + 1) = 1.5;
    // 1 and 2 keep 2 − 0.5²/2 = 1.875 (tie: 1 first). After 1: candidate 2's drops to
    // 1.875 − (0.5 − 0.25/2)²/1.875 = 1.8, candidate 0's to 1.5 − (0.5 − 0.5/2)²/1.875
    // = 1.467: 2, then 0.
    assert_eq!(
        logdet_order(&k, &[0, 1, 2], &[3], 1.0, 1.0, false, 3),
        vec![1, 2, 0]
    );
    // ν = 0: the plain log-determinant; all variances are 2 and 0 wins the tie.
    assert_eq!(
        logdet_order(&k, &[0, 1, 2], &[3], 0.0, 1.0, false, 1),
        vec![0]
    );
}

#[test]
fn flcg_and_gccg_leave_the_private_like_candidate_for_last() {
    // Candidates 0 = e1 (like the private example), 1 = e2, 2 = e2 nudged, 3 = e3;
    // private 4 = e1.
    let k = vector_kernel(&[
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 1.0, 0.1],
        [0.0, 0.0, 1.0],
        [1.0, 0.0, 0.0],
    ]);
    let candidates = [0, 1, 2, 3];
    let order = flcg_order(&k, &candidates, &candidates, &[4], 1.0, 4);
    // Candidate 0 covers nothing above the private floor: gain 0, picked last.
    assert_eq!(order[3], 0, "{order:?}");
    // With ν = 0 it is plain facility location: 0 covers itself (1.0) and the others
    // (0.5 each) like any candidate, so it is no longer last.
    let plain = flcg_order(&k, &candidates, &candidates, &[4], 0.0, 4);
    assert_ne!(plain[3], 0, "{plain:?}");
    let sums: Vec<f64> = candidates
        .iter()
        .map(|&x| candidates.iter().map(|&i| k.sim(i, x)).sum())
        .collect();
    let order = gccg_order(&k, &candidates, &sums, &[4], 1.0, 1.0, 2);
    assert!(!order.contains(&0), "{order:?}");
    // Unconditioned (ν = 0) graph cut with a large λ takes the most central candidate.
    let central = gccg_order(&k, &candidates, &sums, &[4], 10.0, 0.0, 1);
    let best = (0..4)
        .max_by(|&a, &b| sums[a].total_cmp(&sums[b]).then(b.cmp(&a)))
        .unwrap();
    assert_eq!(central, vec![best]);
}

#[test]
fn query_and_private_sets_follow_the_annotations() {
    let labeled = [10, 11, 12, 13, 14, 15, 16];
    let classes = [Some(0), Some(0), Some(0), Some(1), Some(1), Some(2), None];
    // Counts 3, 2, 1 (mean 2): class 2 alone is rare.
    assert_eq!(query_set(&labeled, &classes, &[]), vec![15]);
    assert_eq!(query_set(&labeled, &classes, &[1]), vec![13, 14]);
    assert_eq!(private_set(&labeled, &classes), vec![16]);
    // Balanced labels: nothing is rare, every in-distribution example is the query.
    let balanced = [Some(0), Some(1), None];
    assert_eq!(query_set(&[1, 2, 3], &balanced, &[]), vec![1, 2]);
}

/// Three classes separated by construction: example i has class i % 3, a confident
/// prediction (0.6) of it and an embedding along its own axis with a little spread.
fn class_view(n: usize) -> FixedModelView {
    let mut probs = Vec::new();
    let mut embed = Vec::new();
    for i in 0..n {
        let c = i % 3;
        for k in 0..3 {
            probs.push(if k == c { 0.6 } else { 0.2 });
            embed.push(if k == c {
                1.0 + 0.01 * (i / 3) as f32
            } else {
                0.0
            });
        }
    }
    FixedModelView {
        probabilities: Matrix::new(n, 3, probs),
        embeddings: Matrix::new(n, 3, embed),
        mc_samples: Vec::new(),
    }
}

#[test]
fn similar_mi_picks_the_rare_class_and_cg_avoids_the_ood_one() {
    let view = class_view(60);
    // Labeled: six of class 0, six of class 1, one of class 2.
    let labeled: Vec<usize> = (0..18).filter(|i| i % 3 != 2).chain([2]).collect();
    let classes: Vec<Option<u32>> = labeled.iter().map(|&i| Some((i % 3) as u32)).collect();
    let unlabeled: Vec<usize> = (18..60).collect();
    for name in ["similar_flmi", "similar_gcmi", "similar_logdetmi"] {
        let mut s = build_strategy(name, &serde_json::Value::Null).unwrap();
        let picks =
            try_select_annotated(s.as_mut(), &view, &labeled, &classes, &unlabeled, 5, 0).unwrap();
        // LogDetMI with a single query example saturates once the batch holds its
        // direction (the information about one example is bounded): only its first
        // pick is decided by the query.
        let decided = if name == "similar_logdetmi" { 1 } else { 5 };
        assert!(
            picks[..decided].iter().all(|&p| p % 3 == 2),
            "{name} should pick the rare class 2: {picks:?}"
        );
        // An explicit query class is obeyed.
        let mut s = build_strategy(name, &serde_json::json!({"query_classes": [0]})).unwrap();
        let picks =
            try_select_annotated(s.as_mut(), &view, &labeled, &classes, &unlabeled, 5, 0).unwrap();
        assert!(
            picks[..decided].iter().all(|&p| p % 3 == 0),
            "{name}: {picks:?}"
        );
        // No annotations: an error, never a silent fallback.
        let mut s = build_strategy(name, &serde_json::Value::Null).unwrap();
        let err = try_select_annotated(s.as_mut(), &view, &labeled, &[], &unlabeled, 5, 0);
        assert!(matches!(err, Err(StrategyError::Request { .. })), "{name}");
        // A query class nobody labeled: a clear error.
        let mut s = build_strategy(name, &serde_json::json!({"query_classes": [7]})).unwrap();
        let err = try_select_annotated(s.as_mut(), &view, &labeled, &classes, &unlabeled, 5, 0)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("query set is empty"), "{err}");
    }
    // Class 2 is out of distribution: two labeled examples of it were annotated OOD.
    let labeled: Vec<usize> = (0..18).collect();
    let classes: Vec<Option<u32>> = labeled
        .iter()
        .map(|&i| (i % 3 != 2).then_some((i % 3) as u32))
        .collect();
    for name in ["similar_flcg", "similar_gccg", "similar_logdetcg"] {
        let mut s = build_strategy(name, &serde_json::Value::Null).unwrap();
        let picks =
            try_select_annotated(s.as_mut(), &view, &labeled, &classes, &unlabeled, 6, 0).unwrap();
        // Facility location and the log-determinant saturate once each in-distribution
        // class is in the batch (one pick each here, the classes being tight): only their
        // first two picks are decided; graph cut keeps penalising the private class.
        let decided = if name == "similar_gccg" { 6 } else { 2 };
        assert!(
            picks[..decided].iter().all(|&p| p % 3 != 2),
            "{name} should avoid the OOD-like class 2: {picks:?}"
        );
        assert_eq!(sorted(picks.clone()).len(), 6);
    }
}

#[test]
fn similar_parameters_are_checked() {
    for (name, bad) in [
        ("similar_flmi", serde_json::json!({"eta": -1.0})),
        ("similar_logdetmi", serde_json::json!({"eta": 1.5})),
        ("similar_flcg", serde_json::json!({"ground": 0})),
        ("similar_gccg", serde_json::json!({"lambda": 0.0})),
        ("similar_logdetcg", serde_json::json!({"nu": 2.0})),
        ("similar_gcmi", serde_json::json!({"eta": 1.0})),
    ] {
        let err = build_strategy(name, &bad).err().unwrap().to_string();
        let param = bad.as_object().unwrap().keys().next().unwrap().clone();
        assert!(
            err.contains(&format!("`{param}`")) || err.contains("unknown field"),
            "{name}: {err}"
        );
    }
}
