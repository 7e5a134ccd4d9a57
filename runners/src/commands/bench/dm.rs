//! `sieve bench dm`: seconds per DM iteration (a fresh ConvNet, `batch_real` real images
//! per class and the synthetic set through it, the matching loss, its gradient on the
//! images and the SGD step), timed over `iterations` after one warm-up iteration.
//! `scripts/condense_twin.py dm` does the same computation in PyTorch for the
//! side-by-side row in docs/benchmarks.md.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use rand::SeedableRng;
use sieve_bench_core::{ModelKind, ModelSpec};
use sieve_datasets::DatasetSource;
use sieve_strategies::condense::{build_condense_method, CondenseRequest};

use crate::backend::{dispatch, BackendJob, DeviceChoice};

/// Options of `sieve bench dm`.
pub struct DmBenchOptions {
    pub source: DatasetSource,
    pub path: Option<PathBuf>,
    pub ipc: usize,
    pub batch_real: usize,
    pub width: usize,
    /// `none` or a DSA strategy.
    pub dsa: String,
    /// Timed iterations.
    pub iterations: usize,
    pub device: DeviceChoice,
}

/// The measurement.
#[derive(Debug, serde::Serialize)]
pub struct DmBenchResult {
    pub device: String,
    pub ipc: usize,
    pub batch_real: usize,
    pub width: usize,
    pub dsa: String,
    pub iterations: usize,
    /// Mean wall-clock milliseconds per iteration.
    pub iteration_ms: f64,
}

/// Loads the data and times DM iterations.
pub fn bench_dm(options: DmBenchOptions) -> anyhow::Result<DmBenchResult> {
    crate::backend::ensure_compiled_in(options.device).map_err(anyhow::Error::msg)?;
    let data = super::load_bench_data(options.source, options.path.clone(), 0, "bench")?;
    dispatch(
        options.device,
        DmJob {
            options: &options,
            data: &data,
        },
    )
    .map_err(anyhow::Error::msg)?
}

struct DmJob<'a> {
    options: &'a DmBenchOptions,
    data: &'a sieve_datasets::DataSplits,
}

impl BackendJob for DmJob<'_> {
    type Output = anyhow::Result<DmBenchResult>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let o = self.options;
        let spec = ModelSpec {
            width: Some(o.width),
            ..ModelSpec::of(ModelKind::Convnet)
        };
        let train = &self.data.train;
        let request = CondenseRequest::<B> {
            data: train,
            classes: train.num_classes,
            ipc: o.ipc,
            spec: &spec,
            device: &device,
        };
        let method = |iterations: usize| {
            build_condense_method(
                "dm",
                &serde_json::json!({
                    "iterations": iterations,
                    "batch_real": o.batch_real,
                    "dsa": o.dsa,
                }),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        method(1)?
            .condense(&request, &mut rng, &mut |_, _| {})
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let started = Instant::now();
        method(o.iterations)?
            .condense(&request, &mut rng, &mut |_, _| {})
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let ms = started.elapsed().as_secs_f64() * 1000.0 / o.iterations as f64;
        Ok(DmBenchResult {
            device: format!("{:?}", o.device),
            ipc: o.ipc,
            batch_real: o.batch_real,
            width: o.width,
            dsa: o.dsa.clone(),
            iterations: o.iterations,
            iteration_ms: ms,
        })
    }
}
