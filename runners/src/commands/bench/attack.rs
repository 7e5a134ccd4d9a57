//! `sieve bench attack`: seconds per example of the adversarial attacks that score
//! examples (DeepFool for the `deepfool` coreset method and DFAL, BIM for
//! `adversarial_bim`) on a model trained first, so the iteration counts are those of a
//! real selection model. The coreset config's DeepFool pass over 60,000 images is the
//! number this extrapolates to.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use burn::tensor::backend::AutodiffBackend;
use sieve_bench_core::bim::bim_norms;
use sieve_bench_core::deepfool::deepfool_norms;
use sieve_bench_core::train::{evaluate, train_model, TrainRequest};
use sieve_bench_core::{ModelKind, ModelSpec, Regularization};
use sieve_datasets::DatasetSource;

use crate::backend::{dispatch, BackendJob, DeviceChoice};

/// Which attack `sieve bench attack` times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackMethod {
    Deepfool,
    Bim,
}

/// Options of `sieve bench attack`.
pub struct AttackBenchOptions {
    pub method: AttackMethod,
    pub source: DatasetSource,
    pub path: Option<PathBuf>,
    pub model: ModelKind,
    /// Epochs of training on the whole train split before the attack.
    pub train_epochs: usize,
    /// Attacked training rows (the first ones).
    pub examples: usize,
    pub batch_size: usize,
    pub max_iter: usize,
    /// BIM's step.
    pub epsilon: f64,
    pub device: DeviceChoice,
}

/// What the benchmark measured.
#[derive(Debug, serde::Serialize)]
pub struct AttackBenchResult {
    pub device: String,
    pub method: AttackMethod,
    pub model: String,
    pub test_accuracy: f64,
    pub examples: usize,
    pub batch_size: usize,
    pub max_iter: usize,
    pub seconds: f64,
    pub ms_per_example: f64,
    /// Seconds for the whole training split at the measured rate.
    pub train_split_seconds: f64,
    pub train_split_examples: usize,
    pub mean_norm: f64,
}

/// Loads the data, trains the model, times the attack.
pub fn bench_attack(options: AttackBenchOptions) -> anyhow::Result<AttackBenchResult> {
    crate::backend::ensure_compiled_in(options.device).map_err(anyhow::Error::msg)?;
    let data = super::load_bench_data(options.source, options.path.clone(), 0, "bench")?;
    dispatch(
        options.device,
        AttackJob {
            options: &options,
            data: &data,
        },
    )
    .map_err(anyhow::Error::msg)?
}

struct AttackJob<'a> {
    options: &'a AttackBenchOptions,
    data: &'a sieve_datasets::DataSplits,
}

impl BackendJob for AttackJob<'_> {
    type Output = anyhow::Result<AttackBenchResult>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let o = self.options;
        let train = &self.data.train;
        let spec = ModelSpec::of(o.model);
        let mut reg = Regularization::preset("none").context("preset")?;
        reg.epochs = o.train_epochs;
        let all: Vec<usize> = (0..train.len()).collect();
        eprintln!("training {} for {} epochs ...", spec.name, o.train_epochs);
        let trained = train_model::<B>(
            TrainRequest {
                spec: &spec,
                regularization: &reg,
                data: train,
                indices: &all,
                classes: train.num_classes,
                init_seed: 0,
                train_seed: 1,
                warm_start: None,
                example_weights: None,
                device: &device,
                unlabeled: &[],
                learning_loss: None,
            },
            &mut |_, _| {},
        )?;
        let accuracy = evaluate(&trained.model, &self.data.test, 512, &device)?.accuracy;
        let rows: Vec<usize> = (0..o.examples.min(train.len())).collect();
        eprintln!("attacking {} examples ...", rows.len());
        let start = Instant::now();
        let norms = match o.method {
            AttackMethod::Deepfool => deepfool_norms::<B>(
                &trained.model,
                train,
                &rows,
                o.batch_size,
                o.max_iter,
                &device,
            )?,
            AttackMethod::Bim => bim_norms::<B>(
                &trained.model,
                train,
                &rows,
                o.batch_size,
                o.epsilon,
                o.max_iter,
                &device,
            )?,
        };
        let seconds = start.elapsed().as_secs_f64();
        let per_example = seconds / rows.len().max(1) as f64;
        Ok(AttackBenchResult {
            device: o.device.to_string(),
            method: o.method,
            model: spec.name,
            test_accuracy: accuracy,
            examples: rows.len(),
            batch_size: o.batch_size,
            max_iter: o.max_iter,
            seconds,
            ms_per_example: per_example * 1000.0,
            train_split_seconds: per_example * train.len() as f64,
            train_split_examples: train.len(),
            mean_norm: norms.iter().map(|&v| f64::from(v)).sum::<f64>() / norms.len().max(1) as f64,
        })
    }
}
