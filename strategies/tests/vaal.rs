//! VAAL's selection rule on a stand-in view: the unlabeled examples with the lowest
//! discriminator probability of being labeled, ties to the lower index; the settings and
//! a seed from the strategy's stream reach the training; a labeled set is required.
//! (The VAE-discriminator training itself is tested in bench-core's `tests/vaal.rs`.)
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use sieve_bench_core::{CoreError, Matrix, ModelView, SelectionRequest, StrategyError, VaalConfig};
use sieve_strategies::build_strategy;

/// Scores chosen by hand: example i of the pool scores `SCORES[i]`.
const SCORES: [f32; 10] = [0.9, 0.2, 0.7, 0.2, 0.05, 0.6, 0.99, 0.3, 0.1, 0.8];

/// What one `vaal_scores` call was given: labeled, unlabeled, settings, seed.
type Asked = (Vec<usize>, Vec<usize>, VaalConfig, u64);

struct ScoredView {
    asked: RefCell<Vec<Asked>>,
}

impl ModelView for ScoredView {
    fn num_classes(&self) -> usize {
        2
    }
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        Ok(Matrix::new(indices.len(), 2, vec![0.5; indices.len() * 2]))
    }
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        Ok(Matrix::new(indices.len(), 1, vec![0.0; indices.len()]))
    }
    fn mc_dropout_probabilities(&self, _: &[usize], _: usize) -> Result<Vec<Matrix>, CoreError> {
        Err(CoreError::invalid("test", "no MC dropout"))
    }
    fn vaal_scores(
        &self,
        labeled: &[usize],
        unlabeled: &[usize],
        config: &VaalConfig,
        seed: u64,
    ) -> Result<Vec<f32>, CoreError> {
        self.asked
            .borrow_mut()
            .push((labeled.to_vec(), unlabeled.to_vec(), config.clone(), seed));
        Ok(unlabeled.iter().map(|&i| SCORES[i]).collect())
    }
}

fn select(
    params: serde_json::Value,
    view: &ScoredView,
    labeled: &[usize],
    count: usize,
    seed: u64,
) -> Result<Vec<usize>, StrategyError> {
    let unlabeled: Vec<usize> = (0..10).filter(|i| !labeled.contains(i)).collect();
    let mut strategy = build_strategy("vaal", &params).unwrap();
    let request = SelectionRequest {
        labeled,
        unlabeled: &unlabeled,
        count,
        labeled_classes: &[],
        round_seed: 0,
        round: 0,
        rounds: 1,
    };
    strategy.select(&request, view, &mut ChaCha8Rng::seed_from_u64(seed))
}

#[test]
fn picks_the_least_labeled_looking_with_ties_to_the_lower_index() {
    let view = ScoredView {
        asked: RefCell::new(Vec::new()),
    };
    // Unlabeled: 1..=9 without 6. Lowest scores: 4 (0.05), 8 (0.1), then 1 and 3 tie at
    // 0.2 (1 first), then 7 (0.3).
    let picks = select(json!({}), &view, &[0, 6], 4, 1).unwrap();
    assert_eq!(picks, vec![4, 8, 1, 3]);
    let asked = view.asked.borrow();
    assert_eq!(asked[0].0, vec![0, 6]);
    assert_eq!(asked[0].1, vec![1, 2, 3, 4, 5, 7, 8, 9]);
    assert_eq!(asked[0].2, VaalConfig::default());
}

#[test]
fn settings_and_the_strategy_stream_reach_the_training() {
    let view = ScoredView {
        asked: RefCell::new(Vec::new()),
    };
    select(
        json!({"width": 16, "epochs": 2, "lr": 0.001}),
        &view,
        &[0],
        2,
        1,
    )
    .unwrap();
    select(json!({}), &view, &[0], 2, 1).unwrap();
    select(json!({}), &view, &[0], 2, 2).unwrap();
    let asked = view.asked.borrow();
    assert_eq!(
        (asked[0].2.width, asked[0].2.epochs, asked[0].2.lr),
        (16, 2, 0.001)
    );
    assert_eq!(asked[1].3, {
        let again = ScoredView {
            asked: RefCell::new(Vec::new()),
        };
        select(json!({}), &again, &[0], 2, 1).unwrap();
        let seed = again.asked.borrow()[0].3;
        seed
    });
    assert_ne!(
        asked[1].3, asked[2].3,
        "another stream, another training seed"
    );
}

#[test]
fn refuses_an_empty_labeled_set_and_bad_settings() {
    let view = ScoredView {
        asked: RefCell::new(Vec::new()),
    };
    let err = select(json!({}), &view, &[], 2, 1).unwrap_err().to_string();
    assert!(err.contains("labeled set"), "{err}");
    for (param, value) in [
        ("width", json!(0)),
        ("lr", json!(0.0)),
        ("beta", json!(-1.0)),
    ] {
        let err = build_strategy("vaal", &json!({ param: value }))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(param), "{param}: {err}");
    }
}
