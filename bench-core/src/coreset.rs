//! The coreset-selection trait: pick a subset (optionally weighted) of the training set
//! once, before a fresh model is trained on it. Methods see plain matrices and
//! per-example statistics — never tensors or files — through a [`SelectionContext`].

use rand_chacha::ChaCha8Rng;

use crate::{CoreError, ModelView, StrategyError};

/// One selection: which rows may be picked and the subset sizes of the trial's curve.
pub struct CoresetRequest<'a> {
    /// The rows to choose from, ascending: the whole training set, or one class when the
    /// protocol balances classes.
    pub candidates: &'a [usize],
    /// The subset sizes wanted (one selection each, in this order; each at most
    /// `candidates.len()`). Greedy and ranking methods compute their order once for the
    /// largest and answer every size with a prefix.
    pub counts: &'a [usize],
    /// The label of every row of the training set.
    pub labels: &'a [u32],
    /// Number of classes.
    pub classes: usize,
}

impl CoresetRequest<'_> {
    /// The largest size asked for.
    pub fn max_count(&self) -> usize {
        self.counts.iter().copied().max().unwrap_or(0)
    }
}

/// What a method picked: rows, and for weighted methods (CRAIG, GradMatch) one
/// non-negative weight per row, used as `sum(w·CE)/sum(w)` in training.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CoresetSelection {
    pub indices: Vec<usize>,
    pub weights: Option<Vec<f32>>,
}

impl CoresetSelection {
    /// An unweighted selection.
    pub fn of(indices: Vec<usize>) -> Self {
        Self {
            indices,
            weights: None,
        }
    }

    /// One unweighted selection per count: the first `count` rows of `order` (a
    /// ranking, best first), for methods whose selections are nested.
    pub fn prefixes(order: &[usize], counts: &[usize]) -> Vec<Self> {
        counts
            .iter()
            .map(|&k| Self::of(order[..k.min(order.len())].to_vec()))
            .collect()
    }
}

/// Per-example statistics of the selection model's training, one entry per row.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainingDynamics {
    /// Forgetting events: presentations where a previously correct example became
    /// incorrect (Toneva et al. 2019).
    pub forgetting_events: Vec<u32>,
    /// Whether the example was ever classified correctly at a presentation.
    pub ever_learned: Vec<bool>,
    /// Presentations counted.
    pub presentations: Vec<u32>,
}

/// What a method needs computed before it can select; the protocol computes only that.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoresetNeeds {
    /// The selection model's probabilities and embeddings over the training set.
    pub selection_model: bool,
    /// [`TrainingDynamics`] recorded while the selection model trained.
    pub dynamics: bool,
    /// DeepFool perturbation norms (input gradients of the selection model).
    pub deepfool: bool,
    /// EL2N / GraNd scores from several short trainings (`inits` models trained
    /// `epochs` epochs each).
    pub early_scores: Option<EarlyScores>,
}

/// Which early-training scores a method asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EarlyScores {
    /// Independent initialisations to average over.
    pub inits: usize,
    /// Epochs each is trained before scoring (0: at initialisation).
    pub epochs: usize,
}

/// Per-row scores averaged over the early-training models.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EarlyScoreValues {
    /// Error L2 norm `||softmax - onehot||₂` (Paul et al. 2021).
    pub el2n: Vec<f32>,
    /// Norm of the loss gradient with respect to the last layer's weights and bias.
    pub grand: Vec<f32>,
}

/// What the protocol provides to a method. An accessor the method did not declare in
/// [`CoresetNeeds`] returns an error naming it.
pub trait SelectionContext {
    /// The selection model's outputs over the training set (rows = training rows).
    fn model(&self) -> Result<&dyn ModelView, CoreError>;
    /// The selection model's training dynamics.
    fn dynamics(&self) -> Result<&TrainingDynamics, CoreError>;
    /// DeepFool perturbation norms of the training rows (one per row of the set).
    fn deepfool(&self) -> Result<&[f32], CoreError>;
    /// Early-training scores.
    fn early_scores(&self) -> Result<&EarlyScoreValues, CoreError>;
}

/// A coreset-selection method.
pub trait CoresetMethod: Send {
    /// Registry name, as written in configs and records.
    fn name(&self) -> &'static str;
    /// The parameters as compact JSON (recorded in `method_params`).
    fn params_json(&self) -> String {
        "{}".to_string()
    }
    /// What must be computed before [`CoresetMethod::select`].
    fn needs(&self) -> CoresetNeeds {
        CoresetNeeds::default()
    }
    /// For each of `request.counts`, exactly that many distinct rows of
    /// `request.candidates` (one selection per count, in order).
    fn select(
        &mut self,
        request: &CoresetRequest<'_>,
        context: &dyn SelectionContext,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<CoresetSelection>, StrategyError>;
}

/// A context with fixed contents, for tests and for the protocol once everything is
/// computed: `None` fields are "not computed".
pub struct FixedContext<'a> {
    pub model: Option<&'a dyn ModelView>,
    pub dynamics: Option<&'a TrainingDynamics>,
    pub deepfool: Option<&'a [f32]>,
    pub early_scores: Option<&'a EarlyScoreValues>,
}

fn missing(what: &str) -> CoreError {
    CoreError::invalid(
        "coreset method",
        format!("{what} was not computed: the method must declare it in needs()"),
    )
}

impl SelectionContext for FixedContext<'_> {
    fn model(&self) -> Result<&dyn ModelView, CoreError> {
        self.model.ok_or_else(|| missing("the selection model"))
    }
    fn dynamics(&self) -> Result<&TrainingDynamics, CoreError> {
        self.dynamics.ok_or_else(|| missing("training dynamics"))
    }
    fn deepfool(&self) -> Result<&[f32], CoreError> {
        self.deepfool.ok_or_else(|| missing("DeepFool"))
    }
    fn early_scores(&self) -> Result<&EarlyScoreValues, CoreError> {
        self.early_scores
            .ok_or_else(|| missing("early-training scores"))
    }
}
