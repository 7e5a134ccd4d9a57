//! PT4AL on a hand-built pool: the pool sorted by pretext loss (highest first) splits
//! into one batch per cycle, selection r reads batch r + 1 and takes its least confident
//! examples by the normalised-logit softmax; small batches are topped up from the next.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    CoreError, LinearHead, Matrix, ModelView, RotationPretext, SelectionRequest, Strategy,
};
use sieve_strategies::active::pt4al::{normalized_confidence, split_batches};
use sieve_strategies::build_strategy;

/// 12 examples; example i has rotation loss 12 − i (so the ranking is 0, 1, ..., 11)
/// and embedding (1, t_i); the head is the identity, so the logits are the embedding
/// and confidence falls as t_i nears 1.
struct PretextView {
    t: Vec<f32>,
    asked: RefCell<Vec<RotationPretext>>,
}

impl PretextView {
    fn new() -> Self {
        let mut t = vec![0.0f32; 12];
        t[4] = 0.1;
        t[5] = 0.8;
        t[6] = 0.9;
        t[7] = 0.2;
        t[9] = 1.0;
        Self {
            t,
            asked: RefCell::new(Vec::new()),
        }
    }
}

impl ModelView for PretextView {
    fn num_classes(&self) -> usize {
        2
    }
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        Ok(Matrix::new(indices.len(), 2, vec![0.5; indices.len() * 2]))
    }
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        let data = indices.iter().flat_map(|&i| [1.0, self.t[i]]).collect();
        Ok(Matrix::new(indices.len(), 2, data))
    }
    fn mc_dropout_probabilities(&self, _: &[usize], _: usize) -> Result<Vec<Matrix>, CoreError> {
        Err(CoreError::invalid("test", "no MC dropout"))
    }
    fn linear_head(&self) -> Result<LinearHead, CoreError> {
        Ok(LinearHead {
            weights: Matrix::new(2, 2, vec![1.0, 0.0, 0.0, 1.0]),
            bias: vec![0.0, 0.0],
        })
    }
    fn rotation_losses(
        &self,
        indices: &[usize],
        pretext: &RotationPretext,
    ) -> Result<Vec<f32>, CoreError> {
        self.asked.borrow_mut().push(pretext.clone());
        Ok(indices.iter().map(|&i| 12.0 - i as f32).collect())
    }
}

fn select(
    strategy: &mut dyn Strategy,
    view: &PretextView,
    labeled: &[usize],
    count: usize,
    round: usize,
    rounds: usize,
) -> Result<Vec<usize>, sieve_bench_core::StrategyError> {
    let unlabeled: Vec<usize> = (0..12).filter(|i| !labeled.contains(i)).collect();
    let request = SelectionRequest {
        labeled,
        unlabeled: &unlabeled,
        count,
        labeled_classes: &[],
        round_seed: 0,
        round,
        rounds,
    };
    strategy.select(&request, view, &mut ChaCha8Rng::seed_from_u64(0))
}

#[test]
fn normalized_confidence_matches_hand_values() {
    // [3, 4] / 5 = [0.6, 0.8]: softmax top = 1 / (1 + e^-0.2).
    let c = normalized_confidence(&[3.0, 4.0]);
    assert!((c - 0.549_833_997).abs() < 1e-8, "{c}");
    // Equal logits: 1 / classes.
    assert!((normalized_confidence(&[2.0, 2.0, 2.0]) - 1.0 / 3.0).abs() < 1e-12);
    // All-zero logits stay finite (torch's eps).
    assert!((normalized_confidence(&[0.0, 0.0]) - 0.5).abs() < 1e-12);
}

#[test]
fn batches_split_evenly_in_order() {
    let members: Vec<usize> = (0..10).collect();
    let parts = split_batches(&members, 3);
    assert_eq!(
        parts,
        vec![&[0, 1, 2][..], &[3, 4, 5][..], &[6, 7, 8, 9][..]]
    );
}

#[test]
fn each_selection_takes_the_least_confident_of_its_batch() {
    let view = PretextView::new();
    let mut s = build_strategy("pt4al", &serde_json::Value::Null).unwrap();
    // 2 selections -> 3 batches of 4 by loss: {0..3}, {4..7}, {8..11}. Selection 0
    // reads batch 1: 6 (t 0.9) then 5 (t 0.8); 9 (t 1.0, the least confident of all)
    // sits in batch 2 and waits for selection 1.
    assert_eq!(
        select(s.as_mut(), &view, &[0, 1], 2, 0, 2).unwrap(),
        vec![6, 5]
    );
    assert_eq!(
        select(s.as_mut(), &view, &[0, 1, 5, 6], 1, 1, 2).unwrap(),
        vec![9]
    );
    // The reference's pretext settings reached the view.
    assert_eq!(view.asked.borrow()[0], RotationPretext::default());
}

#[test]
fn a_short_batch_is_topped_up_from_the_next_then_the_earlier_ones() {
    let view = PretextView::new();
    let mut s = build_strategy("pt4al", &serde_json::Value::Null).unwrap();
    // Batch 1 has only 7 unlabeled: 7, then batch 2's least confident, 9.
    assert_eq!(
        select(s.as_mut(), &view, &[4, 5, 6], 2, 0, 2).unwrap(),
        vec![7, 9]
    );
    // The whole pool from the last batch: batch 2, then batches 0 and 1.
    let all = select(s.as_mut(), &view, &[], 12, 1, 2).unwrap();
    assert_eq!(&all[..4], &[9, 8, 10, 11]);
    let mut sorted = all.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..12).collect::<Vec<_>>());
}

#[test]
fn parameters_take_effect() {
    let view = PretextView::new();
    // Two batches of 6: selection 0 reads {6..11}, whose least confident is 9.
    let mut s = build_strategy(
        "pt4al",
        &serde_json::json!({"batches": 2, "pretext_epochs": 7, "pretext_lr": 0.02, "pretext_batch_size": 32}),
    )
    .unwrap();
    assert_eq!(select(s.as_mut(), &view, &[], 1, 0, 1).unwrap(), vec![9]);
    assert_eq!(
        view.asked.borrow()[0],
        RotationPretext {
            epochs: 7,
            lr: 0.02,
            batch_size: 32
        }
    );
}

#[test]
fn rounds_beyond_the_batches_are_errors() {
    let view = PretextView::new();
    let mut s = build_strategy("pt4al", &serde_json::Value::Null).unwrap();
    // Unknown number of rounds and no `batches`.
    let err = select(s.as_mut(), &view, &[], 1, 0, 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("batches"), "{err}");
    let mut s = build_strategy("pt4al", &serde_json::json!({"batches": 2})).unwrap();
    let err = select(s.as_mut(), &view, &[], 1, 1, 5)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("batch 2") && err.contains("at least 3"),
        "{err}"
    );
    for bad in [
        serde_json::json!({"pretext_epochs": 0}),
        serde_json::json!({"pretext_lr": 0.0}),
        serde_json::json!({"pretext_batch_size": 0}),
    ] {
        assert!(build_strategy("pt4al", &bad).is_err(), "{bad}");
    }
}
