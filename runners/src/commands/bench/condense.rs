//! `sieve bench condense`: milliseconds per condensation step, timed over `iterations`
//! after one warm-up step. `dm`: one DM iteration (a fresh ConvNet, `batch_real` real
//! images per class and the synthetic set through it, the matching loss, its gradient on
//! the images, the SGD step). `dc`: one gradient-matching step (a fresh ConvNet; per
//! class the real batch's parameter gradients and the synthetic images' differentiable
//! ones, the layer-wise distance, its gradient on the images, the SGD step).
//! `scripts/torch_twin.py dm|dc` does the same computations in PyTorch for the
//! side-by-side rows in docs/benchmarks.md.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use rand::SeedableRng;
use sieve_bench_core::{ModelKind, ModelSpec};
use sieve_datasets::DatasetSource;
use sieve_strategies::condense::{build_condense_method, CondenseRequest};

use crate::backend::{dispatch, BackendJob, DeviceChoice};

/// Options of `sieve bench condense`.
pub struct CondenseBenchOptions {
    /// `dm` or `dc`.
    pub method: String,
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
pub struct CondenseBenchResult {
    pub method: String,
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
pub fn bench_condense(options: CondenseBenchOptions) -> anyhow::Result<CondenseBenchResult> {
    crate::backend::ensure_compiled_in(options.device).map_err(anyhow::Error::msg)?;
    let data = super::load_bench_data(options.source, options.path.clone(), 0, "bench")?;
    dispatch(
        options.device,
        CondenseJob {
            options: &options,
            data: &data,
        },
    )
    .map_err(anyhow::Error::msg)?
}

struct CondenseJob<'a> {
    options: &'a CondenseBenchOptions,
    data: &'a sieve_datasets::DataSplits,
}

impl BackendJob for CondenseJob<'_> {
    type Output = anyhow::Result<CondenseBenchResult>;

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
            let mut params = serde_json::json!({
                "iterations": iterations,
                "batch_real": o.batch_real,
                "dsa": o.dsa,
            });
            if o.method == "dc" {
                // One matching step per iteration, no inner training.
                params["outer_loop"] = 1.into();
                params["inner_loop"] = 1.into();
                params["init"] = "real".into();
            }
            build_condense_method(&o.method, &params).map_err(|e| anyhow::anyhow!("{e}"))
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
        Ok(CondenseBenchResult {
            method: o.method.clone(),
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
