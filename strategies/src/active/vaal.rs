//! VAAL (Sinha, Ebrahimi & Darrell, "Variational Adversarial Active Learning", ICCV 2019;
//! reference sinhasam/vaal `sampler.py`): each round a fresh VAE and discriminator are
//! trained adversarially on the labeled and unlabeled images ([`sieve_bench_core::vaal`]);
//! the unlabeled examples the discriminator finds least likely to be labeled are queried
//! (the reference negates the probabilities and takes the top k). Ties go to the lower
//! pool index.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError, VaalConfig};

use crate::params::{at_least, in_range, ValidateParams};
use crate::ranking::top_scored;

/// Parameters of `vaal`: the training settings themselves (the reference's defaults).
pub type VaalParams = VaalConfig;

impl ValidateParams for VaalParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "latent_dim", self.latent_dim, 1)?;
        at_least(strategy, "width", self.width, 1)?;
        at_least(strategy, "epochs", self.epochs, 1)?;
        at_least(strategy, "batch_size", self.batch_size, 1)?;
        at_least(strategy, "vae_steps", self.vae_steps, 1)?;
        at_least(strategy, "adversary_steps", self.adversary_steps, 1)?;
        in_range(strategy, "beta", self.beta, (0.0, false), 1e6)?;
        in_range(
            strategy,
            "adversary_weight",
            self.adversary_weight,
            (0.0, false),
            1e6,
        )?;
        in_range(strategy, "lr", self.lr, (0.0, true), 10.0)
    }
}

/// The least "labeled-looking" examples under a VAE-discriminator game.
#[derive(Debug, Default)]
pub struct Vaal {
    pub params: VaalParams,
}

impl Strategy for Vaal {
    fn name(&self) -> &'static str {
        "vaal"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        ValidateParams::validate(&self.params, self.name())?;
        let count = request.count.min(request.unlabeled.len());
        if count == 0 {
            return Ok(Vec::new());
        }
        if request.labeled.is_empty() {
            return Err(StrategyError::Request {
                strategy: self.name().into(),
                message: "needs a labeled set to train its discriminator against (give the budget an initial set)".into(),
            });
        }
        let seed = rng.random::<u64>();
        let scores = model.vaal_scores(request.labeled, request.unlabeled, &self.params, seed)?;
        top_scored(
            self.name(),
            "VAAL scores",
            request.unlabeled,
            scores,
            count,
            false,
        )
    }
}
