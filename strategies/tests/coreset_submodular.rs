//! The gradient-based coreset methods (`facility_location`, `graph_cut`,
//! `log_determinant`, `craig`, `gradmatch`, `glister`) on cases whose answer is known by
//! construction. The selection model is a [`FixedModelView`]: its probabilities `p` and
//! embeddings `h` give each row the last-layer gradient `[g, g⊗h]` with `g = p - y`, so
//! with a shared `g` two rows' cosine is that of `[1, h_i]` and `[1, h_j]`.
#![allow(clippy::unwrap_used)]

mod common;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sieve_bench_core::{
    CoresetRequest, CoresetSelection, FixedContext, FixedModelView, Matrix, StrategyError,
};
use sieve_strategies::coreset::{
    build_coreset_method, coreset_method_infos, glister_order, GradientEmbeddings,
    MAX_DENSE_CANDIDATES,
};

const METHODS: [&str; 6] = [
    "facility_location",
    "graph_cut",
    "log_determinant",
    "craig",
    "gradmatch",
    "glister",
];

const WEIGHTED: [&str; 2] = ["craig", "gradmatch"];

/// A view from per-row probabilities and embeddings.
fn view_of(probabilities: &[Vec<f32>], embeddings: &[Vec<f32>]) -> FixedModelView {
    FixedModelView {
        probabilities: Matrix::from_rows(probabilities),
        embeddings: Matrix::from_rows(embeddings),
        mc_samples: vec![],
    }
}

fn try_run(
    name: &str,
    params: &Value,
    view: Option<&FixedModelView>,
    labels: &[u32],
    candidates: &[usize],
    counts: &[usize],
    seed: u64,
) -> Result<Vec<CoresetSelection>, StrategyError> {
    let mut method = build_coreset_method(name, params).unwrap();
    let classes = view.map_or(1, |v| v.probabilities.cols);
    let request = CoresetRequest {
        candidates,
        counts,
        labels,
        classes,
    };
    let context = FixedContext {
        model: view.map(|v| v as &dyn sieve_bench_core::ModelView),
        dynamics: None,
        deepfool: None,
        early_scores: None,
    };
    method.select(&request, &context, &mut ChaCha8Rng::seed_from_u64(seed))
}

fn run(
    name: &str,
    params: &Value,
    view: &FixedModelView,
    labels: &[u32],
    candidates: &[usize],
    counts: &[usize],
) -> Vec<CoresetSelection> {
    try_run(name, params, Some(view), labels, candidates, counts, 7)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The largest selection of a single-count run over all rows.
fn order(
    name: &str,
    params: &Value,
    view: &FixedModelView,
    labels: &[u32],
    count: usize,
) -> Vec<usize> {
    let candidates: Vec<usize> = (0..labels.len()).collect();
    run(name, params, view, labels, &candidates, &[count])
        .remove(0)
        .indices
}

/// Rows sharing the gradient residual of `p = probabilities`, label 0, with features `h`.
fn shared_residual(probabilities: [f32; 2], features: &[[f32; 2]]) -> FixedModelView {
    let p: Vec<Vec<f32>> = features.iter().map(|_| probabilities.to_vec()).collect();
    let h: Vec<Vec<f32>> = features.iter().map(|f| f.to_vec()).collect();
    view_of(&p, &h)
}

fn json_keys(text: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(text).unwrap();
    let mut keys: Vec<String> = value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

#[test]
fn every_method_returns_each_count_as_distinct_candidates_deterministically() {
    let n = 90;
    let view = common::random_view(n, 4, 6, 0);
    let labels: Vec<u32> = (0..n as u32).map(|i| i % 4).collect();
    let mixed: Vec<usize> = (0..n).filter(|i| i % 3 != 1).collect();
    let one_class: Vec<usize> = (0..n).filter(|&i| labels[i] == 2).collect();
    for name in METHODS {
        for (candidates, counts) in [
            (&mixed, vec![7, 0, 1, 25, mixed.len()]),
            (&one_class, vec![one_class.len(), 3, 12]),
        ] {
            let first = run(name, &Value::Null, &view, &labels, candidates, &counts);
            // Deterministic, whatever the rng.
            let again = try_run(
                name,
                &Value::Null,
                Some(&view),
                &labels,
                candidates,
                &counts,
                99,
            )
            .unwrap();
            assert_eq!(first, again, "{name}");
            assert_eq!(first.len(), counts.len(), "{name}");
            let largest = first
                .iter()
                .max_by_key(|s| s.indices.len())
                .unwrap()
                .indices
                .clone();
            for (selection, &count) in first.iter().zip(&counts) {
                assert_eq!(selection.indices.len(), count, "{name} count {count}");
                let mut sorted = selection.indices.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), count, "{name}: duplicate rows");
                assert!(
                    sorted.iter().all(|r| candidates.binary_search(r).is_ok()),
                    "{name}: a row outside the candidates"
                );
                match &selection.weights {
                    Some(w) => {
                        assert!(WEIGHTED.contains(&name), "{name} returned weights");
                        assert_eq!(w.len(), count, "{name}");
                        assert!(w.iter().all(|v| *v > 0.0 && v.is_finite()), "{name}: {w:?}");
                    }
                    None => assert!(!WEIGHTED.contains(&name), "{name} returned no weights"),
                }
                if name == "craig" {
                    let total: f32 = selection.weights.as_ref().unwrap().iter().sum();
                    let expected = if count == 0 {
                        0.0
                    } else {
                        candidates.len() as f32
                    };
                    assert_eq!(total, expected, "craig weights sum");
                }
                if name != "gradmatch" {
                    // Greedy orders: every size is a prefix of the largest.
                    assert_eq!(selection.indices[..], largest[..count], "{name}");
                }
            }
        }
    }
}

#[test]
fn registry_parameters_are_listed_validated_and_take_effect() {
    let infos = coreset_method_infos();
    let n = 80;
    let view = common::random_view(n, 5, 8, 0);
    let labels: Vec<u32> = (0..n as u32).map(|i| i % 5).collect();
    let candidates: Vec<usize> = (0..n).collect();
    for name in METHODS {
        let info = infos.iter().find(|i| i.name == name).unwrap();
        let method = build_coreset_method(name, &Value::Null).unwrap();
        assert_eq!(method.name(), name);
        assert!(method.needs().selection_model, "{name}");
        let mut listed: Vec<String> = info.params.iter().map(|p| p.name.to_string()).collect();
        listed.sort();
        assert_eq!(json_keys(&method.params_json()), listed, "{name}");
        assert!(build_coreset_method(name, &json!({"no_such_param": 1})).is_err());
        let before = run(name, &Value::Null, &view, &labels, &candidates, &[12]);
        for p in info.params {
            // Defaults as listed resolve to the same method.
            let default: f64 = p.default.parse().unwrap();
            let same = build_coreset_method(name, &json!({ p.name: default })).unwrap();
            assert_eq!(
                same.params_json(),
                method.params_json(),
                "{name}.{}",
                p.name
            );
            // Out of range is refused, naming the parameter.
            for bad in [0.0, -1.0] {
                let err = build_coreset_method(name, &json!({ p.name: bad }))
                    .err()
                    .unwrap();
                assert!(err.to_string().contains(p.name), "{name}.{}: {err}", p.name);
            }
            let other = match (name, p.name) {
                ("graph_cut", "lambda") => 0.05,
                ("gradmatch", "lambda") => 100.0,
                ("glister", "eta") => 20.0,
                _ => panic!("{name}.{} needs a case here", p.name),
            };
            let after = run(
                name,
                &json!({ p.name: other }),
                &view,
                &labels,
                &candidates,
                &[12],
            );
            assert_ne!(before, after, "{name}.{} = {other} changed nothing", p.name);
        }
    }
}

#[test]
fn selection_needs_the_model() {
    let labels = [0u32; 4];
    for name in METHODS {
        let err = try_run(name, &Value::Null, None, &labels, &[0, 1, 2, 3], &[2], 1);
        assert!(err.is_err(), "{name} ran without a selection model");
    }
}

#[test]
fn dense_methods_refuse_too_many_candidates_naming_the_memory() {
    let n = MAX_DENSE_CANDIDATES + 1;
    let view = FixedModelView {
        probabilities: Matrix::new(n, 2, vec![0.5; 2 * n]),
        embeddings: Matrix::new(n, 1, vec![1.0; n]),
        mc_samples: vec![],
    };
    let labels = vec![0u32; n];
    let candidates: Vec<usize> = (0..n).collect();
    for name in ["facility_location", "graph_cut", "log_determinant", "craig"] {
        let err = try_run(
            name,
            &Value::Null,
            Some(&view),
            &labels,
            &candidates,
            &[10],
            1,
        )
        .err()
        .unwrap_or_else(|| panic!("{name} accepted {n} candidates"));
        let message = err.to_string();
        assert!(
            matches!(err, StrategyError::Request { .. }) && message.contains("GiB"),
            "{name}: {message}"
        );
        assert!(message.contains(&n.to_string()), "{message}");
    }
}

#[test]
fn facility_location_covers_each_cluster_before_repeating_one() {
    // Cluster A (rows 0, 2, 4, 5, 7) around h = (3, 0), cluster B (rows 1, 3, 6) around
    // h = (-3, 0): cos between clusters ~ -0.8 (s ~ 0.1), within ~ 1.
    let a = |i: usize| [3.0 + 0.05 * i as f32, 0.1 * (i as f32).sin()];
    let b = |i: usize| [-3.0 - 0.05 * i as f32, 0.1 * (i as f32).cos()];
    let features = [a(0), b(1), a(2), b(3), a(4), a(5), b(6), a(7)];
    let in_a = |r: usize| [0, 2, 4, 5, 7].contains(&r);
    let view = shared_residual([0.3, 0.7], &features);
    let labels = vec![0u32; features.len()];
    let picks = order("facility_location", &Value::Null, &view, &labels, 8);
    assert!(in_a(picks[0]), "the larger cluster first: {picks:?}");
    assert!(!in_a(picks[1]), "then the other cluster: {picks:?}");
}

#[test]
fn log_determinant_prefers_orthogonal_gradients_over_duplicates() {
    // [1, h]: row 0 (1, 1, 0), row 1 (1, 1.01, 0) a near duplicate, row 2 (1, -1, 0)
    // orthogonal to row 0.
    let features = [[1.0, 0.0], [1.01, 0.0], [-1.0, 0.0]];
    let view = shared_residual([0.3, 0.7], &features);
    let labels = vec![0u32; 3];
    let picks = order("log_determinant", &Value::Null, &view, &labels, 3);
    // All first gains tie (s_xx = 1): row 0; then the orthogonal row, not the duplicate.
    assert_eq!(picks, vec![0, 2, 1]);

    // DeepCore's gain s_xA S_AA^-1 s_Ax (the subtracted term) would take the duplicate.
    let grads = GradientEmbeddings::of("t", &view, &[0, 1, 2], &labels).unwrap();
    let s = |i: usize, j: usize| {
        0.5 + 0.5 * grads.dot(i, j) / (grads.norm_squared(i) * grads.norm_squared(j)).sqrt()
    };
    let deepcore_gain = |x: usize| s(x, 0) * s(x, 0) / s(0, 0);
    assert!(
        deepcore_gain(1) > deepcore_gain(2),
        "DeepCore would pick row 1 second"
    );
}

#[test]
fn graph_cut_lambda_trades_representativeness_for_diversity() {
    // Four near-identical rows (0-3) and two (4, 5) pointing the other way (s ~ 0.1).
    // Second pick: another of 0-3 gains λ·4.2 - 2 - 1, one of 4-5 gains λ·2.4 - 0.2 - 1:
    // the big cluster again when λ > 1, the other cluster when λ < 1.
    let features = [
        [3.0, 0.0],
        [3.02, 0.01],
        [2.98, -0.01],
        [3.01, 0.02],
        [-3.0, 0.0],
        [-3.02, 0.01],
    ];
    let view = shared_residual([0.3, 0.7], &features);
    let labels = vec![0u32; features.len()];
    let large = order("graph_cut", &json!({"lambda": 10.0}), &view, &labels, 2);
    assert!(
        large.iter().all(|&r| r < 4),
        "λ = 10 repeats the big cluster: {large:?}"
    );
    let small = order("graph_cut", &json!({"lambda": 0.5}), &view, &labels, 2);
    assert!(
        small[0] < 4 && small[1] >= 4,
        "λ = 0.5 diversifies: {small:?}"
    );
}

#[test]
fn craig_weights_are_cluster_sizes_summing_to_the_candidates() {
    // Three tight clusters of gradients (shared g, features around three far points):
    // sizes 5, 3, 2, rows interleaved.
    let centre = [[0.0f32, 0.0], [10.0, 0.0], [0.0, 10.0]];
    let cluster_of = [0usize, 1, 0, 2, 0, 1, 0, 2, 1, 0];
    let features: Vec<[f32; 2]> = cluster_of
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let jitter = 0.05 * (i as f32 * 1.7).sin();
            [centre[c][0] + jitter, centre[c][1] - jitter]
        })
        .collect();
    let sizes = [5.0f32, 3.0, 2.0];
    let view = shared_residual([0.3, 0.7], &features);
    let labels = vec![0u32; features.len()];
    let candidates: Vec<usize> = (0..features.len()).collect();
    let out = run(
        "craig",
        &Value::Null,
        &view,
        &labels,
        &candidates,
        &[3, 1, 10],
    );
    let three = &out[0];
    let mut clusters: Vec<usize> = three.indices.iter().map(|&r| cluster_of[r]).collect();
    clusters.sort_unstable();
    assert_eq!(
        clusters,
        vec![0, 1, 2],
        "one per cluster: {:?}",
        three.indices
    );
    let w = three.weights.as_ref().unwrap();
    for (&row, &weight) in three.indices.iter().zip(w) {
        assert_eq!(weight, sizes[cluster_of[row]], "row {row}");
    }
    assert_eq!(out[1].weights.as_ref().unwrap(), &vec![10.0]);
    assert_eq!(out[2].weights.as_ref().unwrap(), &vec![1.0; 10]);
    // The largest cluster's representative comes first.
    assert_eq!(cluster_of[three.indices[0]], 0);
}

/// Rows 0 and 3: gradient a0; row 1: a1 (orthogonal to a0); row 2: 2·a1. The mean
/// gradient is b = (2·a0 + 3·a1)/4 = 0.5·a0 + 0.375·(2·a1).
fn gradmatch_view() -> FixedModelView {
    view_of(
        &[
            vec![0.75, 0.25],
            vec![0.75, 0.25],
            vec![0.5, 0.5],
            vec![0.75, 0.25],
        ],
        &[
            vec![1.0, 0.0],
            vec![-1.0, 0.0],
            vec![-1.0, 0.0],
            vec![1.0, 0.0],
        ],
    )
}

#[test]
fn gradmatch_recovers_a_positive_combination_of_two_gradients() {
    let view = gradmatch_view();
    let labels = [0u32; 4];
    let candidates = [0, 1, 2, 3];
    // A negligible ridge, so the fit is the exact combination.
    let out = run(
        "gradmatch",
        &json!({"lambda": 1e-9}),
        &view,
        &labels,
        &candidates,
        &[2],
    );
    // Largest projection first (2·a1), then a0 (row 0 before its duplicate row 3).
    assert_eq!(out[0].indices, vec![2, 0]);
    let w = out[0].weights.as_ref().unwrap();
    assert!(
        (w[0] - 0.375).abs() < 1e-5 && (w[1] - 0.5).abs() < 1e-5,
        "{w:?}"
    );
    assert!((w[1] / w[0] - 4.0 / 3.0).abs() < 1e-4, "{w:?}");
    // The default ridge shrinks the weights but keeps the picks.
    let out = run("gradmatch", &Value::Null, &view, &labels, &candidates, &[2]);
    assert_eq!(out[0].indices, vec![2, 0]);
}

#[test]
fn gradmatch_returns_exactly_count_rows_even_past_an_exact_fit() {
    // After rows 2 and 0 the residual is zero: the remaining picks add nothing, yet
    // every count still gets that many rows with positive weights.
    let view = gradmatch_view();
    let labels = [0u32; 4];
    for lambda in [1e-9, 1.0] {
        let out = run(
            "gradmatch",
            &json!({ "lambda": lambda }),
            &view,
            &labels,
            &[0, 1, 2, 3],
            &[4, 3, 1],
        );
        for (selection, count) in out.iter().zip([4, 3, 1]) {
            assert_eq!(selection.indices.len(), count);
            let w = selection.weights.as_ref().unwrap();
            assert!(w.iter().all(|v| *v > 0.0 && v.is_finite()), "{w:?}");
        }
        assert_eq!(out[2].indices, vec![2]);
        assert_eq!(out[2].weights.as_ref().unwrap(), &vec![1.0]);
    }
}

#[test]
fn glister_first_pick_maximises_the_dot_with_the_mean_gradient() {
    let n = 60;
    let view = common::random_view(n, 4, 5, 0);
    let labels: Vec<u32> = (0..n as u32).map(|i| (i * 7) % 4).collect();
    let candidates: Vec<usize> = (0..n).collect();
    let grads = GradientEmbeddings::of("t", &view, &candidates, &labels).unwrap();
    let mean = grads.mean();
    let dots: Vec<f64> = (0..n).map(|x| grads.dot_dense(x, &mean)).collect();
    let best = (0..n)
        .max_by(|&a, &b| dots[a].total_cmp(&dots[b]).then(b.cmp(&a)))
        .unwrap();
    for eta in [0.1, 5.0] {
        let picks = order("glister", &json!({ "eta": eta }), &view, &labels, 5);
        assert_eq!(picks[0], best, "eta {eta}");
    }
    // Static gains (DeepCore's run, eta = 0) are the ranking by that dot product.
    let mut ranked: Vec<usize> = (0..n).collect();
    ranked.sort_by(|&a, &b| dots[b].total_cmp(&dots[a]).then(a.cmp(&b)));
    assert_eq!(
        glister_order(&grads, &labels, 0.0, 10),
        ranked[..10].to_vec()
    );
}

#[test]
fn glister_state_update_changes_later_picks() {
    // Rows 0-2: large gradients g = (-0.9, 0.9) with h = (2, 0); rows 3-4: g = (-0.6, 0.6)
    // with h = (0, 2). Static gains rank 0-2 above 3-4. After a step on row 0 with
    // eta = 0.5 the logits of rows 0-2 move by 4.5·eta toward their label, their
    // validation gradient collapses, and rows 3-4 win the second pick.
    let view = view_of(
        &[
            vec![0.1, 0.9],
            vec![0.1, 0.9],
            vec![0.1, 0.9],
            vec![0.4, 0.6],
            vec![0.4, 0.6],
        ],
        &[
            vec![2.0, 0.0],
            vec![2.0, 0.0],
            vec![2.0, 0.0],
            vec![0.0, 2.0],
            vec![0.0, 2.0],
        ],
    );
    let labels = [0u32; 5];
    let grads = GradientEmbeddings::of("t", &view, &[0, 1, 2, 3, 4], &labels).unwrap();
    assert_eq!(glister_order(&grads, &labels, 0.0, 5), vec![0, 1, 2, 3, 4]);
    let updated = order("glister", &json!({"eta": 0.5}), &view, &labels, 5);
    assert_eq!(updated[0], 0);
    assert_eq!(updated[1], 3, "{updated:?}");
    // A vanishing step gives the static order back.
    assert_eq!(
        order("glister", &json!({"eta": 1e-9}), &view, &labels, 5),
        vec![0, 1, 2, 3, 4]
    );
}

#[test]
fn non_finite_model_outputs_do_not_break_any_method() {
    let n = 40;
    let mut view = common::random_view(n, 3, 4, 0);
    let c = view.probabilities.cols;
    let d = view.embeddings.cols;
    view.probabilities.data[5 * c..6 * c].fill(f32::NAN);
    view.embeddings.data[7 * d] = f32::INFINITY;
    let labels: Vec<u32> = (0..n as u32).map(|i| i % 3).collect();
    let candidates: Vec<usize> = (0..n).collect();
    for name in METHODS {
        let out = run(name, &Value::Null, &view, &labels, &candidates, &[10, n]);
        for (selection, count) in out.iter().zip([10, n]) {
            let mut sorted = selection.indices.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), count, "{name}");
            if let Some(w) = &selection.weights {
                assert!(w.iter().all(|v| *v > 0.0 && v.is_finite()), "{name}: {w:?}");
            }
        }
    }
}
