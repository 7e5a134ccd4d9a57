//! `kcenter`: k-center greedy from scratch (Sener & Savarese 2018; DeepCore's
//! `kCenterGreedy` with no already-selected set): the first centre is random, then
//! repeatedly the candidate farthest from its nearest centre, in the selection model's
//! embedding space (Euclidean). DeepCore scores with an ImageNet-pretrained ResNet-18
//! fine-tuned on the data; sieve uses the sweep's selection model.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    CoresetMethod, CoresetNeeds, CoresetRequest, CoresetSelection, Matrix, SelectionContext,
    StrategyError,
};

use crate::active::farthest_first;

/// k-center greedy coreset.
#[derive(Debug, Default)]
pub struct KCenterCoreset;

impl CoresetMethod for KCenterCoreset {
    fn name(&self) -> &'static str {
        "kcenter"
    }

    fn needs(&self) -> CoresetNeeds {
        CoresetNeeds {
            selection_model: true,
            ..CoresetNeeds::default()
        }
    }

    fn select(
        &mut self,
        request: &CoresetRequest<'_>,
        context: &dyn SelectionContext,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<CoresetSelection>, StrategyError> {
        let emb = context.model()?.embeddings(request.candidates)?;
        let none = Matrix::new(0, emb.cols, Vec::new());
        let order: Vec<usize> = farthest_first(&emb, &none, request.max_count(), rng)
            .into_iter()
            .map(|i| request.candidates[i])
            .collect();
        Ok(CoresetSelection::prefixes(&order, request.counts))
    }
}
