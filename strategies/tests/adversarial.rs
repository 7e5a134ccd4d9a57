//! The adversarial strategies take the examples with the smallest perturbation norms,
//! pass their settings to the attack, and fail (never fall back) without input
//! gradients. The attacks themselves are tested on a trained network in bench-core.
#![allow(clippy::unwrap_used)]

mod common;

use std::cell::RefCell;

use common::{embedding_view, try_select};
use sieve_bench_core::{Attack, CoreError, FixedModelView, Matrix, ModelView, StrategyError};
use sieve_strategies::build_strategy;

/// Fixed norms by pool index, recording the attacks asked for.
struct FixedNorms {
    view: FixedModelView,
    norms: Vec<f32>,
    asked: RefCell<Vec<Attack>>,
}

impl ModelView for FixedNorms {
    fn num_classes(&self) -> usize {
        self.view.num_classes()
    }
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        self.view.probabilities(indices)
    }
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        self.view.embeddings(indices)
    }
    fn mc_dropout_probabilities(
        &self,
        indices: &[usize],
        samples: usize,
    ) -> Result<Vec<Matrix>, CoreError> {
        self.view.mc_dropout_probabilities(indices, samples)
    }
    fn adversarial_norms(&self, indices: &[usize], attack: Attack) -> Result<Vec<f32>, CoreError> {
        self.asked.borrow_mut().push(attack);
        Ok(indices.iter().map(|&i| self.norms[i]).collect())
    }
}

#[test]
fn the_smallest_perturbations_are_picked_with_the_configured_attack() {
    let view = FixedNorms {
        view: embedding_view(Matrix::new(6, 1, vec![0.0; 6]), 2),
        norms: vec![0.5, 0.1, 0.9, 0.05, f32::NAN, 0.1],
        asked: RefCell::new(Vec::new()),
    };
    let unlabeled = [1, 2, 3, 4, 5];
    let mut deepfool = build_strategy("adversarial_deepfool", &serde_json::Value::Null).unwrap();
    // 3 (0.05), then the tie 1 / 5 (0.1) to the lower index; NaN last.
    let picks = try_select(deepfool.as_mut(), &view, &[0], &unlabeled, 5, 0).unwrap();
    assert_eq!(picks, vec![3, 1, 5, 2, 4]);
    let mut bim = build_strategy(
        "adversarial_bim",
        &serde_json::json!({"epsilon": 0.01, "max_iter": 7}),
    )
    .unwrap();
    let picks = try_select(bim.as_mut(), &view, &[0], &unlabeled, 2, 0).unwrap();
    assert_eq!(picks, vec![3, 1]);
    assert_eq!(
        *view.asked.borrow(),
        vec![
            Attack::DeepFool { max_iter: 50 },
            Attack::Bim {
                epsilon: 0.01,
                max_iter: 7
            }
        ]
    );
}

#[test]
fn without_input_gradients_the_model_error_is_returned() {
    let view = embedding_view(Matrix::new(4, 1, vec![0.0; 4]), 2);
    for name in ["adversarial_deepfool", "adversarial_bim"] {
        let mut s = build_strategy(name, &serde_json::Value::Null).unwrap();
        let err = try_select(s.as_mut(), &view, &[], &[0, 1, 2, 3], 2, 0);
        assert!(matches!(err, Err(StrategyError::Model(_))), "{name}");
    }
    for (name, bad) in [
        ("adversarial_deepfool", serde_json::json!({"max_iter": 0})),
        ("adversarial_bim", serde_json::json!({"epsilon": 0.0})),
        ("adversarial_bim", serde_json::json!({"max_iter": 0})),
    ] {
        let err = build_strategy(name, &bad).err().unwrap().to_string();
        let param = bad.as_object().unwrap().keys().next().unwrap().clone();
        assert!(err.contains(&format!("`{param}`")), "{err}");
    }
}
