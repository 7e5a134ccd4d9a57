//! Work shared by every coreset method at one setting and repeat: the selection model
//! (its outputs over the training set and the training dynamics recorded while it
//! trained), early-training scores (EL2N, GraNd) and DeepFool distances. Each is keyed by
//! the trial identity without the method, computed once, kept in memory while the
//! methods of that repeat run (they run one after another), and stored under the results
//! folder's `cache/coreset/<key>/` so a resumed sweep does not recompute it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use sieve_bench_core::deepfool::deepfool_norms;
use sieve_bench_core::train::{
    train_model, train_model_observed, BatchOutputs, TrainObserver, TrainRequest,
};
use sieve_bench_core::{
    derive_seed, CoreError, CoresetNeeds, EarlyScoreValues, EarlyScores, Matrix, ModelSpec,
    ModelView, Network, Regularization, SelectionContext, TrainedModel, TrainingDynamics,
};
use sieve_datasets::LabeledSet;
use sieve_results::write_atomic;

use super::SelectionSetup;
use crate::protocols::model_bytes::{from_bytes, to_bytes};
use crate::protocols::TrialContext;
use crate::sweep::Trial;

/// DeepFool iterations (DeepCore's `max_iter`).
const DEEPFOOL_ITERATIONS: usize = 50;

/// The identity of shared work: the trial without its method, and the selection setup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SharedKey {
    text: String,
}

impl SharedKey {
    pub fn of(trial: &Trial, selection: &SelectionSetup) -> Self {
        let k = &trial.key;
        Self {
            text: format!(
                "{}|{}|{}|{}|{}|r{}|seed{}|selection{}",
                k.dataset,
                k.scenario,
                k.model,
                k.regularization,
                k.axis_value,
                k.repeat,
                trial.seed,
                selection.identity
            ),
        }
    }

    /// The key as text (equal for the trials that share the work).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// A file-name-safe digest of the key.
    fn folder(&self) -> String {
        format!("{:016x}", derive_seed(0, &["coreset-shared", &self.text]))
    }
}

/// The selection model's outputs over the training set.
struct SelectionOutputs {
    probabilities: Matrix,
    embeddings: Matrix,
    dynamics: TrainingDynamics,
    /// The trained network, serialised (backend-independent), for DeepFool.
    model_bytes: Vec<u8>,
}

/// The shared work of one setting and repeat.
pub(crate) struct Memo {
    pub key: SharedKey,
    selection: Option<SelectionOutputs>,
    early: BTreeMap<(usize, usize), EarlyScoreValues>,
    deepfool: Option<Vec<f32>>,
    /// The early scores the current method asked for.
    wanted_early: Option<(usize, usize)>,
}

/// Counts forgetting events (correct → incorrect between consecutive presentations).
struct DynamicsRecorder {
    last_correct: Vec<Option<bool>>,
    dynamics: TrainingDynamics,
}

impl DynamicsRecorder {
    fn new(n: usize) -> Self {
        Self {
            last_correct: vec![None; n],
            dynamics: TrainingDynamics {
                forgetting_events: vec![0; n],
                ever_learned: vec![false; n],
                presentations: vec![0; n],
            },
        }
    }
}

impl TrainObserver for DynamicsRecorder {
    fn on_batch(&mut self, outputs: &BatchOutputs<'_>) {
        for (i, &row) in outputs.rows.iter().enumerate() {
            let correct = outputs.correct(i);
            if self.last_correct[row] == Some(true) && !correct {
                self.dynamics.forgetting_events[row] += 1;
            }
            self.dynamics.ever_learned[row] |= correct;
            self.dynamics.presentations[row] += 1;
            self.last_correct[row] = Some(correct);
        }
    }
}

/// The model and training of the selection model (or of an early-score model).
struct Resolved {
    spec: ModelSpec,
    regularization: Regularization,
}

fn resolve<B: AutodiffBackend>(
    ctx: &TrialContext<'_, B>,
    setup: &SelectionSetup,
    epochs: usize,
) -> Resolved {
    let spec = setup
        .model
        .clone()
        .unwrap_or_else(|| ctx.sweep.model(ctx.trial).clone());
    let mut regularization = setup
        .regularization
        .clone()
        .unwrap_or_else(|| ctx.sweep.regularization(ctx.trial).clone());
    regularization.epochs = epochs.max(1);
    regularization.min_steps = 0;
    Resolved {
        spec,
        regularization,
    }
}

/// Probabilities and embeddings of every row of `pool`.
fn outputs<B: Backend>(
    model: Network<B>,
    pool: &LabeledSet,
    classes: usize,
    batch: usize,
    device: &B::Device,
) -> Result<(Matrix, Matrix), String> {
    let view = TrainedModel::<B> {
        model,
        pool,
        classes,
        device: device.clone(),
        batch_size: batch,
        dropout: 0.0,
        inference_seed: 0,
        previous: None,
    };
    let all: Vec<usize> = (0..pool.len()).collect();
    view.probabilities_and_embeddings(&all)
        .map_err(|e| e.to_string())
}

/// Shared work is not timed by any record (it belongs to no one method): its seconds go
/// to `seconds-<what>.txt` beside its cache file (one file each, so parallel workers
/// never race on one), and to the progress notes.
fn record_seconds<B: AutodiffBackend>(
    ctx: &TrialContext<'_, B>,
    folder: Option<&Path>,
    what: &str,
    started: Instant,
) -> Result<(), String> {
    let seconds = started.elapsed().as_secs_f64();
    (ctx.note)(&format!("shared work: {what} took {seconds:.1} s"));
    if let Some(folder) = folder {
        let file = folder.join(format!("seconds-{what}.txt"));
        write_atomic(&file, format!("{seconds:.3}\n").as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let text = serde_json::to_string(value).map_err(|e| e.to_string())?;
    write_atomic(path, text.as_bytes()).map_err(|e| e.to_string())
}

impl Memo {
    pub fn new(key: SharedKey) -> Self {
        Self {
            key,
            selection: None,
            early: BTreeMap::new(),
            deepfool: None,
            wanted_early: None,
        }
    }

    /// The cache folder, created on demand; `None` without a results folder.
    fn folder<B: AutodiffBackend>(
        &self,
        ctx: &TrialContext<'_, B>,
    ) -> Result<Option<PathBuf>, String> {
        let Some(out) = ctx.out else {
            return Ok(None);
        };
        let dir = out.join("cache").join("coreset").join(self.key.folder());
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let key_file = dir.join("key.txt");
        if !key_file.exists() {
            write_atomic(&key_file, self.key.text.as_bytes()).map_err(|e| e.to_string())?;
        }
        Ok(Some(dir))
    }

    /// Computes (or loads) whatever `needs` asks for and is not there yet.
    pub fn ensure<B: AutodiffBackend>(
        &mut self,
        ctx: &TrialContext<'_, B>,
        setup: &SelectionSetup,
        needs: &CoresetNeeds,
    ) -> Result<(), String> {
        if needs.selection_model || needs.dynamics || needs.deepfool {
            self.ensure_selection(ctx, setup)?;
        }
        if needs.deepfool {
            self.ensure_deepfool(ctx, setup)?;
        }
        self.wanted_early = None;
        if let Some(early) = needs.early_scores {
            self.ensure_early(ctx, setup, early)?;
            self.wanted_early = Some((early.inits, early.epochs));
        }
        Ok(())
    }

    fn ensure_selection<B: AutodiffBackend>(
        &mut self,
        ctx: &TrialContext<'_, B>,
        setup: &SelectionSetup,
    ) -> Result<(), String> {
        if self.selection.is_some() {
            return Ok(());
        }
        let data = ctx.sweep.data(ctx.trial);
        let (pool, classes) = (&data.pool, data.target_classes);
        let batch = ctx.sweep.config.common.inference_batch_size;
        let resolved = resolve(ctx, setup, setup.epochs);
        let folder = self.folder(ctx)?;
        let files = folder.as_ref().map(|d| {
            (
                d.join("selection-model.bin"),
                d.join("selection-dynamics.json"),
            )
        });
        if let Some((model_file, dynamics_file)) = &files {
            if let (Ok(bytes), Some(dynamics)) = (
                std::fs::read(model_file),
                read_json::<TrainingDynamics>(dynamics_file),
            ) {
                let model = from_bytes::<B::InnerBackend>(
                    &bytes,
                    &resolved.spec,
                    pool.shape,
                    classes,
                    ctx.device,
                )?;
                let (probabilities, embeddings) = outputs(model, pool, classes, batch, ctx.device)?;
                self.selection = Some(SelectionOutputs {
                    probabilities,
                    embeddings,
                    dynamics,
                    model_bytes: bytes,
                });
                return Ok(());
            }
        }
        let rows: Vec<usize> = (0..pool.len()).collect();
        let mut recorder = DynamicsRecorder::new(pool.len());
        let started = Instant::now();
        let trained = train_model_observed::<B>(
            TrainRequest {
                spec: &resolved.spec,
                regularization: &resolved.regularization,
                data: pool,
                indices: &rows,
                classes,
                init_seed: derive_seed(ctx.trial.seed, &["selection-model", "init"]),
                train_seed: derive_seed(ctx.trial.seed, &["selection-model", "training"]),
                warm_start: None,
                example_weights: None,
                device: ctx.device,
                unlabeled: &[],
                learning_loss: None,
            },
            &mut |_, _| {},
            &mut recorder,
        )
        .map_err(|e| format!("selection model: {e}"))?;
        let bytes = to_bytes(trained.model.clone())?;
        if let Some((model_file, dynamics_file)) = &files {
            write_atomic(model_file, &bytes).map_err(|e| e.to_string())?;
            write_json(dynamics_file, &recorder.dynamics)?;
        }
        let (probabilities, embeddings) = outputs(trained.model, pool, classes, batch, ctx.device)?;
        record_seconds(ctx, folder.as_deref(), "selection-model", started)?;
        self.selection = Some(SelectionOutputs {
            probabilities,
            embeddings,
            dynamics: recorder.dynamics,
            model_bytes: bytes,
        });
        Ok(())
    }

    fn ensure_deepfool<B: AutodiffBackend>(
        &mut self,
        ctx: &TrialContext<'_, B>,
        setup: &SelectionSetup,
    ) -> Result<(), String> {
        if self.deepfool.is_some() {
            return Ok(());
        }
        let folder = self.folder(ctx)?;
        let file = folder.map(|d| d.join(format!("deepfool-{DEEPFOOL_ITERATIONS}.json")));
        if let Some(norms) = file.as_deref().and_then(read_json::<Vec<f32>>) {
            self.deepfool = Some(norms);
            return Ok(());
        }
        let data = ctx.sweep.data(ctx.trial);
        let (pool, classes) = (&data.pool, data.target_classes);
        let resolved = resolve(ctx, setup, setup.epochs);
        let bytes = &self
            .selection
            .as_ref()
            .ok_or("DeepFool needs the selection model")?
            .model_bytes;
        let model =
            from_bytes::<B::InnerBackend>(bytes, &resolved.spec, pool.shape, classes, ctx.device)?;
        let rows: Vec<usize> = (0..pool.len()).collect();
        let started = Instant::now();
        let norms = deepfool_norms::<B>(
            &model,
            pool,
            &rows,
            ctx.sweep.config.common.inference_batch_size,
            DEEPFOOL_ITERATIONS,
            ctx.device,
        )
        .map_err(|e| format!("DeepFool: {e}"))?;
        if let Some(file) = &file {
            write_json(file, &norms)?;
        }
        record_seconds(
            ctx,
            file.as_deref().and_then(Path::parent),
            &format!("deepfool-{DEEPFOOL_ITERATIONS}"),
            started,
        )?;
        self.deepfool = Some(norms);
        Ok(())
    }

    fn ensure_early<B: AutodiffBackend>(
        &mut self,
        ctx: &TrialContext<'_, B>,
        setup: &SelectionSetup,
        early: EarlyScores,
    ) -> Result<(), String> {
        let id = (early.inits, early.epochs);
        if self.early.contains_key(&id) {
            return Ok(());
        }
        let folder = self.folder(ctx)?;
        let file = folder.map(|d| d.join(format!("early-i{}-e{}.json", early.inits, early.epochs)));
        if let Some(values) = file.as_deref().and_then(read_json::<EarlyScoreValues>) {
            self.early.insert(id, values);
            return Ok(());
        }
        let data = ctx.sweep.data(ctx.trial);
        let (pool, classes) = (&data.pool, data.target_classes);
        let n = pool.len();
        let batch = ctx.sweep.config.common.inference_batch_size;
        let resolved = resolve(ctx, setup, early.epochs);
        let rows: Vec<usize> = (0..n).collect();
        let mut el2n = vec![0.0f64; n];
        let mut grand = vec![0.0f64; n];
        let started = Instant::now();
        for init in 0..early.inits {
            let init_text = init.to_string();
            let init_seed = derive_seed(ctx.trial.seed, &["early-scores", "init", &init_text]);
            let model = if early.epochs == 0 {
                B::seed(ctx.device, init_seed);
                Network::<B>::init(&resolved.spec, pool.shape, classes, ctx.device)
                    .map_err(|e| e.to_string())?
                    .valid()
            } else {
                train_model::<B>(
                    TrainRequest {
                        spec: &resolved.spec,
                        regularization: &resolved.regularization,
                        data: pool,
                        indices: &rows,
                        classes,
                        init_seed,
                        train_seed: derive_seed(
                            ctx.trial.seed,
                            &["early-scores", "training", &init_text],
                        ),
                        warm_start: None,
                        example_weights: None,
                        device: ctx.device,
                        unlabeled: &[],
                        learning_loss: None,
                    },
                    &mut |_, _| {},
                )
                .map_err(|e| format!("early-score model {init}: {e}"))?
                .model
            };
            let (probs, emb) = outputs(model, pool, classes, batch, ctx.device)?;
            for (i, (p, h)) in probs.iter_rows().zip(emb.iter_rows()).enumerate() {
                let label = pool.labels[i] as usize;
                let residual: f64 = p
                    .iter()
                    .enumerate()
                    .map(|(c, &v)| {
                        let target = if c == label { 1.0 } else { 0.0 };
                        (f64::from(v) - target).powi(2)
                    })
                    .sum::<f64>();
                let features: f64 = h.iter().map(|&v| f64::from(v).powi(2)).sum();
                el2n[i] += residual.sqrt();
                grand[i] += (residual * (1.0 + features)).sqrt();
            }
        }
        let scale = 1.0 / early.inits.max(1) as f64;
        let values = EarlyScoreValues {
            el2n: el2n.iter().map(|v| (v * scale) as f32).collect(),
            grand: grand.iter().map(|v| (v * scale) as f32).collect(),
        };
        if let Some(file) = &file {
            write_json(file, &values)?;
        }
        record_seconds(
            ctx,
            file.as_deref().and_then(Path::parent),
            &format!("early-i{}-e{}", early.inits, early.epochs),
            started,
        )?;
        self.early.insert(id, values);
        Ok(())
    }

    /// What the method sees.
    pub fn context(&self) -> MemoContext<'_> {
        MemoContext {
            memo: self,
            view: self
                .selection
                .as_ref()
                .map(|outputs| StoredView { outputs }),
        }
    }
}

/// A method's view of the shared work.
pub(crate) struct MemoContext<'a> {
    memo: &'a Memo,
    view: Option<StoredView<'a>>,
}

/// The selection model's stored outputs as a [`ModelView`].
struct StoredView<'a> {
    outputs: &'a SelectionOutputs,
}

fn pick(m: &Matrix, rows: &[usize]) -> Result<Matrix, CoreError> {
    let mut data = Vec::with_capacity(rows.len() * m.cols);
    for &r in rows {
        if r >= m.rows {
            return Err(CoreError::invalid(
                "rows",
                format!("row {r} is outside the training set ({} rows)", m.rows),
            ));
        }
        data.extend_from_slice(m.row(r));
    }
    Ok(Matrix::new(rows.len(), m.cols, data))
}

impl ModelView for StoredView<'_> {
    fn num_classes(&self) -> usize {
        self.outputs.probabilities.cols
    }
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        pick(&self.outputs.probabilities, indices)
    }
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        pick(&self.outputs.embeddings, indices)
    }
    fn mc_dropout_probabilities(
        &self,
        _indices: &[usize],
        _samples: usize,
    ) -> Result<Vec<Matrix>, CoreError> {
        Err(CoreError::invalid(
            "selection model",
            "coreset methods have no MC-dropout samples",
        ))
    }
}

fn missing(what: &str) -> CoreError {
    CoreError::invalid(
        "coreset method",
        format!("{what} was not computed: the method must declare it in needs()"),
    )
}

impl SelectionContext for MemoContext<'_> {
    fn model(&self) -> Result<&dyn ModelView, CoreError> {
        self.view
            .as_ref()
            .map(|v| v as &dyn ModelView)
            .ok_or_else(|| missing("the selection model"))
    }
    fn dynamics(&self) -> Result<&TrainingDynamics, CoreError> {
        self.memo
            .selection
            .as_ref()
            .map(|s| &s.dynamics)
            .ok_or_else(|| missing("training dynamics"))
    }
    fn deepfool(&self) -> Result<&[f32], CoreError> {
        self.memo
            .deepfool
            .as_deref()
            .ok_or_else(|| missing("DeepFool"))
    }
    fn early_scores(&self) -> Result<&EarlyScoreValues, CoreError> {
        self.memo
            .wanted_early
            .and_then(|id| self.memo.early.get(&id))
            .ok_or_else(|| missing("early-training scores"))
    }
}
