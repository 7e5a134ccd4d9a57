//! Calibration of the verdicts by simulation (fixed seeds, so the checks are
//! deterministic): A/A cells (both arms from one distribution) must be flagged
//! at about the nominal rate, and a planted difference must be found.

#![allow(clippy::unwrap_used)]

use sieve_results::stats::holm::holm;
use sieve_results::stats::paired::paired_difference;
use sieve_results::stats::rng::Rng;
use sieve_results::stats::wilcoxon::wilcoxon_signed_rank;
use sieve_results::{
    summarize_with, Metric, MetricValues, Record, ReportOptions, Verdict, SCHEMA_VERSION,
};

/// (repeat, value) of one arm.
type Arm = Vec<(u32, f64)>;

/// `n` paired repeats: a shared per-repeat effect (the seed), plus independent
/// noise per arm, plus `shift` on the method.
fn pairs(rng: &mut Rng, n: u32, shift: f64) -> (Arm, Arm) {
    let mut method = Vec::new();
    let mut random = Vec::new();
    for rep in 0..n {
        let shared = 0.8 + 0.03 * rng.normal();
        random.push((rep, shared + 0.01 * rng.normal()));
        method.push((rep, shared + shift + 0.01 * rng.normal()));
    }
    (method, random)
}

/// Share of `cells` simulated A/A cells with p < 0.05, for each test.
fn aa_rates(n: u32, cells: usize, seed: u64) -> (f64, f64) {
    let mut rng = Rng::new(seed);
    let (mut t_hits, mut w_hits) = (0, 0);
    for _ in 0..cells {
        let (m, r) = pairs(&mut rng, n, 0.0);
        let d = paired_difference(&m, &r, 0.95).unwrap();
        if d.p_value.unwrap() < 0.05 {
            t_hits += 1;
        }
        let diffs: Vec<f64> = m.iter().zip(&r).map(|(a, b)| a.1 - b.1).collect();
        if wilcoxon_signed_rank(&diffs).unwrap().p_value < 0.05 {
            w_hits += 1;
        }
    }
    (t_hits as f64 / cells as f64, w_hits as f64 / cells as f64)
}

#[test]
fn aa_false_positive_rate_is_nominal() {
    // 4000 cells: the binomial standard error at 5% is 0.34%, so ±1.5 points is
    // over four standard errors.
    for n in [5, 10, 30] {
        let (t, w) = aa_rates(n, 4000, 20 + u64::from(n));
        assert!((t - 0.05).abs() < 0.015, "paired t, n = {n}: {t}");
        // The exact Wilcoxon test is conservative (discrete); at n = 5 its
        // smallest p is 0.0625, so it never rejects. The normal approximation
        // (n = 30) is close to nominal.
        if n == 5 {
            assert_eq!(w, 0.0);
        } else {
            assert!(w <= 0.065 && w > 0.02, "wilcoxon, n = {n}: {w}");
        }
    }
}

#[test]
fn planted_difference_is_detected() {
    // A 2-point gain with per-arm noise 1 point (difference sd ≈ 1.4 points):
    // d_z ≈ 1.4, so with 10 repeats the paired t test has power > 0.95.
    let mut rng = Rng::new(99);
    let cells = 1000;
    let mut hits = 0;
    for _ in 0..cells {
        let (m, r) = pairs(&mut rng, 10, 0.02);
        if paired_difference(&m, &r, 0.95).unwrap().p_value.unwrap() < 0.05 {
            hits += 1;
        }
    }
    assert!(hits as f64 / cells as f64 > 0.95, "power {hits}/{cells}");
}

#[test]
fn holm_controls_the_family_wise_rate() {
    // 5 A/A methods per setting: unadjusted, some method is flagged in about
    // 1 - 0.95^5 ≈ 23% of settings; Holm keeps that at or below 5%.
    let mut rng = Rng::new(7);
    let settings = 2000;
    let (mut raw, mut adjusted) = (0, 0);
    for _ in 0..settings {
        // One random arm shared by the five methods, as in a real setting.
        let shared: Vec<f64> = (0..8).map(|_| 0.8 + 0.03 * rng.normal()).collect();
        let random: Vec<(u32, f64)> = (0..8)
            .map(|i| (i, shared[i as usize] + 0.01 * rng.normal()))
            .collect();
        let ps: Vec<Option<f64>> = (0..5)
            .map(|_| {
                let m: Vec<(u32, f64)> = (0..8)
                    .map(|i| (i, shared[i as usize] + 0.01 * rng.normal()))
                    .collect();
                paired_difference(&m, &random, 0.95).unwrap().p_value
            })
            .collect();
        if ps.iter().any(|p| p.unwrap() < 0.05) {
            raw += 1;
        }
        if holm(&ps).iter().any(|p| p.unwrap() < 0.05) {
            adjusted += 1;
        }
    }
    let (raw, adjusted) = (
        raw as f64 / settings as f64,
        adjusted as f64 / settings as f64,
    );
    assert!(raw > 0.15, "{raw}");
    assert!(adjusted <= 0.06, "{adjusted}");
}

/// An ok record of `strategy` at `repeat` with `accuracy`, in setting `setting`.
fn record(setting: usize, strategy: &str, repeat: u32, accuracy: f64) -> Record {
    Record {
        schema_version: SCHEMA_VERSION,
        sweep_id: "sim".into(),
        kind: "active".into(),
        trial_id: format!("s{setting}/{strategy}/r{repeat}"),
        dataset: format!("sim{setting}"),
        scenario: "none".into(),
        model: "mlp".into(),
        regularization: "none".into(),
        axis: "budget".into(),
        axis_value: "b".into(),
        method: strategy.into(),
        method_params: "{}".into(),
        method_label: String::new(),
        repeat,
        seed: u64::from(repeat),
        round: 0,
        eval_index: 0,
        x_name: "labels".into(),
        x: 100.0,
        metrics: MetricValues::new([
            (Metric::TEST_ACCURACY, Some(accuracy)),
            (Metric::TEST_LOSS, Some(1.0 - accuracy)),
            (Metric::BALANCED_ACCURACY, Some(accuracy)),
        ]),
        select_seconds: 0.0,
        train_seconds: 0.0,
        train_steps: Some(100),
        train_epochs: Some(10),
        status: "ok".into(),
        device: "cpu".into(),
        sieve_version: "0".into(),
    }
}

#[test]
fn aa_verdicts_end_to_end() {
    // Through summarize_with: random vs a second "random" (an A/A arm) over
    // 1000 settings of 10 repeats; "better" or "worse" at about 5%, and a planted
    // +3 point arm is "better" almost always.
    let mut rng = Rng::new(2024);
    let mut records = Vec::new();
    for s in 0..1000 {
        for rep in 0..10 {
            let shared = 0.8 + 0.03 * rng.normal();
            records.push(record(s, "random", rep, shared + 0.01 * rng.normal()));
            records.push(record(s, "random_again", rep, shared + 0.01 * rng.normal()));
            records.push(record(
                s,
                "planted",
                rep,
                shared + 0.03 + 0.01 * rng.normal(),
            ));
        }
    }
    let options = ReportOptions {
        metrics: vec![sieve_results::Metric::TEST_ACCURACY],
        ..ReportOptions::default()
    };
    let rows = summarize_with(&records, &options).rows;
    let per_round = |strategy: &str| {
        rows.iter()
            .filter(|r| r.method == strategy && r.round.is_some())
            .collect::<Vec<_>>()
    };
    let aa = per_round("random_again");
    let flagged = aa
        .iter()
        .filter(|r| r.verdict == Verdict::Better.as_str() || r.verdict == Verdict::Worse.as_str())
        .count();
    // Holm over two arms makes the A/A arm slightly conservative: ≤ 5%.
    let rate = flagged as f64 / aa.len() as f64;
    assert!(rate < 0.065 && rate > 0.01, "A/A flagged {rate}");
    let planted = per_round("planted");
    let found = planted.iter().filter(|r| r.verdict == "better").count();
    assert!(found as f64 / planted.len() as f64 > 0.95, "{found}");
}
