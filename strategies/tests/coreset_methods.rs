//! Coreset methods on cases whose right answer is known by construction, plus the
//! contract every registered method keeps (exact sizes, distinct candidates,
//! determinism, nested answers for ranking methods).
#![allow(clippy::unwrap_used)]

mod common;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    CoresetRequest, CoresetSelection, EarlyScoreValues, FixedContext, FixedModelView, Matrix,
    TrainingDynamics,
};
use sieve_strategies::coreset::{build_coreset_method, coreset_method_infos};

fn view(probabilities: Matrix, embeddings: Matrix) -> FixedModelView {
    FixedModelView {
        probabilities,
        embeddings,
        mc_samples: vec![],
    }
}

fn context<'a>(
    model: Option<&'a FixedModelView>,
    dynamics: Option<&'a TrainingDynamics>,
    deepfool: Option<&'a [f32]>,
    early: Option<&'a EarlyScoreValues>,
) -> FixedContext<'a> {
    FixedContext {
        model: model.map(|m| m as &dyn sieve_bench_core::ModelView),
        dynamics,
        deepfool,
        early_scores: early,
    }
}

fn select(
    name: &str,
    candidates: &[usize],
    counts: &[usize],
    labels: &[u32],
    classes: usize,
    ctx: &FixedContext<'_>,
) -> Vec<CoresetSelection> {
    let mut method = build_coreset_method(name, &serde_json::Value::Null).unwrap();
    let request = CoresetRequest {
        candidates,
        counts,
        labels,
        classes,
    };
    method
        .select(&request, ctx, &mut ChaCha8Rng::seed_from_u64(3))
        .unwrap()
}

fn flat(n: usize, classes: usize) -> Matrix {
    Matrix::new(n, classes, vec![1.0 / classes as f32; n * classes])
}

#[test]
fn uncertainty_methods_keep_the_most_uncertain() {
    // Row 0 confident, row 1 nearly uniform, row 2 two-way tie, row 3 confident.
    let probs = Matrix::from_rows(&[
        vec![0.90, 0.05, 0.05],
        vec![0.34, 0.33, 0.33],
        vec![0.49, 0.49, 0.02],
        vec![0.80, 0.10, 0.10],
    ]);
    let v = view(probs, Matrix::new(4, 1, vec![0.0; 4]));
    let ctx = context(Some(&v), None, None, None);
    let all = [0, 1, 2, 3];
    let labels = [0, 0, 0, 0];
    let lc = select("least_confidence", &all, &[1], &labels, 3, &ctx);
    assert_eq!(lc[0].indices, vec![1], "lowest top probability");
    let en = select("entropy", &all, &[1], &labels, 3, &ctx);
    assert_eq!(en[0].indices, vec![1], "highest entropy");
    let mg = select("margin", &all, &[1], &labels, 3, &ctx);
    assert_eq!(mg[0].indices, vec![2], "smallest top-two gap");
    // The least uncertain is chosen last.
    let lc = select("least_confidence", &all, &[4], &labels, 3, &ctx);
    assert_eq!(*lc[0].indices.last().unwrap(), 0);
}

#[test]
fn forgetting_keeps_never_learned_then_most_forgotten() {
    let dynamics = TrainingDynamics {
        forgetting_events: vec![0, 3, 1, 0, 2],
        ever_learned: vec![true, true, true, false, true],
        presentations: vec![5; 5],
    };
    let ctx = context(None, Some(&dynamics), None, None);
    let all = [0, 1, 2, 3, 4];
    let picks = select("forgetting", &all, &[4], &[0; 5], 2, &ctx);
    assert_eq!(picks[0].indices, vec![3, 1, 4, 2]);
}

#[test]
fn early_scores_keep_the_highest_and_deepfool_the_smallest() {
    let early = EarlyScoreValues {
        el2n: vec![0.1, 0.9, 0.5, 0.3],
        grand: vec![2.0, 1.0, 3.0, 0.5],
    };
    let ctx = context(None, None, None, Some(&early));
    let all = [0, 1, 2, 3];
    assert_eq!(
        select("el2n", &all, &[2], &[0; 4], 2, &ctx)[0].indices,
        vec![1, 2]
    );
    assert_eq!(
        select("grand", &all, &[2], &[0; 4], 2, &ctx)[0].indices,
        vec![2, 0]
    );
    let norms = [0.4f32, 0.1, 0.3, 0.2];
    let ctx = context(None, None, Some(&norms), None);
    assert_eq!(
        select("deepfool", &all, &[2], &[0; 4], 2, &ctx)[0].indices,
        vec![1, 3]
    );
}

#[test]
fn herding_starts_at_the_mean_and_kcenter_covers_every_cluster() {
    // 1-d embeddings: clusters at 0, 10 and 20.
    let emb = Matrix::from_rows(&[
        vec![0.0],
        vec![0.5],
        vec![10.0],
        vec![10.5],
        vec![20.0],
        vec![9.8],
    ]);
    let v = view(flat(6, 2), emb);
    let ctx = context(Some(&v), None, None, None);
    let all = [0, 1, 2, 3, 4, 5];
    let herd = select("herding", &all, &[1], &[0; 6], 2, &ctx);
    // Mean = 8.47: the nearest is 9.8 (row 5).
    assert_eq!(herd[0].indices, vec![5]);
    for seed_case in 0..5u64 {
        let mut method = build_coreset_method("kcenter", &serde_json::Value::Null).unwrap();
        let request = CoresetRequest {
            candidates: &all,
            counts: &[3],
            labels: &[0; 6],
            classes: 2,
        };
        let picks = method
            .select(&request, &ctx, &mut ChaCha8Rng::seed_from_u64(seed_case))
            .unwrap();
        let mut clusters: Vec<u32> = picks[0]
            .indices
            .iter()
            .map(|&r| match r {
                0 | 1 => 0,
                2 | 3 | 5 => 1,
                _ => 2,
            })
            .collect();
        clusters.sort_unstable();
        assert_eq!(clusters, vec![0, 1, 2], "{:?}", picks[0].indices);
    }
}

#[test]
fn contextual_diversity_never_picks_two_identical_predictions_first() {
    let probs = Matrix::from_rows(&[
        vec![0.9, 0.1],
        vec![0.9, 0.1],
        vec![0.1, 0.9],
        vec![0.5, 0.5],
    ]);
    let v = view(probs, Matrix::new(4, 1, vec![0.0; 4]));
    let ctx = context(Some(&v), None, None, None);
    for seed in 0..6u64 {
        let mut method =
            build_coreset_method("contextual_diversity", &serde_json::Value::Null).unwrap();
        let request = CoresetRequest {
            candidates: &[0, 1, 2, 3],
            counts: &[3],
            labels: &[0; 4],
            classes: 2,
        };
        let picks = method
            .select(&request, &ctx, &mut ChaCha8Rng::seed_from_u64(seed))
            .unwrap();
        let both = picks[0].indices.contains(&0) && picks[0].indices.contains(&1);
        assert!(!both, "{:?}", picks[0].indices);
    }
}

#[test]
fn cal_keeps_the_example_that_disagrees_with_its_neighbours() {
    // Two tight clusters; row 2 sits in cluster A but predicts cluster B's class.
    let emb = Matrix::from_rows(&[
        vec![0.0, 0.0],
        vec![0.1, 0.0],
        vec![0.0, 0.1],
        vec![0.1, 0.1],
        vec![5.0, 5.0],
        vec![5.1, 5.0],
        vec![5.0, 5.1],
        vec![5.1, 5.1],
    ]);
    let a = vec![0.95, 0.05];
    let b = vec![0.05, 0.95];
    let probs = Matrix::from_rows(&[
        a.clone(),
        a.clone(),
        b.clone(),
        a.clone(),
        b.clone(),
        b.clone(),
        b.clone(),
        b,
    ]);
    let v = view(probs, emb);
    let ctx = context(Some(&v), None, None, None);
    let mut cal = build_coreset_method("cal", &serde_json::json!({"neighbors": 3})).unwrap();
    let request = CoresetRequest {
        candidates: &[0, 1, 2, 3, 4, 5, 6, 7],
        counts: &[1, 8],
        labels: &[0, 0, 0, 0, 1, 1, 1, 1],
        classes: 2,
    };
    let picks = cal
        .select(&request, &ctx, &mut ChaCha8Rng::seed_from_u64(1))
        .unwrap();
    assert_eq!(
        picks[0].indices,
        vec![2],
        "the highest KL, as the CAL paper keeps"
    );
    // DeepCore's direction (lowest KL) would pick an agreeing example of cluster B first.
    assert_eq!(picks[1].indices[0], 2);
    assert!(picks[1].indices[7] >= 4);
}

#[test]
fn every_coreset_method_answers_each_size_exactly_and_deterministically() {
    let n = 60;
    let (view, _) = {
        let v = common::random_view(n, 4, 6, 0);
        (v, ())
    };
    let dynamics = TrainingDynamics {
        forgetting_events: (0..n as u32).map(|i| i % 4).collect(),
        ever_learned: (0..n).map(|i| i % 7 != 0).collect(),
        presentations: vec![10; n],
    };
    let norms: Vec<f32> = (0..n).map(|i| ((i * 37) % 11) as f32).collect();
    let early = EarlyScoreValues {
        el2n: (0..n).map(|i| ((i * 13) % 7) as f32).collect(),
        grand: (0..n).map(|i| ((i * 17) % 9) as f32).collect(),
    };
    let ctx = context(Some(&view), Some(&dynamics), Some(&norms), Some(&early));
    let labels: Vec<u32> = (0..n as u32).map(|i| i % 4).collect();
    let candidates: Vec<usize> = (0..n).filter(|i| i % 5 != 0).collect();
    let counts = [1, 7, 20, candidates.len()];
    for info in coreset_method_infos() {
        let run = |seed: u64| {
            let mut m = build_coreset_method(info.name, &serde_json::Value::Null).unwrap();
            let request = CoresetRequest {
                candidates: &candidates,
                counts: &counts,
                labels: &labels,
                classes: 4,
            };
            m.select(&request, &ctx, &mut ChaCha8Rng::seed_from_u64(seed))
                .unwrap_or_else(|e| panic!("{}: {e}", info.name))
        };
        let picks = run(5);
        assert_eq!(picks.len(), counts.len(), "{}", info.name);
        for (pick, &count) in picks.iter().zip(&counts) {
            assert_eq!(pick.indices.len(), count, "{}", info.name);
            let mut sorted = pick.indices.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), count, "{}: duplicates", info.name);
            assert!(
                sorted.iter().all(|r| candidates.binary_search(r).is_ok()),
                "{}: outside the candidates",
                info.name
            );
            if let Some(w) = &pick.weights {
                assert_eq!(w.len(), count, "{}", info.name);
                assert!(
                    w.iter().all(|v| v.is_finite() && *v >= 0.0),
                    "{}",
                    info.name
                );
            }
        }
        assert_eq!(picks, run(5), "{}: not deterministic", info.name);
    }
}

#[test]
fn uniform_subsets_are_nested_and_seeded() {
    let flat_view = view(flat(30, 2), Matrix::new(30, 1, vec![0.0; 30]));
    let ctx = context(Some(&flat_view), None, None, None);
    let all: Vec<usize> = (0..30).collect();
    let picks = select("uniform", &all, &[5, 12], &[0; 30], 2, &ctx);
    assert_eq!(picks[0].indices[..], picks[1].indices[..5]);
    assert_ne!(picks[1].indices, (0..12).collect::<Vec<_>>());
}

#[test]
fn unknown_methods_and_parameters_are_refused() {
    let err = build_coreset_method("herdin", &serde_json::Value::Null)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("did you mean `herding`"), "{err}");
    let err = build_coreset_method("cal", &serde_json::json!({"neighbours": 3}))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("unknown parameter `neighbours`"), "{err}");
    assert!(build_coreset_method("uniform", &serde_json::json!({"x": 1})).is_err());
    assert!(build_coreset_method("el2n", &serde_json::json!({"inits": 0})).is_err());
}
