//! Test-set metrics: accuracy, balanced accuracy (mean per-class recall) and mean
//! cross-entropy, computed on the inner backend with no autodiff graph.

use burn::tensor::{activation::softmax, backend::Backend};
use serde::{Deserialize, Serialize};
use sieve_datasets::LabeledSet;

use super::{map_batches, read_f32};
use crate::{CoreError, Matrix, Network};

/// What one evaluation reports.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalMetrics {
    pub accuracy: f64,
    pub balanced_accuracy: f64,
    pub loss: f64,
}

/// Evaluates `model` on every example of `data`, `batch_size` at a time.
pub fn evaluate<B: Backend>(
    model: &Network<B>,
    data: &LabeledSet,
    batch_size: usize,
    device: &B::Device,
) -> Result<EvalMetrics, CoreError> {
    let all: Vec<usize> = (0..data.len()).collect();
    let probs = predict_probabilities(model, data, &all, batch_size, device)?;
    Ok(metrics_from_probabilities(
        &probs,
        &data.labels,
        data.num_classes,
    ))
}

/// Class probabilities of the rows `indices` of `data`.
pub fn predict_probabilities<B: Backend>(
    model: &Network<B>,
    data: &LabeledSet,
    indices: &[usize],
    batch_size: usize,
    device: &B::Device,
) -> Result<Matrix, CoreError> {
    let out = map_batches(data, indices, batch_size, device, |x| {
        read_f32(softmax(model.forward(x, 0.0, false), 1))
    })?;
    Ok(Matrix::new(indices.len(), data.num_classes, out))
}

/// Accuracy, balanced accuracy and mean cross-entropy from probabilities and labels.
/// Balanced accuracy averages recall over the classes present in `labels`.
pub fn metrics_from_probabilities(probs: &Matrix, labels: &[u32], classes: usize) -> EvalMetrics {
    let mut correct = 0usize;
    let mut per_class_total = vec![0usize; classes];
    let mut per_class_correct = vec![0usize; classes];
    let mut loss = 0.0f64;
    for (row, &label) in probs.iter_rows().zip(labels) {
        let label = label as usize;
        let predicted = argmax(row);
        per_class_total[label] += 1;
        if predicted == label {
            correct += 1;
            per_class_correct[label] += 1;
        }
        loss -= f64::from(row[label].max(1e-12)).ln();
    }
    let n = labels.len().max(1) as f64;
    let present: Vec<usize> = (0..classes).filter(|&c| per_class_total[c] > 0).collect();
    let balanced = present
        .iter()
        .map(|&c| per_class_correct[c] as f64 / per_class_total[c] as f64)
        .sum::<f64>()
        / present.len().max(1) as f64;
    EvalMetrics {
        accuracy: correct as f64 / n,
        balanced_accuracy: balanced,
        loss: loss / n,
    }
}

/// Index of the largest value (first on ties).
pub(crate) fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_a_hand_computed_case() {
        // Labels 0,0,0,1: predictions 0,0,1,1 -> accuracy 3/4; recalls 2/3 and 1/1 -> 5/6.
        let probs = Matrix::from_rows(&[
            vec![0.9, 0.1],
            vec![0.6, 0.4],
            vec![0.3, 0.7],
            vec![0.2, 0.8],
        ]);
        let m = metrics_from_probabilities(&probs, &[0, 0, 0, 1], 2);
        assert!((m.accuracy - 0.75).abs() < 1e-12);
        assert!((m.balanced_accuracy - 5.0 / 6.0).abs() < 1e-12);
        let expected_loss = -(0.9f64.ln() + 0.6f64.ln() + 0.3f64.ln() + 0.8f64.ln()) / 4.0;
        assert!((m.loss - expected_loss).abs() < 1e-6);
    }
}
