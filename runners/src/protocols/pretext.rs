//! The pool's self-supervised pretext training (rotation prediction), shared work of a
//! trial: trained only when a method (PT4AL) or the training mode
//! (`self_supervised_init`) asks, seeded by the trial (never the method), so every
//! method at a repeat gets the same network and losses, and cached in the results folder
//! (`cache/pretext/<key>/`: the network and the losses) for the other methods and for
//! resume.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use burn::tensor::backend::AutodiffBackend;
use sieve_bench_core::pretext::{rotation_losses_of, train_rotation_network, ROTATIONS};
use sieve_bench_core::{
    derive_seed, CoreError, ModelSpec, Network, PretextSource, RotationPretext,
};
use sieve_datasets::LabeledSet;
use sieve_results::write_atomic;

use super::model_bytes::{from_bytes, to_bytes};
use super::TrialContext;

/// Pretext losses of one trial's pool, computed on first request.
pub(crate) struct PretextCache<'a, B: AutodiffBackend> {
    spec: &'a ModelSpec,
    pool: &'a LabeledSet,
    seed: u64,
    inference_batch: usize,
    device: B::Device,
    /// `cache/pretext/<digest of the key>` in the results folder, if there is one.
    folder: Option<PathBuf>,
    key: String,
    note: &'a dyn Fn(&str),
    losses: RefCell<BTreeMap<String, Arc<Vec<f32>>>>,
    networks: RefCell<BTreeMap<String, Network<B::InnerBackend>>>,
}

impl<'a, B: AutodiffBackend> PretextCache<'a, B> {
    pub fn new(ctx: &TrialContext<'a, B>, spec: &'a ModelSpec, pool: &'a LabeledSet) -> Self {
        let k = &ctx.trial.key;
        // The pool and the network: data set, scenario, model, repeat and the trial's
        // seed (which the method never enters).
        let key = format!(
            "{}|{}|{}|r{}|seed{}",
            k.dataset, k.scenario, k.model, k.repeat, ctx.trial.seed
        );
        let folder = ctx.out.map(|out| {
            out.join("cache")
                .join("pretext")
                .join(format!("{:016x}", derive_seed(0, &["pretext", &key])))
        });
        Self {
            spec,
            pool,
            seed: derive_seed(ctx.trial.seed, &["pretext"]),
            inference_batch: ctx.sweep.config.common.inference_batch_size,
            device: ctx.device.clone(),
            folder,
            key,
            note: ctx.note,
            losses: RefCell::new(BTreeMap::new()),
            networks: RefCell::new(BTreeMap::new()),
        }
    }

    fn load(&self, file: &std::path::Path) -> Option<Vec<f32>> {
        let text = std::fs::read_to_string(file).ok()?;
        let values: Vec<f32> = serde_json::from_str(&text).ok()?;
        (values.len() == self.pool.len()).then_some(values)
    }

    fn store(&self, file: &std::path::Path, bytes: &[u8]) -> Result<(), CoreError> {
        let fail = |e: String| CoreError::invalid("pretext cache", e);
        let dir = file.parent().ok_or_else(|| fail("no folder".into()))?;
        std::fs::create_dir_all(dir)
            .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
        write_atomic(&dir.join("key.txt"), self.key.as_bytes()).map_err(|e| fail(e.to_string()))?;
        write_atomic(file, bytes).map_err(|e| fail(e.to_string()))
    }
}

impl<B: AutodiffBackend> PretextCache<'_, B> {
    /// The rotation network of `pretext` (trained now, read from the results folder, or
    /// kept from an earlier call).
    pub fn network(
        &self,
        pretext: &RotationPretext,
    ) -> Result<Network<B::InnerBackend>, CoreError> {
        let name = pretext.key();
        if let Some(network) = self.networks.borrow().get(&name) {
            return Ok(network.clone());
        }
        let fail = |e: String| CoreError::invalid("pretext cache", e);
        let file = self.folder.as_ref().map(|d| d.join(format!("{name}.bin")));
        let cached = file
            .as_deref()
            .and_then(|f| std::fs::read(f).ok())
            .map(|bytes| {
                from_bytes::<B::InnerBackend>(
                    &bytes,
                    self.spec,
                    self.pool.shape,
                    ROTATIONS,
                    &self.device,
                )
            })
            .transpose()
            .map_err(fail)?;
        let network = match cached {
            Some(network) => network,
            None => {
                (self.note)(&format!(
                    "rotation pretext: training on {} x 4 rotated images, {} epochs",
                    self.pool.len(),
                    pretext.epochs
                ));
                let network = train_rotation_network::<B>(
                    self.spec,
                    self.pool,
                    pretext,
                    self.seed,
                    &self.device,
                )?;
                if let Some(file) = &file {
                    let bytes = to_bytes(network.clone()).map_err(fail)?;
                    self.store(file, &bytes)?;
                }
                network
            }
        };
        self.networks.borrow_mut().insert(name, network.clone());
        Ok(network)
    }
}

impl<B: AutodiffBackend> PretextSource for PretextCache<'_, B> {
    fn rotation_losses(&self, pretext: &RotationPretext) -> Result<Arc<Vec<f32>>, CoreError> {
        let name = pretext.key();
        if let Some(losses) = self.losses.borrow().get(&name) {
            return Ok(Arc::clone(losses));
        }
        let file = self.folder.as_ref().map(|d| d.join(format!("{name}.json")));
        let losses = match file.as_deref().and_then(|f| self.load(f)) {
            Some(values) => Arc::new(values),
            None => {
                let network = self.network(pretext)?;
                let losses =
                    rotation_losses_of(&network, self.pool, self.inference_batch, &self.device)?;
                if let Some(file) = &file {
                    let text = serde_json::to_string(&losses)
                        .map_err(|e| CoreError::invalid("pretext cache", e.to_string()))?;
                    self.store(file, text.as_bytes())?;
                }
                Arc::new(losses)
            }
        };
        self.losses.borrow_mut().insert(name, Arc::clone(&losses));
        Ok(losses)
    }
}
