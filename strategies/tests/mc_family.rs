//! The MC-dropout family on hand-built MC samples whose right answer is known.
#![allow(clippy::unwrap_used)]

mod common;

use common::{mc_view, select, try_select};
use sieve_bench_core::{FixedModelView, StrategyError};
use sieve_strategies::active::{
    Bald, McEntropy, McLeastConfidence, McMargin, McParams, MeanStd, VariationRatios,
};
use sieve_strategies::build_strategy;

/// Four MC passes over five examples, three classes:
/// 0: every pass confident in class 0 (no uncertainty of any kind);
/// 1: every pass uniform (aleatoric: high entropy, zero BALD, zero spread);
/// 2: passes confident but disagreeing, 2 votes class 0 / 2 votes class 1 (epistemic);
/// 3: passes mildly disagreeing, 3 votes class 0 / 1 vote class 2;
/// 4: every pass split 0.5 / 0.5 between classes 0 and 1 (smallest mean margin, no spread).
fn view() -> FixedModelView {
    let u = 1.0 / 3.0;
    let pass = |e2: [f32; 3], e3: [f32; 3]| {
        vec![
            vec![1.0, 0.0, 0.0],
            vec![u, u, u],
            e2.to_vec(),
            e3.to_vec(),
            vec![0.5, 0.5, 0.0],
        ]
    };
    mc_view(&[
        pass([1.0, 0.0, 0.0], [0.8, 0.1, 0.1]),
        pass([1.0, 0.0, 0.0], [0.8, 0.1, 0.1]),
        pass([0.0, 1.0, 0.0], [0.8, 0.1, 0.1]),
        pass([0.0, 1.0, 0.0], [0.1, 0.1, 0.8]),
    ])
}

const ALL: [usize; 5] = [0, 1, 2, 3, 4];

#[test]
fn bald_prefers_disagreement_over_ambiguity() {
    // Example 2: H(mean) = ln 2, every pass has H = 0 -> BALD = ln 2 (the largest).
    // Example 1 and 4: every pass alike -> BALD = 0. Example 3 in between.
    let picks = select(&mut Bald::default(), &view(), &[], &ALL, 5);
    assert_eq!(&picks[..2], &[2, 3]);
    // Ties among 0, 1, 4 (all zero) go to the lower pool index.
    assert_eq!(&picks[2..], &[0, 1, 4]);
    let rows: Vec<&[f32]> = vec![&[1.0, 0.0], &[0.0, 1.0]];
    let b = sieve_strategies::active::bald::bald_score(&rows);
    assert!((b - std::f64::consts::LN_2).abs() < 1e-9, "{b}");
}

#[test]
fn mean_probability_scores_follow_the_mean_prediction() {
    let v = view();
    // Means: 0 -> (1,0,0); 1 -> uniform; 2 -> (.5,.5,0); 3 -> (.625,.1,.275); 4 -> (.5,.5,0).
    // Least confidence: 1 (2/3), then 2 and 4 (0.5, lower index first), then 3, then 0.
    assert_eq!(
        select(&mut McLeastConfidence::default(), &v, &[], &ALL, 5),
        vec![1, 2, 4, 3, 0]
    );
    // Margin: 1 and 2 and 4 have margin 0 (ties by index), then 3, then 0.
    assert_eq!(
        select(&mut McMargin::default(), &v, &[], &ALL, 5),
        vec![1, 2, 4, 3, 0]
    );
    // Entropy: uniform (ln 3) first, then 3 (0.90), then 2 and 4 (ln 2 = 0.69), then 0.
    assert_eq!(
        select(&mut McEntropy::default(), &v, &[], &ALL, 5),
        vec![1, 3, 2, 4, 0]
    );
}

#[test]
fn variation_ratios_count_vote_disagreement() {
    // Votes: 0 -> 4/4; 1 -> uniform rows vote class 0 (ties to the lower class) 4/4;
    // 2 -> 2/4 -> 0.5; 3 -> 3/4 -> 0.25; 4 -> 4/4.
    assert_eq!(
        select(&mut VariationRatios::default(), &view(), &[], &ALL, 2),
        vec![2, 3]
    );
}

#[test]
fn mean_std_measures_spread_between_passes() {
    // Example 2: classes 0 and 1 have std 0.5, class 2 has 0 -> 1/3; example 3 smaller.
    let picks = select(&mut MeanStd::default(), &view(), &[], &ALL, 2);
    assert_eq!(picks, vec![2, 3]);
    let rows: Vec<&[f32]> = vec![&[1.0, 0.0], &[0.0, 1.0]];
    let s = sieve_strategies::active::mean_std::mean_std_score(&rows);
    assert!((s - 0.5).abs() < 1e-9, "{s}");
}

#[test]
fn missing_dropout_is_a_model_error_not_a_silent_fallback() {
    let mut v = view();
    v.mc_samples.clear();
    for name in [
        "mc_least_confidence",
        "mc_margin",
        "mc_entropy",
        "bald",
        "variation_ratios",
        "mean_std",
        "batchbald",
    ] {
        let Ok(mut s) = build_strategy(name, &serde_json::Value::Null) else {
            continue;
        };
        let err = try_select(s.as_mut(), &v, &[], &ALL, 2, 1).unwrap_err();
        assert!(matches!(err, StrategyError::Model(_)), "{name}: {err}");
        assert!(err.to_string().contains("dropout"), "{name}: {err}");
    }
}

#[test]
fn samples_parameter_is_validated_and_recorded() {
    let err = build_strategy("bald", &serde_json::json!({"samples": 1}))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("`samples`") && err.contains("at least 2"),
        "{err}"
    );
    let s = build_strategy("mean_std", &serde_json::json!({"samples": 7})).unwrap();
    assert_eq!(s.params_json(), r#"{"samples":7}"#);
    // Constructed directly with a bad value, selection refuses before any work.
    let mut bad = Bald {
        params: McParams { samples: 0 },
    };
    let err = try_select(&mut bad, &view(), &[], &ALL, 1, 1).unwrap_err();
    assert!(
        matches!(err, StrategyError::InvalidParameter { .. }),
        "{err}"
    );
    // The number of passes requested is the number used: a view with 4 passes cycled to
    // 8 gives the same scores.
    let mut p = Bald {
        params: McParams { samples: 8 },
    };
    assert_eq!(select(&mut p, &view(), &[], &ALL, 2), vec![2, 3]);
}

/// Four MC passes, two classes. Pattern A: passes vote 0, 0, 1, 1 (confidently);
/// pattern B: 0, 1, 0, 1. Both have BALD = ln 2, but a label of a B example says
/// nothing about the predictions on A examples: their disagreements are independent.
/// 0: A; 1: B; 2: every pass (0.5, 0.5); 3: A; 4: A flipped (1, 1, 0, 0);
/// 5: A softened, (0.8, 0.2) twice then (0.2, 0.8) twice.
fn epig_view() -> FixedModelView {
    let a = |class: usize| if class == 0 { [1.0, 0.0] } else { [0.0, 1.0] };
    let soft = |class: usize| if class == 0 { [0.8, 0.2] } else { [0.2, 0.8] };
    let passes: Vec<Vec<Vec<f32>>> = [(0, 0), (0, 1), (1, 0), (1, 1)]
        .iter()
        .map(|&(pa, pb)| {
            vec![
                a(pa).to_vec(),
                a(pb).to_vec(),
                vec![0.5, 0.5],
                a(pa).to_vec(),
                a(1 - pa).to_vec(),
                soft(pa).to_vec(),
            ]
        })
        .collect();
    mc_view(&passes)
}

#[test]
fn epig_is_the_information_about_the_targets_predictions() {
    use sieve_strategies::active::epig::epig_scores;
    let view = epig_view();
    let draws: Vec<sieve_bench_core::Matrix> = view.mc_samples.clone();
    // Target: example 0 (pattern A).
    let scores = epig_scores(&draws, &[0]);
    let ln2 = std::f64::consts::LN_2;
    // A against A (or flipped A): the joint is diag(1/2, 1/2) (anti-diagonal when
    // flipped) against independent marginals of 1/4: I = ln 2.
    for i in [0, 3, 4] {
        assert!((scores[i] - ln2).abs() < 1e-9, "{i}: {scores:?}");
    }
    // B against A, and the always-uniform example: the joint equals the product: 0.
    assert!(scores[1].abs() < 1e-9, "{scores:?}");
    assert!(scores[2].abs() < 1e-9, "{scores:?}");
    // Softened A against A: joint [[0.4, 0.1], [0.1, 0.4]], marginals 1/2:
    // 2·0.4·ln 1.6 + 2·0.1·ln 0.4 = 0.192745.
    assert!((scores[5] - 0.192745).abs() < 1e-5, "{scores:?}");
    // Two targets: the mean of the two.
    let both = epig_scores(&draws, &[0, 1]);
    assert!((both[1] - ln2 / 2.0).abs() < 1e-9, "{both:?}");
    assert!((both[0] - ln2 / 2.0).abs() < 1e-9, "{both:?}");
}

#[test]
fn epig_prefers_examples_informative_about_the_pool_where_bald_ties() {
    // Targets = the whole pool (target_samples >= pool). Examples 0, 3, 4 inform three
    // pool examples each (and 5 partly); example 1 only itself; BALD ties 0, 1, 3, 4.
    let view = epig_view();
    let all: Vec<usize> = (0..6).collect();
    let params = serde_json::json!({"samples": 4, "target_samples": 6});
    let mut epig = build_strategy("epig", &params).unwrap();
    let picks = try_select(epig.as_mut(), &view, &[], &all, 3, 0).unwrap();
    assert_eq!(common::sorted(picks), vec![0, 3, 4]);
    let bald = select(&mut Bald::default(), &view, &[], &all, 3);
    assert_eq!(bald, vec![0, 1, 3]);
    // No dropout: the model's error, not a silent fallback.
    let no_mc = FixedModelView {
        mc_samples: Vec::new(),
        ..view
    };
    let mut epig = build_strategy("epig", &serde_json::Value::Null).unwrap();
    assert!(matches!(
        try_select(epig.as_mut(), &no_mc, &[], &all, 1, 0),
        Err(StrategyError::Model(_))
    ));
    for bad in [
        serde_json::json!({"samples": 1}),
        serde_json::json!({"target_samples": 0}),
    ] {
        let err = build_strategy("epig", &bad).err().unwrap().to_string();
        let name = bad.as_object().unwrap().keys().next().unwrap().clone();
        assert!(err.contains(&format!("`{name}`")), "{err}");
    }
}
