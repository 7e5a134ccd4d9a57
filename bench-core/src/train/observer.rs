//! Hooks into training, so a protocol can record what happens to each example (the
//! losses and predictions behind forgetting events, online selection) without a fork
//! of the trainer.

/// What one training step saw, per example, in the forward pass before its update.
pub struct BatchOutputs<'a> {
    /// Epoch of the step (0-based).
    pub epoch: usize,
    /// Optimizer step (0-based, over the whole run).
    pub step: usize,
    /// Rows of the training data in the batch.
    pub rows: &'a [usize],
    /// The labels of those rows.
    pub labels: &'a [u32],
    /// Each example's cross-entropy (against its possibly smoothed target).
    pub losses: &'a [f32],
    /// Softmax probabilities, row-major `rows.len() x classes`.
    pub probabilities: &'a [f32],
    pub classes: usize,
}

impl BatchOutputs<'_> {
    /// Whether example `i` of the batch was classified correctly (argmax = label).
    pub fn correct(&self, i: usize) -> bool {
        let row = &self.probabilities[i * self.classes..(i + 1) * self.classes];
        let predicted = row
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |best, (c, &p)| {
                if p > best.1 {
                    (c, p)
                } else {
                    best
                }
            })
            .0;
        predicted == self.labels[i] as usize
    }
}

/// Sees every training step and epoch. Reading the per-example outputs back costs a
/// device sync per step, so the trainer only does it when `wants_batches` says so.
pub trait TrainObserver {
    /// Whether [`TrainObserver::on_batch`] should be called.
    fn wants_batches(&self) -> bool {
        true
    }
    /// One training step's per-example outputs.
    fn on_batch(&mut self, outputs: &BatchOutputs<'_>);
    /// The end of an epoch, with its mean training loss.
    fn on_epoch(&mut self, _epoch: usize, _loss: f64) {}
    /// Online batch selection: train on this many examples of each (big) batch, chosen
    /// by [`TrainObserver::select`]; `None` trains on every example.
    fn keep_per_batch(&self) -> Option<usize> {
        None
    }
    /// The positions within the batch to train on, from its outputs under the current
    /// weights (evaluation mode: no dropout, no gradient). Called only when
    /// [`TrainObserver::keep_per_batch`] is set; must return distinct positions, at most
    /// that many.
    fn select(&mut self, _outputs: &BatchOutputs<'_>) -> Vec<usize> {
        Vec::new()
    }
    /// Whether [`TrainObserver::select`] reads the losses and probabilities; when not
    /// (a random pick), the trainer skips the forward pass over the big batch and hands
    /// over empty slices.
    fn select_reads_outputs(&self) -> bool {
        true
    }
    /// Continual learning's replay: rows of the training data to append to the batch
    /// whose own rows are `batch_rows` (after any selection). Called once per step,
    /// before the step; the observer may update its buffer with `batch_rows` here.
    fn replay_rows(&mut self, _batch_rows: &[usize]) -> Vec<usize> {
        Vec::new()
    }
    /// Whether the model should be handed to the trainer's `on_model` callback after
    /// `steps_done` optimizer steps (`last`: the final step).
    fn wants_model(&self, _steps_done: usize, _last: bool) -> bool {
        false
    }
}

/// Observes nothing.
pub struct NoObserver;

impl TrainObserver for NoObserver {
    fn wants_batches(&self) -> bool {
        false
    }
    fn on_batch(&mut self, _outputs: &BatchOutputs<'_>) {}
}
