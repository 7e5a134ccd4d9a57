//! Adversarial attacks as a selection signal (DFAL, BIM): the trained network, held on
//! the inner backend for every other view method, is moved to the autodiff backend only
//! for the attack, whose input gradients it frees when done.

use burn::tensor::backend::AutodiffBackend;

use crate::bim::bim_norms;
use crate::deepfool::deepfool_norms;
use crate::learning_loss::predicted_losses;
use crate::vaal::vaal_scores;
use crate::view::{LinearHead, PreviousOutputs};
use crate::{
    CoreError, LossPredictor, Matrix, ModelView, PretextSource, RotationPretext, TrainedModel,
    VaalConfig,
};

/// Which attack, with its settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Attack {
    /// DeepFool (Moosavi-Dezfooli et al. 2016), at most `max_iter` linearisations.
    DeepFool { max_iter: usize },
    /// The basic iterative method: steps of `epsilon · sign(gradient)`, at most
    /// `max_iter` of them.
    Bim { epsilon: f64, max_iter: usize },
}

/// A trained model that also answers [`ModelView::adversarial_norms`]: `B` is the
/// autodiff backend whose inner backend holds the model.
pub struct AttackableModel<'a, B: AutodiffBackend> {
    pub trained: TrainedModel<'a, B::InnerBackend>,
    /// The pool's pretext training (PT4AL), when the protocol offers it.
    pub pretext: Option<&'a dyn PretextSource>,
    /// The loss-prediction module trained with the network (LL4AL), when it was.
    pub loss_predictor: Option<LossPredictor<B::InnerBackend>>,
}

impl<B: AutodiffBackend> ModelView for AttackableModel<'_, B> {
    fn num_classes(&self) -> usize {
        self.trained.num_classes()
    }
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        self.trained.probabilities(indices)
    }
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        self.trained.embeddings(indices)
    }
    fn probabilities_and_embeddings(
        &self,
        indices: &[usize],
    ) -> Result<(Matrix, Matrix), CoreError> {
        self.trained.probabilities_and_embeddings(indices)
    }
    fn mc_dropout_probabilities(
        &self,
        indices: &[usize],
        samples: usize,
    ) -> Result<Vec<Matrix>, CoreError> {
        self.trained.mc_dropout_probabilities(indices, samples)
    }
    fn linear_head(&self) -> Result<LinearHead, CoreError> {
        self.trained.linear_head()
    }
    fn previous_probabilities(&self, indices: &[usize]) -> Result<PreviousOutputs, CoreError> {
        self.trained.previous_probabilities(indices)
    }
    fn rotation_losses(
        &self,
        indices: &[usize],
        pretext: &RotationPretext,
    ) -> Result<Vec<f32>, CoreError> {
        let Some(source) = self.pretext else {
            return Err(CoreError::invalid(
                "model",
                "this protocol offers no pretext training of the pool (rotation losses)",
            ));
        };
        let losses = source.rotation_losses(pretext)?;
        indices
            .iter()
            .map(|&i| {
                losses.get(i).copied().ok_or_else(|| {
                    CoreError::invalid("model", format!("pool index {i} has no rotation loss"))
                })
            })
            .collect()
    }
    fn vaal_scores(
        &self,
        labeled: &[usize],
        unlabeled: &[usize],
        config: &VaalConfig,
        seed: u64,
    ) -> Result<Vec<f32>, CoreError> {
        let t = &self.trained;
        vaal_scores::<B>(
            t.pool,
            labeled,
            unlabeled,
            config,
            seed,
            t.batch_size,
            &t.device,
        )
    }
    fn predicted_losses(&self, indices: &[usize]) -> Result<Vec<f32>, CoreError> {
        let Some(predictor) = &self.loss_predictor else {
            return self.trained.predicted_losses(indices);
        };
        let t = &self.trained;
        predicted_losses(
            &t.model,
            predictor,
            t.pool,
            indices,
            t.batch_size,
            &t.device,
        )
    }
    fn adversarial_norms(&self, indices: &[usize], attack: Attack) -> Result<Vec<f32>, CoreError> {
        let t = &self.trained;
        match attack {
            Attack::DeepFool { max_iter } => {
                deepfool_norms::<B>(&t.model, t.pool, indices, t.batch_size, max_iter, &t.device)
            }
            Attack::Bim { epsilon, max_iter } => bim_norms::<B>(
                &t.model,
                t.pool,
                indices,
                t.batch_size,
                epsilon,
                max_iter,
                &t.device,
            ),
        }
    }
}
