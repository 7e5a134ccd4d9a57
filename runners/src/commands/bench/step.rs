//! `sieve bench step`: where one training step's time goes — building the batch tensor,
//! forward with the loss, backward, the optimizer update — and the inference forward pass
//! that pool scoring runs, in milliseconds per batch on one fixed batch of real data.
//! `scripts/torch_twin.py step` measures the same phases in PyTorch for the side-by-side
//! table in docs/benchmarks.md.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use burn::module::AutodiffModule;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::tensor::backend::AutodiffBackend;
use sieve_bench_core::train::{batch_tensor, read_f32, smoothed_targets, soft_cross_entropy};
use sieve_bench_core::{ModelKind, ModelSpec, Network, ResnetStem};
use sieve_datasets::DatasetSource;

use crate::backend::{dispatch, BackendJob, DeviceChoice};

/// Options of `sieve bench step`.
pub struct StepBenchOptions {
    pub source: DatasetSource,
    pub path: Option<PathBuf>,
    pub model: ModelKind,
    pub resnet_stem: ResnetStem,
    pub batch_size: usize,
    /// Timed steps (after two untimed warm-up steps).
    pub steps: usize,
    pub device: DeviceChoice,
}

/// Mean milliseconds per batch of each phase.
#[derive(Debug, serde::Serialize)]
pub struct StepBenchResult {
    pub device: String,
    pub model: String,
    pub batch_size: usize,
    pub steps: usize,
    pub batch_ms: f64,
    pub forward_ms: f64,
    pub backward_ms: f64,
    pub optimizer_ms: f64,
    /// One training step: the four phases above.
    pub step_ms: f64,
    /// Forward without autodiff (pool scoring, evaluation).
    pub inference_ms: f64,
}

/// Loads the data and times the phases.
pub fn bench_step(options: StepBenchOptions) -> anyhow::Result<StepBenchResult> {
    crate::backend::ensure_compiled_in(options.device).map_err(anyhow::Error::msg)?;
    let data = super::load_bench_data(options.source, options.path.clone(), 0, "bench")?;
    dispatch(
        options.device,
        StepJob {
            options: &options,
            data: &data,
        },
    )
    .map_err(anyhow::Error::msg)?
}

struct StepJob<'a> {
    options: &'a StepBenchOptions,
    data: &'a sieve_datasets::DataSplits,
}

impl BackendJob for StepJob<'_> {
    type Output = anyhow::Result<StepBenchResult>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let o = self.options;
        let train = &self.data.train;
        let mut spec = ModelSpec::of(o.model);
        if o.model == ModelKind::Resnet18 {
            spec.stem = Some(o.resnet_stem);
        }
        B::seed(&device, 0);
        let mut model =
            Network::<B>::init(&spec, train.shape, train.num_classes, &device).context("model")?;
        let mut optim = SgdConfig::new()
            .with_momentum(Some(MomentumConfig::new().with_momentum(0.9)))
            .init();
        let rows: Vec<usize> = (0..o.batch_size.min(train.len())).collect();
        let n = rows.len();
        let (mut buffer, mut labels) = (Vec::new(), Vec::new());
        let mut totals = [0.0f64; 5];
        for step in 0..o.steps + 2 {
            let mut laps = [0.0f64; 5];
            let t = Instant::now();
            train.gather(&rows, &mut buffer, &mut labels);
            let x = batch_tensor::<B>(buffer.clone(), n, train.shape, &device);
            let targets = smoothed_targets::<B>(&labels, train.num_classes, 0.0, &device);
            laps[0] = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let loss = soft_cross_entropy(model.forward(x, 0.0, true), targets);
            // Reading the loss waits for the forward pass to finish.
            read_f32(loss.clone().inner())?;
            laps[1] = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            laps[2] = t.elapsed().as_secs_f64();
            let t = Instant::now();
            model = optim.step(0.01, model, grads);
            laps[3] = t.elapsed().as_secs_f64();
            // The inference copy is made outside the timed pass, as scoring makes it once.
            let inner = model.valid();
            let x = batch_tensor::<B::InnerBackend>(buffer.clone(), n, train.shape, &device);
            let t = Instant::now();
            read_f32(inner.forward(x, 0.0, false))?;
            laps[4] = t.elapsed().as_secs_f64();
            if step >= 2 {
                for (total, lap) in totals.iter_mut().zip(laps) {
                    *total += lap * 1e3;
                }
            }
        }
        let per = |t: f64| t / o.steps.max(1) as f64;
        Ok(StepBenchResult {
            device: o.device.to_string(),
            model: spec.name.clone(),
            batch_size: n,
            steps: o.steps,
            batch_ms: per(totals[0]),
            forward_ms: per(totals[1]),
            backward_ms: per(totals[2]),
            optimizer_ms: per(totals[3]),
            step_ms: per(totals[0] + totals[1] + totals[2] + totals[3]),
            inference_ms: per(totals[4]),
        })
    }
}
