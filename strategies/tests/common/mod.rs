//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    FixedModelView, Matrix, ModelView, SelectionRequest, Strategy, StrategyError,
};

/// Runs one selection with a fixed strategy seed.
pub fn try_select(
    strategy: &mut dyn Strategy,
    view: &dyn ModelView,
    labeled: &[usize],
    unlabeled: &[usize],
    count: usize,
    seed: u64,
) -> Result<Vec<usize>, StrategyError> {
    try_select_annotated(strategy, view, labeled, &[], unlabeled, count, seed)
}

/// As [`try_select`], with the annotations of the labeled examples (class, or `None`
/// for out of distribution).
pub fn try_select_annotated(
    strategy: &mut dyn Strategy,
    view: &dyn ModelView,
    labeled: &[usize],
    labeled_classes: &[Option<u32>],
    unlabeled: &[usize],
    count: usize,
    seed: u64,
) -> Result<Vec<usize>, StrategyError> {
    let request = SelectionRequest {
        labeled,
        unlabeled,
        count,
        labeled_classes,
        round_seed: 0,
        round: 0,
        rounds: 3,
    };
    strategy.select(&request, view, &mut ChaCha8Rng::seed_from_u64(seed))
}

/// Annotations for the labeled examples of the every-strategy tests: class
/// `(index / 10) % 5`, out of distribution when `index % 40 == 3` (SIMILAR's query and
/// private sets then both hold examples).
pub fn annotations(labeled: &[usize]) -> Vec<Option<u32>> {
    labeled
        .iter()
        .map(|&i| (i % 40 != 3).then_some(((i / 10) % 5) as u32))
        .collect()
}

/// Runs one selection with seed 7 and unwraps.
pub fn select(
    strategy: &mut dyn Strategy,
    view: &dyn ModelView,
    labeled: &[usize],
    unlabeled: &[usize],
    count: usize,
) -> Vec<usize> {
    try_select(strategy, view, labeled, unlabeled, count, 7).unwrap()
}

/// A view with only embeddings that matter (flat probabilities, no MC samples).
pub fn embedding_view(embeddings: Matrix, classes: usize) -> FixedModelView {
    let n = embeddings.rows;
    FixedModelView {
        probabilities: Matrix::new(n, classes, vec![1.0 / classes as f32; n * classes]),
        embeddings,
        mc_samples: vec![],
    }
}

/// A view with MC samples given as `samples[s][i]` = probabilities of example `i` in pass `s`.
pub fn mc_view(samples: &[Vec<Vec<f32>>]) -> FixedModelView {
    let mc: Vec<Matrix> = samples.iter().map(|s| Matrix::from_rows(s)).collect();
    let n = mc[0].rows;
    let classes = mc[0].cols;
    let mut mean = vec![0f32; n * classes];
    for m in &mc {
        for (a, b) in mean.iter_mut().zip(&m.data) {
            *a += b / mc.len() as f32;
        }
    }
    FixedModelView {
        probabilities: Matrix::new(n, classes, mean),
        embeddings: Matrix::new(n, 1, (0..n).map(|i| i as f32).collect()),
        mc_samples: mc,
    }
}

/// Sorted copy.
pub fn sorted(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v
}

/// Softmax rows of random logits (uniform in `0..scale`).
pub fn softmax_rows(rng: &mut ChaCha8Rng, n: usize, c: usize, scale: f32) -> Matrix {
    let mut data = Vec::with_capacity(n * c);
    for _ in 0..n {
        let logits: Vec<f32> = (0..c).map(|_| rng.random::<f32>() * scale).collect();
        let z: f32 = logits.iter().map(|l| l.exp()).sum();
        data.extend(logits.iter().map(|l| l.exp() / z));
    }
    Matrix::new(n, c, data)
}

/// A random but fixed view: `n` examples, `c` classes, `d`-dimensional embeddings and
/// `passes` MC-dropout samples.
pub fn random_view(n: usize, c: usize, d: usize, passes: usize) -> FixedModelView {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let probabilities = softmax_rows(&mut rng, n, c, 5.0);
    let embeddings = Matrix::new(
        n,
        d,
        (0..n * d)
            .map(|_| rng.random::<f32>() * 2.0 - 1.0)
            .collect(),
    );
    let mc_samples = (0..passes)
        .map(|_| softmax_rows(&mut rng, n, c, 5.0))
        .collect();
    FixedModelView {
        probabilities,
        embeddings,
        mc_samples,
    }
}

/// [`random_view`] with a random linear head (`c x d`), for strategies that read the
/// last layer's weights.
pub fn random_head_view(
    n: usize,
    c: usize,
    d: usize,
    passes: usize,
) -> StandInCapabilities<sieve_bench_core::WithLinearHead<FixedModelView>> {
    let mut rng = ChaCha8Rng::seed_from_u64(2025);
    let weights = Matrix::new(
        c,
        d,
        (0..c * d)
            .map(|_| rng.random::<f32>() * 2.0 - 1.0)
            .collect(),
    );
    let bias = (0..c).map(|_| rng.random::<f32>() - 0.5).collect();
    StandInCapabilities {
        view: sieve_bench_core::WithLinearHead {
            view: random_view(n, c, d, passes),
            head: sieve_bench_core::LinearHead { weights, bias },
        },
    }
}

/// Any view plus a stand-in previous round and stand-in adversarial norms with the
/// attacks' shape, for the
/// every-strategy tests (the real attacks run on trained networks in bench-core's tests
/// and the runner's catalogue test): example i sits at distance `b_i` in [0, 1) from its
/// boundary (a hash of i); DeepFool reports `min(b_i, 0.01 · max_iter)²`, BIM
/// `(epsilon · min(ceil(b_i / epsilon), max_iter))²`; the rotation loss of example i is
/// another hash of i (and of the pretext settings) in [0, ln 4); its VAAL score a hash of
/// i, the VAAL settings and the seed in [0, 1); its predicted loss (LL4AL) a hash of i in
/// [0, 1).
pub struct StandInCapabilities<V> {
    pub view: V,
}

impl<V: ModelView> ModelView for StandInCapabilities<V> {
    fn num_classes(&self) -> usize {
        self.view.num_classes()
    }
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, sieve_bench_core::CoreError> {
        self.view.probabilities(indices)
    }
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, sieve_bench_core::CoreError> {
        self.view.embeddings(indices)
    }
    fn mc_dropout_probabilities(
        &self,
        indices: &[usize],
        samples: usize,
    ) -> Result<Vec<Matrix>, sieve_bench_core::CoreError> {
        self.view.mc_dropout_probabilities(indices, samples)
    }
    fn linear_head(&self) -> Result<sieve_bench_core::LinearHead, sieve_bench_core::CoreError> {
        self.view.linear_head()
    }
    /// The previous round stand-in: each example's probabilities shifted by one class.
    fn previous_probabilities(
        &self,
        indices: &[usize],
    ) -> Result<sieve_bench_core::PreviousOutputs, sieve_bench_core::CoreError> {
        let mut p = self.view.probabilities(indices)?;
        let c = p.cols;
        for row in p.data.chunks_mut(c.max(1)) {
            row.rotate_right(1);
        }
        Ok(sieve_bench_core::PreviousOutputs {
            probabilities: p,
            trained: true,
        })
    }
    fn rotation_losses(
        &self,
        indices: &[usize],
        pretext: &sieve_bench_core::RotationPretext,
    ) -> Result<Vec<f32>, sieve_bench_core::CoreError> {
        // Other pretext training, other losses (as a real network would give).
        let key = pretext.key();
        Ok(indices
            .iter()
            .map(|&i| {
                let h = sieve_bench_core::derive_seed(i as u64, &[&key]) % 997;
                h as f32 / 997.0 * 4f32.ln()
            })
            .collect())
    }
    fn vaal_scores(
        &self,
        _labeled: &[usize],
        unlabeled: &[usize],
        config: &sieve_bench_core::VaalConfig,
        seed: u64,
    ) -> Result<Vec<f32>, sieve_bench_core::CoreError> {
        // Other settings or seed, other scores (as a real training would give).
        let key = format!("{config:?}");
        Ok(unlabeled
            .iter()
            .map(|&i| {
                (sieve_bench_core::derive_seed(i as u64 ^ seed, &[&key]) % 997) as f32 / 997.0
            })
            .collect())
    }
    fn predicted_losses(&self, indices: &[usize]) -> Result<Vec<f32>, sieve_bench_core::CoreError> {
        Ok(indices
            .iter()
            .map(|&i| (sieve_bench_core::derive_seed(i as u64, &["loss"]) % 997) as f32 / 997.0)
            .collect())
    }
    fn adversarial_norms(
        &self,
        indices: &[usize],
        attack: sieve_bench_core::Attack,
    ) -> Result<Vec<f32>, sieve_bench_core::CoreError> {
        Ok(indices
            .iter()
            .map(|&i| {
                let b = ((i as u64).wrapping_mul(2_654_435_761) % 1000) as f64 / 1000.0;
                let r = match attack {
                    sieve_bench_core::Attack::DeepFool { max_iter } => {
                        b.min(0.01 * max_iter as f64)
                    }
                    sieve_bench_core::Attack::Bim { epsilon, max_iter } => {
                        epsilon * (b / epsilon).ceil().min(max_iter as f64)
                    }
                };
                (r * r) as f32
            })
            .collect())
    }
}
