//! What a trained model exposes to strategies: class probabilities, penultimate
//! embeddings and MC-dropout probability samples over any index set of the pool,
//! computed in batches on the inner backend (no autodiff graph is kept).

use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use sieve_datasets::LabeledSet;

pub use crate::attack::{Attack, AttackableModel};
use crate::model::consistent_masks;
use crate::train::{map_batches, read_f32};
use crate::{CoreError, Matrix, ModelSpec, Network, RotationPretext, VaalConfig};

/// The model as strategies see it. Rows of every matrix follow the order of `indices`.
pub trait ModelView {
    /// Number of classes (columns of the probability matrices).
    fn num_classes(&self) -> usize;
    /// Softmax probabilities, `indices.len() x classes`.
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError>;
    /// Penultimate-layer embeddings, `indices.len() x width`.
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError>;
    /// [`Self::probabilities`] and [`Self::embeddings`] of the same examples, for
    /// strategies that read both (BADGE, POAL, SIMILAR, CAL): a view over a network
    /// answers from one forward pass, where the two calls are two passes over the pool
    /// (on DeepAL+'s Fashion-MNIST protocol the second was half of BADGE's selection).
    fn probabilities_and_embeddings(
        &self,
        indices: &[usize],
    ) -> Result<(Matrix, Matrix), CoreError> {
        Ok((self.probabilities(indices)?, self.embeddings(indices)?))
    }
    /// `samples` probability matrices with dropout forced on (MC dropout).
    fn mc_dropout_probabilities(
        &self,
        indices: &[usize],
        samples: usize,
    ) -> Result<Vec<Matrix>, CoreError>;
    /// The last layer, `logits = W · embedding + b`: for distances to the decision
    /// boundary in feature space (BASE). Views without one say so.
    fn linear_head(&self) -> Result<LinearHead, CoreError> {
        Err(CoreError::invalid(
            "model",
            "this model view exposes no linear head (the last layer's weights)",
        ))
    }
    /// Softmax probabilities of the previous round's model (TOD's cyclic output
    /// discrepancy). Views without one say so.
    fn previous_probabilities(&self, indices: &[usize]) -> Result<PreviousOutputs, CoreError> {
        let _ = indices;
        Err(CoreError::invalid(
            "model",
            "this model view has no previous round's model",
        ))
    }
    /// `||r||²` of an adversarial perturbation that changes each example's prediction
    /// (DFAL, BIM). Needs input gradients, so only views on the autodiff backend
    /// ([`crate::AttackableModel`]) answer; the others say so.
    fn adversarial_norms(&self, indices: &[usize], attack: Attack) -> Result<Vec<f32>, CoreError> {
        let _ = (indices, attack);
        Err(CoreError::invalid(
            "model",
            "this model view has no input gradients (adversarial attacks need the trained network on the autodiff backend)",
        ))
    }
    /// Each example's rotation-prediction loss under a network trained on the whole
    /// pool's rotations (PT4AL's pretext task, [`crate::pretext`]). Only views whose
    /// protocol owns the pool answer; the others say so.
    fn rotation_losses(
        &self,
        indices: &[usize],
        pretext: &RotationPretext,
    ) -> Result<Vec<f32>, CoreError> {
        let _ = (indices, pretext);
        Err(CoreError::invalid(
            "model",
            "this model view has no pretext training of the pool (rotation losses)",
        ))
    }
    /// VAAL: for each of `unlabeled`, the probability a discriminator trained against a
    /// VAE on `labeled` and `unlabeled` images gives to its being labeled
    /// ([`crate::vaal`]). Only views that can train on the pool answer.
    fn vaal_scores(
        &self,
        labeled: &[usize],
        unlabeled: &[usize],
        config: &VaalConfig,
        seed: u64,
    ) -> Result<Vec<f32>, CoreError> {
        let _ = (labeled, unlabeled, config, seed);
        Err(CoreError::invalid(
            "model",
            "this model view cannot train on the pool (VAAL's VAE and discriminator)",
        ))
    }
    /// LL4AL: the loss the loss-prediction module trained with the network predicts for
    /// each of `indices` ([`crate::learning_loss`]). Only a network trained with the
    /// module (`TrainRequest::learning_loss`) answers.
    fn predicted_losses(&self, indices: &[usize]) -> Result<Vec<f32>, CoreError> {
        let _ = indices;
        Err(CoreError::invalid(
            "model",
            "this network was trained without a loss-prediction module (learning_loss)",
        ))
    }
}

/// The linear classification head over the embeddings.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearHead {
    /// `classes x width`: row c is w_c.
    pub weights: Matrix,
    /// One bias per class.
    pub bias: Vec<f32>,
}

impl LinearHead {
    /// Logits of one embedding, accumulated in f64.
    pub fn logits(&self, embedding: &[f32]) -> Vec<f64> {
        self.weights
            .iter_rows()
            .zip(&self.bias)
            .map(|(w, &b)| {
                w.iter()
                    .zip(embedding)
                    .map(|(&a, &x)| f64::from(a) * f64::from(x))
                    .sum::<f64>()
                    + f64::from(b)
            })
            .collect()
    }
}

/// Any view plus a hand-built linear head (tests of head-based strategies).
pub struct WithLinearHead<V> {
    pub view: V,
    pub head: LinearHead,
}

impl<V: ModelView> ModelView for WithLinearHead<V> {
    fn num_classes(&self) -> usize {
        self.view.num_classes()
    }
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        self.view.probabilities(indices)
    }
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        self.view.embeddings(indices)
    }
    fn probabilities_and_embeddings(
        &self,
        indices: &[usize],
    ) -> Result<(Matrix, Matrix), CoreError> {
        self.view.probabilities_and_embeddings(indices)
    }
    fn mc_dropout_probabilities(
        &self,
        indices: &[usize],
        samples: usize,
    ) -> Result<Vec<Matrix>, CoreError> {
        self.view.mc_dropout_probabilities(indices, samples)
    }
    fn linear_head(&self) -> Result<LinearHead, CoreError> {
        Ok(self.head.clone())
    }
    fn previous_probabilities(&self, indices: &[usize]) -> Result<PreviousOutputs, CoreError> {
        self.view.previous_probabilities(indices)
    }
    fn adversarial_norms(&self, indices: &[usize], attack: Attack) -> Result<Vec<f32>, CoreError> {
        self.view.adversarial_norms(indices, attack)
    }
    fn rotation_losses(
        &self,
        indices: &[usize],
        pretext: &RotationPretext,
    ) -> Result<Vec<f32>, CoreError> {
        self.view.rotation_losses(indices, pretext)
    }
    fn vaal_scores(
        &self,
        labeled: &[usize],
        unlabeled: &[usize],
        config: &VaalConfig,
        seed: u64,
    ) -> Result<Vec<f32>, CoreError> {
        self.view.vaal_scores(labeled, unlabeled, config, seed)
    }
    fn predicted_losses(&self, indices: &[usize]) -> Result<Vec<f32>, CoreError> {
        self.view.predicted_losses(indices)
    }
}

/// A trained network over a pool, on the inner backend.
pub struct TrainedModel<'a, B: Backend> {
    pub model: Network<B>,
    pub pool: &'a LabeledSet,
    /// Classes the model predicts.
    pub classes: usize,
    pub device: B::Device,
    pub batch_size: usize,
    /// Dropout probability used for MC dropout.
    pub dropout: f64,
    /// Seed of the MC-dropout masks.
    pub inference_seed: u64,
    /// The previous round's model (TOD), when the protocol keeps one.
    pub previous: Option<PreviousModel<B>>,
}

/// The model a previous-round comparison (TOD) reads.
// One exists per selection, so the size gap between variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum PreviousModel<B: Backend> {
    /// The previous round's trained network.
    Trained(Network<B>),
    /// No round precedes (the first selection): an untrained network of `spec` stands
    /// in, initialised from `seed` only when a strategy asks for it (TOD's reference
    /// compares with its untrained checkpoint model at the first cycle).
    Untrained { spec: ModelSpec, seed: u64 },
}

/// What [`ModelView::previous_probabilities`] returns.
#[derive(Clone, Debug)]
pub struct PreviousOutputs {
    /// Softmax probabilities, `indices.len() x classes`.
    pub probabilities: Matrix,
    /// Whether they come from a trained previous round ([`PreviousModel::Trained`]).
    pub trained: bool,
}

impl<B: Backend> TrainedModel<'_, B> {
    fn batched(
        &self,
        indices: &[usize],
        per_batch: impl FnMut(burn::tensor::Tensor<B, 4>) -> Result<Vec<f32>, CoreError>,
    ) -> Result<Vec<f32>, CoreError> {
        map_batches(self.pool, indices, self.batch_size, &self.device, per_batch)
    }
}

impl<B: Backend> ModelView for TrainedModel<'_, B> {
    fn num_classes(&self) -> usize {
        self.classes
    }

    /// One forward pass: the head reads the embedding it returns.
    fn probabilities_and_embeddings(
        &self,
        indices: &[usize],
    ) -> Result<(Matrix, Matrix), CoreError> {
        let (mut probabilities, mut embeddings, mut width) = (Vec::new(), Vec::new(), 0);
        self.batched(indices, |x| {
            let h = self.model.embed(x, 0.0, false);
            width = h.dims()[1];
            let logits = self.model.head(h.clone(), 0.0, false);
            probabilities.extend(read_f32(softmax(logits, 1))?);
            embeddings.extend(read_f32(h)?);
            Ok(Vec::new())
        })?;
        Ok((
            Matrix::new(indices.len(), self.classes, probabilities),
            Matrix::new(indices.len(), width, embeddings),
        ))
    }

    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        let data = self.batched(indices, |x| {
            read_f32(softmax(self.model.forward(x, 0.0, false), 1))
        })?;
        Ok(Matrix::new(indices.len(), self.num_classes(), data))
    }

    fn previous_probabilities(&self, indices: &[usize]) -> Result<PreviousOutputs, CoreError> {
        let previous = self.previous.as_ref().ok_or_else(|| {
            CoreError::invalid("model", "no previous round's model is kept for this view")
        })?;
        let untrained;
        let (network, trained) = match previous {
            PreviousModel::Trained(network) => (network, true),
            PreviousModel::Untrained { spec, seed } => {
                B::seed(&self.device, *seed);
                untrained = Network::<B>::init(spec, self.pool.shape, self.classes, &self.device)?;
                (&untrained, false)
            }
        };
        let data = self.batched(indices, |x| {
            read_f32(softmax(network.forward(x, 0.0, false), 1))
        })?;
        Ok(PreviousOutputs {
            probabilities: Matrix::new(indices.len(), self.num_classes(), data),
            trained,
        })
    }

    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        let mut width = 0;
        let data = self.batched(indices, |x| {
            let h = self.model.embed(x, 0.0, false);
            width = h.dims()[1];
            read_f32(h)
        })?;
        if indices.is_empty() {
            return Ok(Matrix::new(0, 0, Vec::new()));
        }
        Ok(Matrix::new(indices.len(), width, data))
    }

    fn mc_dropout_probabilities(
        &self,
        indices: &[usize],
        samples: usize,
    ) -> Result<Vec<Matrix>, CoreError> {
        if self.dropout <= 0.0 && !self.model.has_own_dropout() {
            return Err(CoreError::invalid(
                "regularization.dropout",
                "MC dropout needs a dropout probability above 0 in the regularization setting",
            ));
        }
        B::seed(&self.device, self.inference_seed);
        let sites = self.model.dropout_sites(self.dropout);
        (0..samples)
            .map(|_| {
                // One sampled network per pass, shared by every example and batch.
                let masks = consistent_masks::<B>(&sites, &self.device);
                let data = self.batched(indices, |x| {
                    read_f32(softmax(self.model.forward_with_masks(x, &masks), 1))
                })?;
                Ok(Matrix::new(indices.len(), self.num_classes(), data))
            })
            .collect()
    }

    fn linear_head(&self) -> Result<LinearHead, CoreError> {
        let (weights, bias) = self.model.head_parameters();
        let [width, classes] = weights.dims();
        let stored = read_f32(weights)?; // `width x classes`, burn's Linear layout
        let mut transposed = vec![0f32; classes * width];
        for (i, row) in stored.chunks(classes.max(1)).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                transposed[c * width + i] = v;
            }
        }
        let bias = match bias {
            Some(b) => read_f32(b)?,
            None => vec![0.0; classes],
        };
        Ok(LinearHead {
            weights: Matrix::new(classes, width, transposed),
            bias,
        })
    }
}

/// A view over fixed, hand-built outputs (rows indexed by pool index): for testing
/// strategies on cases whose right answer is known by construction.
#[derive(Clone, Debug)]
pub struct FixedModelView {
    pub probabilities: Matrix,
    pub embeddings: Matrix,
    /// MC-dropout samples; empty means MC dropout is unavailable.
    pub mc_samples: Vec<Matrix>,
}

fn pick_rows(m: &Matrix, indices: &[usize]) -> Result<Matrix, CoreError> {
    let mut data = Vec::with_capacity(indices.len() * m.cols);
    for &i in indices {
        if i >= m.rows {
            return Err(CoreError::invalid(
                "indices",
                format!("index {i} is outside the {} rows", m.rows),
            ));
        }
        data.extend_from_slice(m.row(i));
    }
    Ok(Matrix::new(indices.len(), m.cols, data))
}

impl ModelView for FixedModelView {
    fn num_classes(&self) -> usize {
        self.probabilities.cols
    }
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        pick_rows(&self.probabilities, indices)
    }
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        pick_rows(&self.embeddings, indices)
    }
    fn mc_dropout_probabilities(
        &self,
        indices: &[usize],
        samples: usize,
    ) -> Result<Vec<Matrix>, CoreError> {
        if self.mc_samples.is_empty() {
            return Err(CoreError::invalid(
                "regularization.dropout",
                "this view has no MC-dropout samples",
            ));
        }
        self.mc_samples
            .iter()
            .cycle()
            .take(samples)
            .map(|m| pick_rows(m, indices))
            .collect()
    }
}
