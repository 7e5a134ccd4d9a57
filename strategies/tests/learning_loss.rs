//! LL4AL's selection rule on a stand-in view: the unlabeled examples with the highest
//! predicted loss, ties to the lower index; a view without a loss-prediction module is
//! an error that says so; the arm's parameters become the trainer's settings.
//! (The joint training itself is tested in bench-core's `tests/learning_loss.rs`.)
#![allow(clippy::unwrap_used)]

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sieve_bench_core::{CoreError, LearningLossConfig, Matrix, ModelView, SelectionRequest};
use sieve_strategies::active::joint_training;
use sieve_strategies::build_strategy;

/// Predicted losses chosen by hand: example i of the pool is predicted `LOSSES[i]`.
const LOSSES: [f32; 10] = [0.9, 0.2, 0.7, 0.2, 0.05, 0.6, 0.99, 0.3, 0.7, 0.8];

struct Predicting {
    module: bool,
}

impl ModelView for Predicting {
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
    fn predicted_losses(&self, indices: &[usize]) -> Result<Vec<f32>, CoreError> {
        if !self.module {
            return Err(CoreError::invalid("model", "no module"));
        }
        Ok(indices.iter().map(|&i| LOSSES[i]).collect())
    }
}

fn select(view: &Predicting, labeled: &[usize], count: usize) -> Result<Vec<usize>, String> {
    let unlabeled: Vec<usize> = (0..10).filter(|i| !labeled.contains(i)).collect();
    let mut strategy = build_strategy("learning_loss", &Value::Null).unwrap();
    strategy
        .select(
            &SelectionRequest {
                labeled,
                unlabeled: &unlabeled,
                count,
                labeled_classes: &[],
                round_seed: 0,
                round: 0,
                rounds: 1,
            },
            view,
            &mut ChaCha8Rng::seed_from_u64(1),
        )
        .map_err(|e| e.to_string())
}

#[test]
fn learning_loss_queries_the_highest_predicted_losses() {
    let view = Predicting { module: true };
    // Unlabeled 1..=9 less 6: 0.8 (9), then the tie 0.7 (2 and 8, lower index first).
    assert_eq!(select(&view, &[0, 6], 3).unwrap(), vec![9, 2, 8]);
    assert_eq!(select(&view, &[], 1).unwrap(), vec![6]);
    assert_eq!(select(&view, &[], 0).unwrap(), Vec::<usize>::new());
}

#[test]
fn a_network_trained_without_the_module_is_an_error() {
    let err = select(&Predicting { module: false }, &[0], 2).unwrap_err();
    assert!(err.contains("no module"), "{err}");
}

#[test]
fn the_arms_parameters_become_the_trainers_settings() {
    assert_eq!(joint_training("margin", &Value::Null).unwrap(), None);
    assert_eq!(
        joint_training("learning_loss", &Value::Null).unwrap(),
        Some(LearningLossConfig::default())
    );
    let config = joint_training(
        "learning_loss",
        &json!({"margin": 0.5, "weight": 2.0, "hidden": 16, "detach_after": 1.0, "candidate_pool": 100}),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        config,
        LearningLossConfig {
            margin: 0.5,
            weight: 2.0,
            hidden: 16,
            detach_after: 1.0,
        }
    );
    let err = joint_training("learning_loss", &json!({"marginn": 1.0}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("marginn"), "{err}");
    let err = joint_training("learning_loss", &json!({"detach_after": 2.0}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("detach_after"), "{err}");
}
