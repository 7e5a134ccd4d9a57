//! No parameter may be accepted and ignored. For every parameter of every registered
//! selection and cold-start strategy, and every field of a `[[budget]]` block, a
//! non-default value changes what the method picks. The parameter lists come from the
//! registries (which `sieve list` prints), and each registry entry is checked against
//! the parameters its strategy actually resolves, so a new parameter fails here until it
//! has a case.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{annotations, random_head_view, try_select_annotated};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sieve_bench_core::BudgetSchedule;
use sieve_strategies::init::{build_init_strategy, init_strategy_infos, Features};
use sieve_strategies::{build_strategy, strategy_infos};

/// A non-default value for each (strategy, parameter).
fn other_value(strategy: &str, param: &str) -> Option<Value> {
    Some(match (strategy, param) {
        ("kcenter", "metric") => json!("cosine"),
        (_, "samples") => json!(3),
        ("batchbald", "max_configurations") => json!(50),
        ("batchbald", "max_candidates") => json!(25),
        ("kmeans", "max_iter") => json!(1),
        ("cluster_margin", "candidate_factor") => json!(2),
        ("cluster_margin", "max_candidates") => json!(30),
        ("cluster_margin", "clusters") => json!(5),
        ("epig", "target_samples") => json!(3),
        (_, "query_classes") => json!([0]),
        ("poal", "preselect_factor") => json!(1),
        ("ceal", "criterion") => json!("margin"),
        ("ceal", "delta") => json!(0.0),
        ("ceal", "decay") => json!(9.99),
        ("poal", "max_iterations") => json!(1),
        ("adversarial_deepfool", "max_iter") => json!(1),
        ("adversarial_bim", "max_iter") => json!(1),
        ("adversarial_bim", "epsilon") => json!(10.0),
        ("similar_flmi", "eta") => json!(20.0),
        ("similar_logdetmi", "eta") => json!(0.1),
        (_, "nu") => json!(0.0),
        ("similar_flcg", "ground") => json!(10),
        ("similar_gccg", "lambda") => json!(0.01),
        ("similar_logdetmi" | "similar_logdetcg", "lambda") => json!(0.001),
        ("dacs", "knn") => json!(2),
        ("dacs", "leaf_size") => json!(22),
        ("dacs", "trees") => json!(1),
        ("dacs", "groups") => json!(5),
        ("dacs", "temperature") => json!(0.001),
        ("pt4al", "batches") => json!(2),
        ("pt4al", "pretext_epochs") => json!(7),
        ("pt4al", "pretext_lr") => json!(0.02),
        ("pt4al", "pretext_batch_size") => json!(64),
        ("vaal", "latent_dim") => json!(8),
        ("vaal", "width") => json!(16),
        ("vaal", "epochs") => json!(3),
        ("vaal", "batch_size") => json!(32),
        ("vaal", "vae_steps") => json!(1),
        ("vaal", "adversary_steps") => json!(3),
        ("vaal", "beta") => json!(0.5),
        ("vaal", "adversary_weight") => json!(0.0),
        ("vaal", "lr") => json!(0.001),
        ("learning_loss", "margin") => json!(0.5),
        ("learning_loss", "weight") => json!(2.0),
        ("learning_loss", "hidden") => json!(16),
        ("learning_loss", "detach_after") => json!(1.0),
        _ => return None,
    })
}

fn json_keys(text: &str) -> BTreeSet<String> {
    let value: Value = serde_json::from_str(text).unwrap();
    value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Parameters every case of a strategy starts from (so that a parameter can show its
/// effect on this view): CEAL pseudo-labels everything at first, so its decay shows.
fn base_params(strategy: &str) -> Value {
    match strategy {
        "ceal" => json!({"delta": 10.0}),
        _ => json!({}),
    }
}

/// Strategies whose parameters are settings of the protocol's training, not of the
/// selection: `learning_loss`'s reach the trainer (its loss-prediction module is trained
/// with the network), where bench-core's `tests/learning_loss.rs` shows each one changing
/// the trained network, and the runner's `learning_loss_arm` test shows them arriving.
const TRAINING_SETTINGS: &[&str] = &["learning_loss"];

#[test]
fn every_strategy_parameter_changes_the_selection() {
    let view = random_head_view(200, 5, 16, 6);
    let labeled: Vec<usize> = (0..200).filter(|i| i % 10 == 3).collect();
    let unlabeled: Vec<usize> = (0..200).filter(|i| i % 10 != 3).collect();
    for info in strategy_infos() {
        let default = build_strategy(info.name, &Value::Null).unwrap();
        let listed: BTreeSet<String> = info.params.iter().map(|p| p.name.to_string()).collect();
        assert_eq!(
            json_keys(&default.params_json()),
            listed,
            "{}: the registry lists other parameters than the strategy resolves",
            info.name
        );
        // Two selections in a row (CEAL's threshold decays between them), each with the
        // pseudo-labels it leaves for the next training: what the protocol uses.
        let outcome = |s: &mut dyn sieve_bench_core::Strategy| {
            (0..2)
                .map(|_| {
                    let picks = try_select_annotated(
                        s,
                        &view,
                        &labeled,
                        &annotations(&labeled),
                        &unlabeled,
                        17,
                        5,
                    )
                    .unwrap();
                    (picks, s.pseudo_labels().to_vec())
                })
                .collect::<Vec<_>>()
        };
        let base = base_params(info.name);
        let mut default = build_strategy(info.name, &base).unwrap();
        let before = outcome(default.as_mut());
        for p in info.params {
            let value = other_value(info.name, p.name)
                .unwrap_or_else(|| panic!("{}.{} needs a case in other_value", info.name, p.name));
            let mut params = base.clone();
            params
                .as_object_mut()
                .unwrap()
                .insert(p.name.to_string(), value.clone());
            let mut changed = build_strategy(info.name, &params)
                .unwrap_or_else(|e| panic!("{}.{} = {value}: {e}", info.name, p.name));
            assert_ne!(
                changed.params_json(),
                default.params_json(),
                "{}.{}",
                info.name,
                p.name
            );
            if TRAINING_SETTINGS.contains(&info.name) {
                continue;
            }
            let after = outcome(changed.as_mut());
            assert_ne!(
                before, after,
                "{}.{} = {value} did not change the selection or the pseudo-labels",
                info.name, p.name
            );
        }
        // An unknown parameter is refused, never dropped.
        if !info.params.is_empty() {
            let err = build_strategy(info.name, &json!({"no_such_param": 1}));
            assert!(err.is_err(), "{} accepted an unknown parameter", info.name);
        }
    }
}

/// Columns of the cold-start features: more than the default 32 PCA components, so the
/// PCA is not a mere rotation of the raw values.
const COLS: usize = 40;

/// 200 rows of `COLS` values in 4 loose clusters.
fn features() -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    (0..200 * COLS)
        .map(|i| ((i / COLS) % 4) as f32 * 2.0 + rng.random::<f32>() * 3.0)
        .collect()
}

fn init_value(strategy: &str, param: &str) -> Value {
    match (strategy, param) {
        (_, "representation") => json!("raw"),
        (_, "pca_dims") => json!(2),
        (_, "max_iter") => json!(1),
        ("typiclust", "knn") => json!(3),
        ("typiclust", "min_cluster_size") => json!(40),
        ("typiclust", "max_clusters") => json!(3),
        ("typiclust", "max_reference") => json!(4),
        _ => panic!("{strategy}.{param} needs a case in init_value"),
    }
}

fn initial(name: &str, params: &Value, data: &[f32]) -> Vec<usize> {
    let labels: Vec<u32> = (0..200).map(|i| i % 4).collect();
    let features = Features::new(data, 200, COLS)
        .unwrap()
        .with_labels(&labels, 4)
        .unwrap();
    build_init_strategy(name, params)
        .unwrap()
        .select_initial(&features, 10, &mut ChaCha8Rng::seed_from_u64(1))
        .unwrap()
}

#[test]
fn every_cold_start_parameter_changes_the_initial_set() {
    let data = features();
    for info in init_strategy_infos() {
        let default = build_init_strategy(info.name, &Value::Null).unwrap();
        let listed: BTreeSet<String> = info.params.iter().map(|p| p.name.to_string()).collect();
        assert_eq!(
            json_keys(&default.params_json()),
            listed,
            "{}: the registry lists other parameters than the strategy resolves",
            info.name
        );
        let before = initial(info.name, &Value::Null, &data);
        for p in info.params {
            // pca_dims only matters under the PCA representation (the default).
            let value = init_value(info.name, p.name);
            let after = initial(info.name, &json!({ p.name: value.clone() }), &data);
            assert_ne!(
                before, after,
                "init {}.{} = {value} did not change the initial set",
                info.name, p.name
            );
        }
        if !info.params.is_empty() {
            assert!(build_init_strategy(info.name, &json!({"no_such_param": 1})).is_err());
        }
    }
}

/// What a budget block decides: its label, the labeled counts, the initial set.
fn budget_fingerprint(block: &Value, data: &[f32]) -> String {
    let budget: BudgetSchedule = serde_json::from_value(block.clone()).unwrap();
    let params = budget.init_params.clone().unwrap_or(Value::Null);
    format!(
        "{} {:?} {:?}",
        budget.label(),
        budget.sizes(),
        initial(budget.init_name(), &params, data)
    )
}

#[test]
fn every_budget_field_changes_the_schedule_or_the_initial_set() {
    let data = features();
    let rounds = json!({"initial": 10, "query": 5, "rounds": 2});
    let last = json!({"initial": 10, "query": 5, "final_budget": 20});
    let kmeans = json!({"initial": 10, "query": 5, "rounds": 2, "init_strategy": "kmeans"});
    let cases: Vec<(&str, Value, Value)> = vec![
        ("name", rounds.clone(), json!("small")),
        ("initial", rounds.clone(), json!(12)),
        ("query", rounds.clone(), json!(6)),
        ("rounds", rounds.clone(), json!(3)),
        ("final_budget", last.clone(), json!(22)),
        ("init_strategy", rounds.clone(), json!("typiclust")),
        ("init_params", kmeans.clone(), json!({"max_iter": 1})),
    ];
    let all: BTreeSet<String> =
        serde_json::to_value(serde_json::from_value::<BudgetSchedule>(rounds.clone()).unwrap())
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
    let covered: BTreeSet<String> = cases.iter().map(|c| c.0.to_string()).collect();
    assert_eq!(covered, all, "every [[budget]] field needs a case here");
    for (field, base, value) in cases {
        let mut changed = base.clone();
        changed
            .as_object_mut()
            .unwrap()
            .insert(field.into(), value.clone());
        assert_ne!(
            budget_fingerprint(&base, &data),
            budget_fingerprint(&changed, &data),
            "budget field `{field}` = {value} changed nothing"
        );
    }
}

/// A non-default value for each (coreset method, parameter).
fn coreset_value(method: &str, param: &str) -> Value {
    match (method, param) {
        ("graph_cut", "lambda") => json!(0.05),
        ("gradmatch", "lambda") => json!(100.0),
        ("glister", "eta") => json!(20.0),
        ("cal", "neighbors") => json!(2),
        (_, "inits") => json!(3),
        (_, "epochs") => json!(7),
        _ => panic!("coreset {method}.{param} needs a case in coreset_value"),
    }
}

#[test]
fn every_coreset_parameter_changes_what_the_method_uses() {
    use sieve_bench_core::{CoresetRequest, EarlyScoreValues, FixedContext, TrainingDynamics};
    use sieve_strategies::coreset::{build_coreset_method, coreset_method_infos};
    let view = common::random_view(80, 5, 8, 0);
    let n = 80;
    let dynamics = TrainingDynamics {
        forgetting_events: (0..n as u32).map(|i| i % 3).collect(),
        ever_learned: vec![true; n],
        presentations: vec![5; n],
    };
    let early = EarlyScoreValues {
        el2n: (0..n).map(|i| ((i * 7) % 13) as f32).collect(),
        grand: (0..n).map(|i| ((i * 5) % 11) as f32).collect(),
    };
    let norms: Vec<f32> = (0..n).map(|i| ((i * 3) % 17) as f32).collect();
    let ctx = FixedContext {
        model: Some(&view),
        dynamics: Some(&dynamics),
        deepfool: Some(&norms),
        early_scores: Some(&early),
    };
    let labels: Vec<u32> = (0..n as u32).map(|i| i % 5).collect();
    let candidates: Vec<usize> = (0..n).collect();
    let request = CoresetRequest {
        candidates: &candidates,
        counts: &[12],
        labels: &labels,
        classes: 5,
    };
    for info in coreset_method_infos() {
        let default = build_coreset_method(info.name, &Value::Null).unwrap();
        let listed: BTreeSet<String> = info.params.iter().map(|p| p.name.to_string()).collect();
        assert_eq!(
            json_keys(&default.params_json()),
            listed,
            "coreset {}: the registry lists other parameters than the method resolves",
            info.name
        );
        let mut default = default;
        let before = default
            .select(&request, &ctx, &mut ChaCha8Rng::seed_from_u64(4))
            .unwrap();
        for p in info.params {
            let value = coreset_value(info.name, p.name);
            let mut changed =
                build_coreset_method(info.name, &json!({ p.name: value.clone() })).unwrap();
            assert_ne!(changed.params_json(), default.params_json());
            // Early-score parameters change what the protocol computes (needs); the
            // others change the selection itself.
            let needs_changed = changed.needs() != default.needs();
            let after = changed
                .select(&request, &ctx, &mut ChaCha8Rng::seed_from_u64(4))
                .unwrap();
            assert!(
                needs_changed || after != before,
                "coreset {}.{} = {value} changed nothing",
                info.name,
                p.name
            );
        }
    }
}
