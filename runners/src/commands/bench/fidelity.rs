//! `sieve bench fidelity`: does sieve train its built-in models as PyTorch does?
//!
//! Each run trains one model from scratch on a random labeled subset (sizes such as 20,
//! 100 and 1,000) in sieve, and the same subset in a PyTorch twin
//! (`scripts/torch_twin.py fidelity`: the same architecture, initialisation bounds,
//! optimizer, batch, step count and normalised tensors, which sieve exports as `.npy`).
//! Runs are paired by subset, so the table reports, per model, optimizer and size, the
//! mean test accuracy of each and the interval of the paired difference: an interval
//! that excludes zero is a fidelity defect to explain or fix.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use burn::tensor::backend::AutodiffBackend;
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::regularization::LrSchedule;
use sieve_bench_core::train::{evaluate, train_model, TrainRequest};
use sieve_bench_core::{
    derive_seed, ModelKind, ModelSpec, OptimizerKind, Regularization, ResnetStem,
};
use sieve_datasets::{
    stratified_subsample_indices, Augmentation, DataSplits, DatasetSource, LabeledSet,
};
use sieve_results::{estimate, paired_difference, write_atomic};

use crate::backend::{dispatch, BackendJob, DeviceChoice};
use crate::npy;

/// Options of `sieve bench fidelity`.
#[derive(Clone, Debug)]
pub struct FidelityOptions {
    pub source: DatasetSource,
    pub path: Option<PathBuf>,
    pub models: Vec<ModelKind>,
    pub optimizers: Vec<OptimizerKind>,
    /// Labeled-set sizes.
    pub sizes: Vec<usize>,
    /// Repeats (subsets) per size, ≥ 2 for an interval.
    pub seeds: u32,
    pub epochs: usize,
    pub min_steps: usize,
    pub batch_size: usize,
    /// Stratified test subsample (the whole test split when `None`).
    pub test_size: Option<usize>,
    /// Where the protocol, tensors and results go.
    pub out: PathBuf,
    /// The twin script; without it only sieve's side runs.
    pub twin: Option<PathBuf>,
    /// The Python interpreter that has torch and numpy.
    pub python: String,
    /// Threads for both sides (sieve's rayon pool is set by `RAYON_NUM_THREADS`).
    pub threads: usize,
    pub device: DeviceChoice,
    pub seed: u64,
    /// `resnet18`'s stem on both sides.
    pub resnet_stem: ResnetStem,
}

impl FidelityOptions {
    /// Checks the options before any data is loaded.
    pub fn validate(&self) -> Result<(), String> {
        if self.models.is_empty() || self.optimizers.is_empty() || self.sizes.is_empty() {
            return Err("--models, --optimizers and --sizes each need at least one value".into());
        }
        if self.sizes.contains(&0) {
            return Err("--sizes: every size must be at least 1".into());
        }
        if self.seeds < 2 {
            return Err("--seeds must be at least 2 (an interval needs two pairs)".into());
        }
        if self.epochs == 0 || self.batch_size == 0 || self.threads == 0 {
            return Err("--epochs, --batch-size and --threads must be at least 1".into());
        }
        if self.test_size == Some(0) {
            return Err("--test-size must be at least 1".into());
        }
        Ok(())
    }
}

/// The learning rate each optimizer gets (the usual defaults for these models).
pub fn default_lr(optimizer: OptimizerKind) -> f64 {
    match optimizer {
        OptimizerKind::Sgd => 0.01,
        OptimizerKind::Adam | OptimizerKind::Adamw => 0.001,
    }
}

/// One training run, as both sides read it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunSpec {
    pub id: String,
    pub model: ModelKind,
    pub optimizer: OptimizerKind,
    pub lr: f64,
    pub momentum: f64,
    pub size: usize,
    pub seed: u32,
    /// Rows of `train_x.npy` to train on.
    pub rows: Vec<usize>,
    pub steps: usize,
    pub epochs: usize,
}

fn default_stem() -> ResnetStem {
    ResnetStem::Cifar
}

/// What `protocol.json` holds for the twin.
#[derive(Debug, Serialize, Deserialize)]
pub struct Protocol {
    pub description: String,
    pub classes: usize,
    /// `[channels, height, width]`.
    pub shape: [usize; 3],
    pub batch_size: usize,
    pub epochs: usize,
    pub min_steps: usize,
    pub threads: usize,
    pub mlp_hidden: Vec<usize>,
    pub convnet_width: usize,
    pub convnet_depth: usize,
    /// `gal_cnn`'s dropout rates (after the convolutions, after the dense layer).
    #[serde(default)]
    pub gal_dropout: Vec<f64>,
    /// `resnet18`'s stem: `cifar` or `imagenet`.
    #[serde(default = "default_stem")]
    pub resnet_stem: ResnetStem,
    pub adam_epsilon: f64,
    pub runs: Vec<RunSpec>,
}

/// One side's result of one run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    pub id: String,
    pub accuracy: f64,
    pub steps: usize,
    pub epochs: usize,
    pub seconds: f64,
}

/// A side's results file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SideResults {
    pub side: String,
    pub runs: Vec<RunResult>,
}

/// One row of the comparison table.
#[derive(Debug, Serialize)]
pub struct FidelityRow {
    pub model: String,
    pub optimizer: String,
    pub size: usize,
    pub steps: usize,
    pub pairs: usize,
    pub sieve_mean: f64,
    pub sieve_std: Option<f64>,
    pub torch_mean: f64,
    pub torch_std: Option<f64>,
    pub diff_mean: f64,
    pub diff_ci_low: Option<f64>,
    pub diff_ci_high: Option<f64>,
    pub verdict: String,
}

/// Runs sieve's side, then the twin when given, and writes the comparison.
pub fn bench_fidelity(options: FidelityOptions) -> anyhow::Result<Vec<FidelityRow>> {
    options.validate().map_err(anyhow::Error::msg)?;
    crate::backend::ensure_compiled_in(options.device).map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;
    let mut data = super::load_bench_data(
        options.source,
        options.path.clone(),
        options.seed,
        "fidelity",
    )?;
    if let Some(size) = options.test_size {
        let rows = stratified_subsample_indices(
            &data.test,
            size,
            derive_seed(options.seed, &["fidelity", "test"]),
        )
        .map_err(|e| anyhow::anyhow!("--test-size: {e}"))?;
        data.test = data.test.subset(&rows);
    }
    let (protocol, train_rows) = plan(&options, &data)?;
    // Both sides train on exactly these rows (train_x.npy); runs index into them.
    let train = data.train.subset(&train_rows);
    export(&options.out, &protocol, &train, &data.test)?;

    let job = SieveSide {
        protocol: &protocol,
        train: &train,
        test: &data.test,
        out: &options.out,
    };
    let sieve = dispatch(options.device, job).map_err(anyhow::Error::msg)??;

    let torch_path = options.out.join("torch.json");
    if let Some(script) = &options.twin {
        run_twin(&options, script)?;
    }
    if !torch_path.exists() {
        eprintln!(
            "no {} (run the twin: {} scripts/torch_twin.py fidelity {}); sieve's side is in sieve.json",
            torch_path.display(),
            options.python,
            options.out.display()
        );
        return Ok(Vec::new());
    }
    let torch: SideResults = read_json(&torch_path)?;
    let rows = compare(&protocol, &sieve, &torch)?;
    write_atomic(
        &options.out.join("fidelity.json"),
        serde_json::to_string_pretty(&rows)?.as_bytes(),
    )?;
    let table = markdown(&rows);
    write_atomic(&options.out.join("fidelity.md"), table.as_bytes())?;
    print!("{table}");
    Ok(rows)
}

/// Draws every run's subset and step count. Subsets depend on (size, seed) only, so
/// every model and optimizer at one seed trains on the same examples.
fn plan(options: &FidelityOptions, data: &DataSplits) -> anyhow::Result<(Protocol, Vec<usize>)> {
    let pool = data.train.len();
    let mut union: Vec<usize> = Vec::new();
    let mut subsets = Vec::new();
    for &size in &options.sizes {
        if size > pool {
            bail!("--sizes: {size} is larger than the pool ({pool} examples)");
        }
        for seed in 0..options.seeds {
            let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(
                options.seed,
                &["fidelity", "subset", &size.to_string(), &seed.to_string()],
            ));
            let mut rows = sample(&mut rng, pool, size).into_vec();
            rows.sort_unstable();
            union.extend_from_slice(&rows);
            subsets.push((size, seed, rows));
        }
    }
    union.sort_unstable();
    union.dedup();
    let position = |row: usize| union.binary_search(&row).unwrap_or_default();
    let shape = data.train.shape;
    let defaults = ModelSpec::of(ModelKind::Convnet);
    let mut protocol = Protocol {
        description: "sieve bench fidelity: train each run from scratch on rows of train_x.npy, report test accuracy on test_x.npy".into(),
        classes: data.train.num_classes,
        shape: [shape.channels, shape.height, shape.width],
        batch_size: options.batch_size,
        epochs: options.epochs,
        min_steps: options.min_steps,
        threads: options.threads,
        mlp_hidden: ModelSpec::of(ModelKind::Mlp).hidden_widths(),
        convnet_width: defaults.conv_width(),
        convnet_depth: defaults.conv_depth(shape),
        gal_dropout: ModelSpec::of(ModelKind::GalCnn).gal_dropout().to_vec(),
        resnet_stem: options.resnet_stem,
        adam_epsilon: 1e-8,
        runs: Vec::new(),
    };
    for &model in &options.models {
        for &optimizer in &options.optimizers {
            let reg = regularization(&protocol, optimizer);
            for (size, seed, rows) in &subsets {
                let batch = reg.batch_size.min(*size).max(1);
                let epochs = reg.effective_epochs(*size);
                protocol.runs.push(RunSpec {
                    id: format!(
                        "{}-{}-n{size}-s{seed}",
                        model.as_str(),
                        optimizer_name(optimizer)
                    ),
                    model,
                    optimizer,
                    lr: reg.lr,
                    momentum: reg.momentum,
                    size: *size,
                    seed: *seed,
                    rows: rows.iter().map(|&r| position(r)).collect(),
                    steps: size.div_ceil(batch) * epochs,
                    epochs,
                });
            }
        }
    }
    Ok((protocol, union))
}

fn optimizer_name(optimizer: OptimizerKind) -> &'static str {
    match optimizer {
        OptimizerKind::Sgd => "sgd",
        OptimizerKind::Adam => "adam",
        OptimizerKind::Adamw => "adamw",
    }
}

/// Plain training: constant lr, momentum 0.9 (Adam's beta1), nothing else.
fn regularization(protocol: &Protocol, optimizer: OptimizerKind) -> Regularization {
    Regularization {
        name: "fidelity".into(),
        epochs: protocol.epochs,
        min_steps: protocol.min_steps,
        batch_size: protocol.batch_size,
        optimizer,
        lr: default_lr(optimizer),
        momentum: 0.9,
        schedule: LrSchedule::Constant {},
        weight_decay: 0.0,
        dropout: 0.0,
        augment: Augmentation::default(),
        label_smoothing: 0.0,
        swa: None,
        training: None,
    }
}

/// Writes protocol.json and the tensors both sides train and test on.
fn export(
    out: &Path,
    protocol: &Protocol,
    train: &LabeledSet,
    test: &LabeledSet,
) -> anyhow::Result<()> {
    let shape = train.shape;
    let dims = |n: usize| vec![n, shape.channels, shape.height, shape.width];
    npy::write_f32(
        &out.join("train_x.npy"),
        &dims(train.len()),
        &train.features,
    )?;
    npy::write_i64(
        &out.join("train_y.npy"),
        &[train.len()],
        &train
            .labels
            .iter()
            .map(|&l| i64::from(l))
            .collect::<Vec<_>>(),
    )?;
    npy::write_f32(&out.join("test_x.npy"), &dims(test.len()), &test.features)?;
    npy::write_i64(
        &out.join("test_y.npy"),
        &[test.len()],
        &test
            .labels
            .iter()
            .map(|&l| i64::from(l))
            .collect::<Vec<_>>(),
    )?;
    write_atomic(
        &out.join("protocol.json"),
        serde_json::to_string_pretty(protocol)?.as_bytes(),
    )?;
    Ok(())
}

struct SieveSide<'a> {
    protocol: &'a Protocol,
    train: &'a LabeledSet,
    test: &'a LabeledSet,
    out: &'a Path,
}

impl BackendJob for SieveSide<'_> {
    type Output = anyhow::Result<SideResults>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let mut results = SideResults {
            side: "sieve".into(),
            runs: Vec::new(),
        };
        let started = Instant::now();
        let total = self.protocol.runs.len();
        for (i, run) in self.protocol.runs.iter().enumerate() {
            let mut spec = ModelSpec::of(run.model);
            if run.model == ModelKind::Resnet18 {
                spec.stem = Some(self.protocol.resnet_stem);
            }
            let reg = regularization(self.protocol, run.optimizer);
            let rows = run.rows.clone();
            let outcome = train_model::<B>(
                TrainRequest {
                    spec: &spec,
                    regularization: &reg,
                    data: self.train,
                    indices: &rows,
                    classes: self.protocol.classes,
                    init_seed: derive_seed(0, &["fidelity", "init", &run.id]),
                    train_seed: derive_seed(0, &["fidelity", "train", &run.id]),
                    warm_start: None,
                    example_weights: None,
                    device: &device,
                    unlabeled: &[],
                    learning_loss: None,
                },
                &mut |_, _| {},
            )?;
            let metrics = evaluate(&outcome.model, self.test, 512, &device)?;
            if outcome.steps != run.steps {
                bail!(
                    "{}: sieve took {} steps, the protocol says {}",
                    run.id,
                    outcome.steps,
                    run.steps
                );
            }
            eprintln!(
                "[{}/{total}] sieve {}: {:.2}% in {} steps, {:.1} s (elapsed {:.0} s)",
                i + 1,
                run.id,
                metrics.accuracy * 100.0,
                outcome.steps,
                outcome.seconds,
                started.elapsed().as_secs_f64()
            );
            results.runs.push(RunResult {
                id: run.id.clone(),
                accuracy: metrics.accuracy,
                steps: outcome.steps,
                epochs: outcome.epochs,
                seconds: outcome.seconds,
            });
            // Written after every run: an interrupted benchmark keeps what it measured.
            write_atomic(
                &self.out.join("sieve.json"),
                serde_json::to_string_pretty(&results)?.as_bytes(),
            )?;
        }
        Ok(results)
    }
}

fn run_twin(options: &FidelityOptions, script: &Path) -> anyhow::Result<()> {
    eprintln!(
        "running the PyTorch twin: {} {} fidelity {}",
        options.python,
        script.display(),
        options.out.display()
    );
    let status = Command::new(&options.python)
        .arg(script)
        .arg("fidelity")
        .arg(&options.out)
        .status()
        .with_context(|| format!("cannot start `{}`", options.python))?;
    if !status.success() {
        bail!(
            "the twin `{} {} fidelity {}` failed ({status})",
            options.python,
            script.display(),
            options.out.display()
        );
    }
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a results file", path.display()))
}

/// Pairs the two sides by run and summarises per model, optimizer and size.
pub fn compare(
    protocol: &Protocol,
    sieve: &SideResults,
    torch: &SideResults,
) -> anyhow::Result<Vec<FidelityRow>> {
    let find = |side: &SideResults, id: &str| side.runs.iter().find(|r| r.id == id).cloned();
    let mut rows = Vec::new();
    let mut groups: Vec<(ModelKind, OptimizerKind, usize)> = Vec::new();
    for run in &protocol.runs {
        let key = (run.model, run.optimizer, run.size);
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (model, optimizer, size) in groups {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let mut steps = 0;
        for run in protocol
            .runs
            .iter()
            .filter(|r| r.model == model && r.optimizer == optimizer && r.size == size)
        {
            let (Some(s), Some(t)) = (find(sieve, &run.id), find(torch, &run.id)) else {
                continue;
            };
            if t.steps != run.steps {
                bail!(
                    "{}: the twin took {} steps, the protocol says {}",
                    run.id,
                    t.steps,
                    run.steps
                );
            }
            steps = run.steps;
            ours.push((run.seed, s.accuracy));
            theirs.push((run.seed, t.accuracy));
        }
        let values = |side: &[(u32, f64)]| side.iter().map(|p| p.1).collect::<Vec<_>>();
        let (Some(a), Some(b), Some(d)) = (
            estimate(&values(&ours), 0.95),
            estimate(&values(&theirs), 0.95),
            paired_difference(&ours, &theirs, 0.95),
        ) else {
            continue;
        };
        let verdict = match (d.ci_low, d.ci_high) {
            (Some(lo), Some(_)) if lo > 0.0 => "sieve higher",
            (Some(_), Some(hi)) if hi < 0.0 => "sieve lower",
            (Some(_), Some(_)) => "same",
            _ => "no interval",
        };
        rows.push(FidelityRow {
            model: model.as_str().into(),
            optimizer: optimizer_name(optimizer).into(),
            size,
            steps,
            pairs: d.n_pairs,
            sieve_mean: a.mean,
            sieve_std: a.std,
            torch_mean: b.mean,
            torch_std: b.std,
            diff_mean: d.mean,
            diff_ci_low: d.ci_low,
            diff_ci_high: d.ci_high,
            verdict: verdict.into(),
        });
    }
    Ok(rows)
}

/// The table docs/benchmarks.md records.
pub fn markdown(rows: &[FidelityRow]) -> String {
    let pct = |v: f64| format!("{:.1}", v * 100.0);
    let sd = |v: Option<f64>| v.map_or("-".into(), pct);
    let mut out = String::from(
        "| model | optimizer | labels | steps | pairs | sieve acc. % (sd) | PyTorch acc. % (sd) | sieve − PyTorch, points [95% CI] | verdict |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let ci = match (r.diff_ci_low, r.diff_ci_high) {
            (Some(lo), Some(hi)) => format!("[{}, {}]", pct(lo), pct(hi)),
            _ => "-".into(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} ({}) | {} ({}) | {} {ci} | {} |\n",
            r.model,
            r.optimizer,
            r.size,
            r.steps,
            r.pairs,
            pct(r.sieve_mean),
            sd(r.sieve_std),
            pct(r.torch_mean),
            sd(r.torch_std),
            pct(r.diff_mean),
            r.verdict
        ));
    }
    out
}
