//! `sieve bench epoch`: seconds per training epoch of a model on a data set, the number
//! docs/benchmarks.md records for each backend.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use burn::tensor::backend::AutodiffBackend;
use sieve_bench_core::train::{evaluate, train_model, TrainRequest};
use sieve_bench_core::{ModelKind, ModelSpec, Regularization};
use sieve_datasets::DatasetSource;

use crate::backend::{dispatch, BackendJob, DeviceChoice};

/// Options of `sieve bench epoch`.
pub struct EpochBenchOptions {
    pub source: DatasetSource,
    pub path: Option<PathBuf>,
    pub model: ModelKind,
    pub batch_size: usize,
    pub epochs: usize,
    pub device: DeviceChoice,
    pub seed: u64,
}

/// What the benchmark measured.
#[derive(Debug, serde::Serialize)]
pub struct EpochBenchResult {
    pub device: String,
    pub model: String,
    pub examples: usize,
    pub batch_size: usize,
    pub epoch_seconds: Vec<f64>,
    pub test_accuracy: f64,
}

/// Loads the data, trains `epochs` epochs on the whole train split, reports each epoch.
pub fn bench_epoch(options: EpochBenchOptions) -> anyhow::Result<EpochBenchResult> {
    crate::backend::ensure_compiled_in(options.device).map_err(anyhow::Error::msg)?;
    let data = super::load_bench_data(options.source, options.path.clone(), options.seed, "bench")?;
    let job = EpochJob {
        options: &options,
        data: &data,
    };
    dispatch(options.device, job).map_err(anyhow::Error::msg)?
}

struct EpochJob<'a> {
    options: &'a EpochBenchOptions,
    data: &'a sieve_datasets::DataSplits,
}

impl BackendJob for EpochJob<'_> {
    type Output = anyhow::Result<EpochBenchResult>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let o = self.options;
        let model = ModelSpec::of(o.model);
        let mut reg = Regularization::preset("none").context("preset")?;
        reg.epochs = o.epochs;
        reg.batch_size = o.batch_size;
        let indices: Vec<usize> = (0..self.data.train.len()).collect();
        let mut last = Instant::now();
        let mut epoch_seconds = Vec::new();
        let outcome = train_model::<B>(
            TrainRequest {
                spec: &model,
                regularization: &reg,
                data: &self.data.train,
                indices: &indices,
                classes: self.data.train.num_classes,
                init_seed: o.seed,
                train_seed: o.seed + 1,
                warm_start: None,
                example_weights: None,
                device: &device,
                unlabeled: &[],
                learning_loss: None,
            },
            &mut |epoch, loss| {
                let now = Instant::now();
                let secs = now.duration_since(last).as_secs_f64();
                last = now;
                eprintln!("epoch {}: {secs:.2} s, train loss {loss:.4}", epoch + 1);
                epoch_seconds.push(secs);
            },
        )?;
        let metrics = evaluate(&outcome.model, &self.data.test, 512, &device)?;
        Ok(EpochBenchResult {
            device: o.device.to_string(),
            model: model.name,
            examples: indices.len(),
            batch_size: o.batch_size,
            epoch_seconds,
            test_accuracy: metrics.accuracy,
        })
    }
}
