//! VAAL (Sinha, Ebrahimi & Darrell, "Variational Adversarial Active Learning", ICCV 2019;
//! reference sinhasam/vaal `sampler.py`): each round a fresh VAE and discriminator are
//! trained adversarially on the labeled and unlabeled images ([`sieve_bench_core::vaal`]);
//! the unlabeled examples the discriminator finds least likely to be labeled are queried
//! (the reference negates the probabilities and takes the top k). Ties go to the lower
//! pool index.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError, VaalConfig};

use crate::params::{at_least, in_range, ValidateParams};
use crate::ranking::rank;

/// Parameters of `vaal` (the reference's defaults; see [`VaalConfig`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VaalParams {
    pub latent_dim: usize,
    pub width: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub vae_steps: usize,
    pub adversary_steps: usize,
    pub beta: f64,
    pub adversary_weight: f64,
    pub lr: f64,
}

impl Default for VaalParams {
    fn default() -> Self {
        let c = VaalConfig::default();
        Self {
            latent_dim: c.latent_dim,
            width: c.width,
            epochs: c.epochs,
            batch_size: c.batch_size,
            vae_steps: c.vae_steps,
            adversary_steps: c.adversary_steps,
            beta: c.beta,
            adversary_weight: c.adversary_weight,
            lr: c.lr,
        }
    }
}

impl VaalParams {
    /// The training these parameters ask for.
    pub fn config(&self) -> VaalConfig {
        VaalConfig {
            latent_dim: self.latent_dim,
            width: self.width,
            epochs: self.epochs,
            batch_size: self.batch_size,
            vae_steps: self.vae_steps,
            adversary_steps: self.adversary_steps,
            beta: self.beta,
            adversary_weight: self.adversary_weight,
            lr: self.lr,
        }
    }
}

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
        self.params.validate(self.name())?;
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
        let scores: Vec<f64> = model
            .vaal_scores(
                request.labeled,
                request.unlabeled,
                &self.params.config(),
                seed,
            )?
            .into_iter()
            .map(f64::from)
            .collect();
        if scores.len() != request.unlabeled.len() {
            return Err(StrategyError::Request {
                strategy: self.name().into(),
                message: format!(
                    "the model gave {} VAAL scores for {} unlabeled examples",
                    scores.len(),
                    request.unlabeled.len()
                ),
            });
        }
        let mut picked = rank(request.unlabeled, &scores, false);
        picked.truncate(count);
        Ok(picked)
    }
}
