//! Times a selection strategy (any registered name without MC dropout, default
//! parameters) at pool scale on synthetic data, and reports the process's peak resident
//! memory (VmHWM), to show the diversity methods stay O(N·(C+D)) in memory.
//!
//! cargo run --release -p sieve-strategies --example selection_bench -- kcenter
//! cargo run --release -p sieve-strategies --example selection_bench -- badge
//! cargo run --release -p sieve-strategies --example selection_bench -- dacs
//! cargo run --release -p sieve-strategies --example selection_bench -- similar_flmi
//!
//! Optional arguments after the method: pool size, embedding width, classes, batch,
//! labeled count (defaults 60000 128 10 1000 1000). Run one method per process, so
//! the peak memory belongs to that method. `scripts/reference_selection.py` runs the
//! same sizes the way the Python toolkits write these algorithms.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{FixedModelView, Matrix, SelectionRequest, Strategy};
use sieve_strategies::linalg::standard_normal;

/// Peak resident set size in MiB, from /proc/self/status (0 where unavailable).
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

/// Gaussian class clusters in `d` dimensions and softmax probabilities from the
/// negative squared distances to the class centres.
fn synthetic(n: usize, d: usize, c: usize, rng: &mut ChaCha8Rng) -> FixedModelView {
    let centres: Vec<f32> = (0..c * d)
        .map(|_| (standard_normal(rng) * 0.5) as f32)
        .collect();
    let mut emb = Vec::with_capacity(n * d);
    let mut probs = Vec::with_capacity(n * c);
    for _ in 0..n {
        let y = rng.random_range(0..c);
        let start = emb.len();
        for j in 0..d {
            emb.push(centres[y * d + j] + (standard_normal(rng) * 0.25) as f32);
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
    FixedModelView {
        probabilities: Matrix::new(n, c, probs),
        embeddings: Matrix::new(n, d, emb),
        mc_samples: vec![],
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let method = args.first().map_or("kcenter", String::as_str).to_string();
    let num = |i: usize, default: usize| {
        args.get(i)
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let (n, d, c, count, labeled_n) = (
        num(1, 60_000),
        num(2, 128),
        num(3, 10),
        num(4, 1_000),
        num(5, 1_000),
    );
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let view = synthetic(n, d, c, &mut rng);
    let labeled: Vec<usize> = (0..labeled_n.min(n))
        .map(|i| i * (n / labeled_n.max(1)).max(1))
        .collect();
    let mut is_labeled = vec![false; n];
    labeled.iter().for_each(|&i| is_labeled[i] = true);
    let unlabeled: Vec<usize> = (0..n).filter(|&i| !is_labeled[i]).collect();
    let data_mib = peak_rss_mib();
    let mut strategy: Box<dyn Strategy> =
        match sieve_strategies::build_strategy(&method, &serde_json::Value::Null) {
            Ok(strategy) => strategy,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
    // Annotations for SIMILAR: the nearest class centre, every 20th labeled example
    // marked out of distribution (its private set).
    let labeled_classes: Vec<Option<u32>> = labeled
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let row = view.probabilities.row(i);
            let class = (0..c).fold(0, |best, j| if row[j] > row[best] { j } else { best });
            (k % 20 != 19).then_some(class as u32)
        })
        .collect();
    let request = SelectionRequest {
        labeled: &labeled,
        unlabeled: &unlabeled,
        count,
        labeled_classes: &labeled_classes,
        round_seed: 0,
        round: 0,
        rounds: 0,
    };
    let started = Instant::now();
    let picks = strategy.select(&request, &view, &mut ChaCha8Rng::seed_from_u64(1));
    let seconds = started.elapsed().as_secs_f64();
    match picks {
        Ok(p) => println!(
            "method={} pool={n} labeled={} unlabeled={} dim={d} classes={c} batch={} \
             seconds={seconds:.2} peak_rss_mib={:.0} rss_after_data_mib={data_mib:.0}",
            strategy.name(),
            labeled.len(),
            unlabeled.len(),
            p.len(),
            peak_rss_mib(),
        ),
        Err(e) => {
            eprintln!("selection failed: {e}");
            std::process::exit(1);
        }
    }
}
