//! TOD on hand-built current and previous outputs: the score is half the squared
//! distance between the two softmax rows; the highest after a trained round, the lowest
//! against the untrained stand-in of the first selection, an error without a previous
//! model.
#![allow(clippy::unwrap_used)]

mod common;

use common::try_select;
use sieve_bench_core::{
    CoreError, FixedModelView, Matrix, ModelView, PreviousOutputs, StrategyError,
};
use sieve_strategies::active::tod::output_discrepancy;
use sieve_strategies::build_strategy;

struct WithPrevious {
    view: FixedModelView,
    previous: Matrix,
    trained: bool,
}

impl ModelView for WithPrevious {
    fn num_classes(&self) -> usize {
        self.view.num_classes()
    }
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        self.view.probabilities(indices)
    }
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        self.view.embeddings(indices)
    }
    fn mc_dropout_probabilities(&self, i: &[usize], s: usize) -> Result<Vec<Matrix>, CoreError> {
        self.view.mc_dropout_probabilities(i, s)
    }
    fn previous_probabilities(&self, indices: &[usize]) -> Result<PreviousOutputs, CoreError> {
        let mut data = Vec::new();
        for &i in indices {
            data.extend_from_slice(self.previous.row(i));
        }
        Ok(PreviousOutputs {
            probabilities: Matrix::new(indices.len(), self.previous.cols, data),
            trained: self.trained,
        })
    }
}

/// Current and previous rows; by hand, ||p − q||²/2:
/// 0: unchanged -> 0; 1: (0.9, 0.1) vs (0.1, 0.9) -> (0.64 + 0.64)/2 = 0.64;
/// 2: (0.6, 0.4) vs (0.5, 0.5) -> (0.01 + 0.01)/2 = 0.01; 3: (0.2, 0.8) vs (0.7, 0.3)
/// -> 0.25.
fn view(trained: bool) -> WithPrevious {
    let current = Matrix::from_rows(&[
        vec![0.5, 0.5],
        vec![0.9, 0.1],
        vec![0.6, 0.4],
        vec![0.2, 0.8],
    ]);
    let previous = Matrix::from_rows(&[
        vec![0.5, 0.5],
        vec![0.1, 0.9],
        vec![0.5, 0.5],
        vec![0.7, 0.3],
    ]);
    WithPrevious {
        view: FixedModelView {
            probabilities: current,
            embeddings: Matrix::new(4, 1, vec![0.0; 4]),
            mc_samples: Vec::new(),
        },
        previous,
        trained,
    }
}

#[test]
fn tod_takes_the_largest_output_change_since_the_previous_round() {
    let v = view(true);
    for (i, expected) in [0.0, 0.64, 0.01, 0.25].iter().enumerate() {
        let d = output_discrepancy(v.view.probabilities.row(i), v.previous.row(i));
        assert!((d - expected).abs() < 1e-6, "{i}: {d}");
    }
    let mut tod = build_strategy("tod", &serde_json::Value::Null).unwrap();
    assert_eq!(
        try_select(tod.as_mut(), &v, &[], &[0, 1, 2, 3], 4, 0).unwrap(),
        vec![1, 3, 2, 0]
    );
    // Against the untrained stand-in of the first selection: the lowest, as the
    // reference takes at its first cycle.
    assert_eq!(
        try_select(tod.as_mut(), &view(false), &[], &[0, 1, 2, 3], 2, 0).unwrap(),
        vec![0, 2]
    );
    // No previous model: the view's error, never a fallback.
    let plain = view(true).view;
    assert!(matches!(
        try_select(tod.as_mut(), &plain, &[], &[0, 1, 2, 3], 2, 0),
        Err(StrategyError::Model(_))
    ));
    assert!(build_strategy("tod", &serde_json::json!({"x": 1})).is_err());
}
