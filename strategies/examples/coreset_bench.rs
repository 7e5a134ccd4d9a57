//! Times one coreset method at pool scale on synthetic selection-model outputs, and
//! reports the process's peak resident memory (VmHWM).
//!
//! cargo run --release -p sieve-strategies --example coreset_bench -- herding
//!
//! Optional arguments after the method: pool size, embedding width, classes, fraction,
//! balance (1/0) (defaults 60000 84 10 0.1 1: Fashion-MNIST with LeNet's 84-unit
//! embedding, 10% of the pool, per-class quotas as the coreset protocol runs it). Every
//! size the protocol asks is answered in one call; here the sizes are 1%, the fraction,
//! and 3x the fraction (capped at 30%). Run one method per process so the peak memory
//! belongs to it. DeepFool and early-training scores are inputs here (their cost is the
//! protocol's shared work: attacks and extra trainings, timed in docs/benchmarks.md).

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{
    CoresetRequest, EarlyScoreValues, FixedContext, FixedModelView, Matrix, TrainingDynamics,
};
use sieve_strategies::coreset::build_coreset_method;
use sieve_strategies::linalg::standard_normal;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Gaussian class clusters, softmax probabilities from distances to the centres, labels.
fn synthetic(n: usize, d: usize, c: usize, rng: &mut ChaCha8Rng) -> (FixedModelView, Vec<u32>) {
    let centres: Vec<f32> = (0..c * d)
        .map(|_| (standard_normal(rng) * 0.5) as f32)
        .collect();
    let mut emb = Vec::with_capacity(n * d);
    let mut probs = Vec::with_capacity(n * c);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let y = rng.random_range(0..c);
        labels.push(y as u32);
        let start = emb.len();
        for j in 0..d {
            emb.push(centres[y * d + j] + (standard_normal(rng) * 0.35) as f32);
        }
        let x = &emb[start..];
        let logits: Vec<f32> = (0..c)
            .map(|k| {
                -x.iter()
                    .zip(&centres[k * d..(k + 1) * d])
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f32>()
                    / 4.0
            })
            .collect();
        let top = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let z: f32 = logits.iter().map(|l| (l - top).exp()).sum();
        probs.extend(logits.iter().map(|l| (l - top).exp() / z));
    }
    (
        FixedModelView {
            probabilities: Matrix::new(n, c, probs),
            embeddings: Matrix::new(n, d, emb),
            mc_samples: vec![],
        },
        labels,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let method = args.first().map_or("uniform", String::as_str).to_string();
    let num = |i: usize, default: f64| {
        args.get(i)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(default)
    };
    let (n, d, c) = (
        num(1, 60_000.0) as usize,
        num(2, 84.0) as usize,
        num(3, 10.0) as usize,
    );
    let fraction = num(4, 0.1);
    let balance = num(5, 1.0) != 0.0;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (view, labels) = synthetic(n, d, c, &mut rng);
    let dynamics = TrainingDynamics {
        forgetting_events: (0..n).map(|_| rng.random_range(0..4)).collect(),
        ever_learned: (0..n).map(|_| rng.random_range(0..20) != 0).collect(),
        presentations: vec![10; n],
    };
    let deepfool: Vec<f32> = (0..n).map(|_| rng.random::<f32>()).collect();
    let early = EarlyScoreValues {
        el2n: (0..n).map(|_| rng.random::<f32>()).collect(),
        grand: (0..n).map(|_| rng.random::<f32>()).collect(),
    };
    let context = FixedContext {
        model: Some(&view),
        dynamics: Some(&dynamics),
        deepfool: Some(&deepfool),
        early_scores: Some(&early),
    };
    let groups: Vec<Vec<usize>> = if balance {
        (0..c)
            .map(|k| (0..n).filter(|&i| labels[i] as usize == k).collect())
            .collect()
    } else {
        vec![(0..n).collect()]
    };
    let data_mib = peak_rss_mib();
    let mut built = match build_coreset_method(&method, &serde_json::Value::Null) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let mut selected = 0usize;
    for (g, group) in groups.iter().enumerate() {
        let m = group.len() as f64;
        let counts: Vec<usize> = [0.01, fraction, (3.0 * fraction).min(0.3)]
            .iter()
            .map(|f| ((f * m).round() as usize).clamp(1, group.len()))
            .collect();
        let request = CoresetRequest {
            candidates: group,
            counts: &counts,
            labels: &labels,
            classes: c,
        };
        match built.select(&request, &context, &mut ChaCha8Rng::seed_from_u64(g as u64)) {
            Ok(picks) => selected += picks.iter().map(|p| p.indices.len()).sum::<usize>(),
            Err(e) => {
                eprintln!("selection failed: {e}");
                std::process::exit(1);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "method={method} pool={n} dim={d} classes={c} fraction={fraction} balance={balance} \
         rows_selected_over_all_sizes={selected} seconds={seconds:.2} peak_rss_mib={:.0} \
         rss_after_data_mib={data_mib:.0}",
        peak_rss_mib()
    );
}
