//! PT4AL (Yi, Seo, Park & Choi, "Using Self-Supervised Pretext Tasks for Active
//! Learning", ECCV 2022; reference johnsk95/PT4AL `make_batches.py`, `main.py`): a
//! rotation-prediction network is trained on the whole unlabeled pool once; the pool is
//! sorted by its pretext loss, highest first, and split into one batch per cycle; cycle
//! c labels the examples of batch c whose prediction the task model is least sure of.
//! Hard pretext examples come first, so the labeled set moves from hard to easy while
//! staying inside one loss band per cycle.
//!
//! Confidence, as the reference's `get_plabels2`: the top softmax probability of the
//! L2-normalised logits (`softmax(normalize(f(x)))`), lowest first. The logits come from
//! the trained network's last layer over its embeddings.
//!
//! In sieve the first cycle (the reference takes every fifth image of batch 0) is the
//! budget's initial set, shared by every strategy so that the comparison stays paired;
//! selection `r` (0-based) reads batch `r + 1`. `batches = 0` splits the pool into
//! one batch per cycle (the selections plus the initial set: the reference's 10 batches
//! of 5,000 for 10 cycles). A batch with fewer unlabeled examples than the round asks for
//! is topped up from the next batches, in order, then from the earlier ones.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{ModelView, RotationPretext, SelectionRequest, Strategy, StrategyError};

use crate::params::{at_least, in_range, invalid, ValidateParams};
use crate::ranking::rank;

/// Parameters of `pt4al`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pt4alParams {
    /// Batches the sorted pool is split into; 0 = one per cycle.
    pub batches: usize,
    /// Epochs of rotation training (the reference: 120).
    pub pretext_epochs: usize,
    /// SGD learning rate of the rotation training (the reference: 0.1).
    pub pretext_lr: f64,
    /// Batch size of the rotation training (the reference: 256).
    pub pretext_batch_size: usize,
}

impl Default for Pt4alParams {
    fn default() -> Self {
        let reference = RotationPretext::default();
        Self {
            batches: 0,
            pretext_epochs: reference.epochs,
            pretext_lr: reference.lr,
            pretext_batch_size: reference.batch_size,
        }
    }
}

impl ValidateParams for Pt4alParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "pretext_epochs", self.pretext_epochs, 1)?;
        at_least(strategy, "pretext_batch_size", self.pretext_batch_size, 1)?;
        in_range(strategy, "pretext_lr", self.pretext_lr, (0.0, true), 10.0)
    }
}

impl Pt4alParams {
    /// The rotation training these parameters ask for.
    pub fn pretext(&self) -> RotationPretext {
        RotationPretext {
            epochs: self.pretext_epochs,
            lr: self.pretext_lr,
            batch_size: self.pretext_batch_size,
        }
    }
}

/// Uncertainty inside pretext-loss batches.
#[derive(Debug, Default)]
pub struct Pt4al {
    pub params: Pt4alParams,
}

/// The top probability of `softmax(logits / ||logits||)` (torch's `F.normalize`, eps
/// 1e-12).
pub fn normalized_confidence(logits: &[f64]) -> f64 {
    let norm = logits.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
    let scaled: Vec<f64> = logits.iter().map(|v| v / norm).collect();
    let top = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = scaled.iter().map(|v| (v - top).exp()).sum();
    1.0 / total
}

/// `members` split into `parts` consecutive parts as equal as integer sizes allow.
pub fn split_batches(members: &[usize], parts: usize) -> Vec<&[usize]> {
    let n = members.len();
    (0..parts)
        .map(|b| &members[b * n / parts..(b + 1) * n / parts])
        .collect()
}

impl Strategy for Pt4al {
    fn name(&self) -> &'static str {
        "pt4al"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        self.params.validate(self.name())?;
        let count = request.count.min(request.unlabeled.len());
        if count == 0 {
            return Ok(Vec::new());
        }
        let batches = match (self.params.batches, request.rounds) {
            (0, 0) => {
                return Err(invalid(
                    self.name(),
                    "batches",
                    "the caller does not say how many rounds there are: set `batches`",
                ))
            }
            (0, rounds) => rounds + 1,
            (b, _) => b,
        };
        let batch = request.round + 1;
        if batch >= batches {
            return Err(invalid(
                self.name(),
                "batches",
                format!(
                    "selection {} reads batch {batch}, but the pool is split into {batches}; set at least {}",
                    request.round + 1,
                    batch + 1
                ),
            ));
        }
        // The whole pool (labeled and not), hardest pretext examples first.
        let mut members: Vec<usize> = request
            .labeled
            .iter()
            .chain(request.unlabeled)
            .copied()
            .collect();
        members.sort_unstable();
        let losses: Vec<f64> = model
            .rotation_losses(&members, &self.params.pretext())?
            .into_iter()
            .map(f64::from)
            .collect();
        if losses.len() != members.len() {
            return Err(StrategyError::Request {
                strategy: self.name().into(),
                message: format!(
                    "the model gave {} rotation losses for {} examples",
                    losses.len(),
                    members.len()
                ),
            });
        }
        let ordered = rank(&members, &losses, true);
        let parts = split_batches(&ordered, batches);
        let unlabeled: std::collections::HashSet<usize> =
            request.unlabeled.iter().copied().collect();
        let head = model.linear_head()?;
        let mut picks = Vec::with_capacity(count);
        // The cycle's batch, then the later ones, then the earlier ones (top-up order).
        let order = (batch..batches).chain(0..batch);
        for part in order.map(|b| parts[b]) {
            let candidates: Vec<usize> = part
                .iter()
                .copied()
                .filter(|i| unlabeled.contains(i))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let embeddings = model.embeddings(&candidates)?;
            let confidence: Vec<f64> = (0..candidates.len())
                .map(|r| normalized_confidence(&head.logits(embeddings.row(r))))
                .collect();
            let ranked = rank(&candidates, &confidence, false);
            picks.extend(ranked.into_iter().take(count - picks.len()));
            if picks.len() == count {
                break;
            }
        }
        Ok(picks)
    }
}
