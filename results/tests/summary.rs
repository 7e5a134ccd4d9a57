//! Per-cell summaries checked by hand, and the summary CSV file.

#![allow(clippy::unwrap_used)]

mod common;

use common::{failed, record};
use sieve_results::{summarize, summarize_metric, write_summary_csv, Metric, Record, SummaryRow};

/// t.ppf(0.975, 2) (scipy / mpmath).
const T975_DF2: f64 = 4.302_652_729_749_464;
/// sem of three values whose std is 0.02: 0.02 / √3.
const SEM_002_N3: f64 = 0.011_547_005_383_792_516;

fn close(a: Option<f64>, b: f64) {
    let a = a.unwrap();
    assert!((a - b).abs() < 1e-12, "{a} vs {b}");
}

/// random and entropy × repeats 0..3 × rounds 0, 1, plus one failed entropy
/// evaluation (repeat 3, round 1).
fn records() -> Vec<Record> {
    let mut rs = Vec::new();
    // Round 0: both start from the same seeded initial set, so they agree.
    for (rep, acc) in [(0, 0.5), (1, 0.6), (2, 0.7)] {
        rs.push(record("random", rep, 0, acc));
        rs.push(record("entropy", rep, 0, acc));
    }
    // Round 1: random 0.70 0.72 0.74, entropy 0.75 0.79 0.77.
    for (rep, r, e) in [(0, 0.70, 0.75), (1, 0.72, 0.79), (2, 0.74, 0.77)] {
        rs.push(record("random", rep, 1, r));
        rs.push(record("entropy", rep, 1, e));
    }
    rs.push(failed("entropy", 3, 1));
    rs
}

fn find<'a>(rows: &'a [SummaryRow], strategy: &str, round: u32) -> &'a SummaryRow {
    rows.iter()
        .find(|r| r.method == strategy && r.round == Some(round) && r.regularization == "none")
        .unwrap()
}

#[test]
fn two_strategies_three_repeats_two_rounds() {
    let rows = summarize(&records());
    assert_eq!(rows.len(), 4);

    // Order: round 0 then 1; random before entropy although "entropy" < "random".
    let order: Vec<(u32, &str)> = rows
        .iter()
        .map(|r| (r.round.unwrap(), r.method.as_str()))
        .collect();
    assert_eq!(
        order,
        vec![(0, "random"), (0, "entropy"), (1, "random"), (1, "entropy")]
    );

    // Round 1, random: mean 0.72, std 0.02, sem 0.02/√3, CI 0.72 ± t·sem.
    let random = find(&rows, "random", 1);
    assert_eq!((random.n, random.failed, random.x), (3, 0, Some(20.0)));
    close(random.mean, 0.72);
    close(random.std, 0.02);
    close(random.sem, SEM_002_N3);
    close(random.ci_low, 0.72 - T975_DF2 * SEM_002_N3);
    close(random.ci_high, 0.72 + T975_DF2 * SEM_002_N3);
    close(random.min, 0.70);
    close(random.max, 0.74);
    assert_eq!(random.diff_vs_reference, None);
    assert_eq!(random.n_pairs, 0);

    // Round 1, entropy: mean 0.77 (the failed repeat 3 is excluded and counted).
    // Differences by repeat: 0.05, 0.07, 0.03 -> mean 0.05, std 0.02, sem 0.02/√3;
    // t = 0.05 / sem = 4.330127018922194, two-sided p (df 2) = 0.04941362421328312.
    let entropy = find(&rows, "entropy", 1);
    assert_eq!((entropy.n, entropy.failed, entropy.n_pairs), (3, 1, 3));
    close(entropy.mean, 0.77);
    close(entropy.std, 0.02);
    close(entropy.diff_vs_reference, 0.05);
    close(entropy.diff_ci_low, 0.05 - T975_DF2 * SEM_002_N3);
    close(entropy.diff_ci_high, 0.05 + T975_DF2 * SEM_002_N3);
    assert!((entropy.diff_p_value.unwrap() - 0.049_413_624_213_283_12).abs() < 1e-12);
    assert_eq!(entropy.metric, "test_accuracy");
    assert_eq!(entropy.confidence, 0.95);

    // Round 0: identical to random at every repeat.
    let entropy0 = find(&rows, "entropy", 0);
    close(entropy0.mean, 0.6);
    close(entropy0.diff_vs_reference, 0.0);
    close(entropy0.diff_ci_low, 0.0);
    assert_eq!(entropy0.diff_p_value, Some(1.0));
    assert_eq!(entropy0.x, Some(10.0));
}

#[test]
fn failed_rows_are_counted_and_excluded() {
    let mut rs = records();
    // A failed row that still carries a (garbage) accuracy must not count.
    let mut bad = record("entropy", 4, 1, 0.0);
    bad.status = "failed: out of memory".into();
    rs.push(bad);
    // An ok row without a finite metric is not usable either.
    let mut nan = record("entropy", 5, 1, f64::NAN);
    nan.metrics
        .set(sieve_results::Metric::TEST_ACCURACY, Some(f64::NAN));
    rs.push(nan);
    let rows = summarize(&rs);
    let entropy = find(&rows, "entropy", 1);
    assert_eq!((entropy.n, entropy.failed), (3, 3));
    close(entropy.mean, 0.77);
    close(entropy.min, 0.75);
}

#[test]
fn cell_with_only_failures_has_no_statistics() {
    let rows = summarize(&[failed("random", 0, 0), failed("random", 1, 0)]);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!((r.n, r.failed), (0, 2));
    assert_eq!((r.mean, r.std, r.ci_low, r.min), (None, None, None, None));
}

#[test]
fn comparisons_stay_within_their_setting() {
    let mut rs = records();
    // A second regularization setting with only entropy: nothing to compare with.
    for rep in 0..3 {
        let mut r = record("entropy", rep, 1, 0.9);
        r.regularization = "strong".into();
        r.trial_id.push_str("/strong");
        rs.push(r);
    }
    let rows = summarize(&rs);
    assert_eq!(rows.len(), 5);
    let strong = rows.last().unwrap();
    assert_eq!(strong.regularization, "strong");
    assert_eq!((strong.diff_vs_reference, strong.n_pairs), (None, 0));
}

#[test]
fn second_random_variant_is_compared_with_the_first() {
    // An A/A check: a second random cell (different params) gets a difference.
    let mut rs = records();
    for (rep, acc) in [(0, 0.71), (1, 0.72), (2, 0.73)] {
        let mut r = record("random", rep, 1, acc);
        r.method_params = r#"{"stream":2}"#.into();
        r.trial_id.push_str("/aa");
        rs.push(r);
    }
    let rows = summarize(&rs);
    let aa = rows
        .iter()
        .find(|r| r.method_params.contains("stream"))
        .unwrap();
    // Differences 0.01, 0.00, -0.01: mean 0.
    close(aa.diff_vs_reference, 0.0);
    let reference = find(&rows, "random", 1);
    assert_eq!(reference.method_params, "{}");
    assert_eq!(reference.diff_vs_reference, None);
}

#[test]
fn other_metrics_and_levels() {
    // test_loss = 1 - accuracy, so entropy's loss difference is -0.05.
    let rows = summarize_metric(&records(), Metric::TEST_LOSS, 0.90);
    let entropy = find(&rows, "entropy", 1);
    assert_eq!(entropy.metric, "test_loss");
    close(entropy.diff_vs_reference, -0.05);
    // t.ppf(0.95, 2) = 2.919985580353726 (scipy).
    close(
        entropy.diff_ci_high,
        -0.05 + 2.919_985_580_353_724_2 * SEM_002_N3,
    );
}

#[test]
fn duplicate_trial_rounds_count_once() {
    let mut rs = records();
    rs.push(record("random", 0, 1, 0.0));
    let random = find(&summarize(&rs), "random", 1).clone();
    assert_eq!(random.n, 3);
    close(random.mean, 0.72);
}

#[test]
fn summary_csv_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.csv");
    let rows = summarize(&records());
    write_summary_csv(&rows, &path).unwrap();
    // Overwriting works too, and leaves no temporary file behind.
    write_summary_csv(&rows, &path).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["summary.csv"]);

    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, SummaryRow::columns());
    let back: Vec<SummaryRow> = rdr.deserialize().map(Result::unwrap).collect();
    assert_eq!(back, rows);
    // The reference row's difference cells are empty, not NaN.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("NaN"));
}

#[test]
fn empty_summary_still_has_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.csv");
    write_summary_csv(&[], &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{}\n", SummaryRow::columns().join(",")));
}

#[test]
fn several_evaluation_models_per_repeat_are_averaged_within_the_repeat() {
    // Condensation evaluates several models per repeat: repeat 0 has 0.5, 0.6, 0.7 (mean
    // 0.6), repeat 1 has 0.8, 0.9, 1.0 (mean 0.9). The cell has two samples, 0.6 and 0.9;
    // the pooled spread is over all six models.
    let mut rs = Vec::new();
    for (repeat, values) in [(0u32, [0.5, 0.6, 0.7]), (1, [0.8, 0.9, 1.0])] {
        for (e, v) in values.iter().enumerate() {
            let mut r = record("random", repeat, 0, *v);
            r.eval_index = e as u32;
            rs.push(r);
        }
    }
    let rows = summarize(&rs);
    let row = find(&rows, "random", 0);
    assert_eq!(row.n, 2);
    close(row.mean, 0.75);
    // std of (0.6, 0.9) = 0.212132...
    close(row.std, 0.212_132_034_355_964_25);
    assert_eq!(row.n_evaluations, 6);
    // Sample std of 0.5..1.0 in steps of 0.1 = 0.187082869...
    close(row.std_evaluations, 0.187_082_869_338_697_07);
}

#[test]
fn numerically_equal_whole_curves_are_indistinguishable_not_better() {
    // Entropy's curve equals random's but its AUBC is summed in another order, so the
    // difference is ~1e-16, not 0. Before, that was a 'better' verdict with p 0.
    let mut rs = Vec::new();
    for repeat in 0..4u32 {
        for (round, acc) in [(0, 0.1f64), (1, 0.2), (2, 0.7)].iter().copied() {
            let v = acc + f64::from(repeat) * 0.013;
            rs.push(record("random", repeat, round, v));
            // The same value reached another way: one ulp off (0.1 + 0.2 vs 0.3).
            let other = v * (1.0 + f64::EPSILON);
            assert_ne!(other, v);
            rs.push(record("entropy", repeat, round, other));
        }
    }
    let summary = sieve_results::summarize_with(&rs, &sieve_results::ReportOptions::default());
    let checked: Vec<_> = summary
        .rows
        .iter()
        .filter(|r| r.method == "entropy")
        .filter(|r| r.metric == "test_accuracy" || r.metric == "test_accuracy_aubc")
        .collect();
    assert!(checked.len() >= 4);
    for r in checked {
        assert_eq!(r.verdict, "indistinguishable", "{r:?}");
        assert_eq!(r.diff_vs_reference, Some(0.0), "{r:?}");
    }
}

#[test]
fn a_constant_difference_has_no_effect_size_and_a_clear_p() {
    // Every repeat exactly one test item (1/300) apart, with float noise in the sums.
    let mut rs = Vec::new();
    for repeat in 0..5u32 {
        let base = 0.5 + 0.01 * f64::from(repeat);
        rs.push(record("random", repeat, 0, base));
        rs.push(record("entropy", repeat, 0, base + 1.0 / 300.0));
    }
    let rows = summarize(&rs);
    let row = find(&rows, "entropy", 0);
    assert_eq!(row.effect_size, None, "s_d = 0: no effect size");
    assert_eq!(
        row.diff_p_value,
        Some(0.0),
        "a constant non-zero difference"
    );
    close(row.diff_ci_low, 1.0 / 300.0);
}

#[test]
fn repeats_exactly_at_the_target_reach_it() {
    use sieve_results::{labels_to_reach, LabelsNeeded};
    // Random's mean of three 0.73s is 0.7300000000000001.
    let target = 0.730_000_000_000_000_1_f64;
    assert!(target > 0.73);
    assert_eq!(
        labels_to_reach(&[(10.0, 0.5), (20.0, 0.73)], target),
        Some(LabelsNeeded::Reached(20.0))
    );
}

#[test]
fn a_curve_with_missing_rounds_has_no_aubc() {
    // A sweep still running: entropy's repeat 2 has rounds 0 and 1 only, so its curve
    // spans a shorter x range and its AUBC would not be comparable.
    let mut rs = Vec::new();
    for repeat in 0..3u32 {
        for round in 0..3u32 {
            rs.push(record(
                "random",
                repeat,
                round,
                0.5 + 0.1 * f64::from(round),
            ));
            if !(repeat == 2 && round == 2) {
                rs.push(record(
                    "entropy",
                    repeat,
                    round,
                    0.52 + 0.1 * f64::from(round),
                ));
            }
        }
    }
    let summary = sieve_results::summarize_with(&rs, &sieve_results::ReportOptions::default());
    let aubc = summary
        .rows
        .iter()
        .find(|r| r.method == "entropy" && r.metric == "test_accuracy_aubc")
        .unwrap();
    assert_eq!((aubc.n, aubc.failed), (2, 1));
}

/// `[report] targets`: the labels each repeat needs to reach a fixed accuracy, by linear
/// interpolation between rounds, compared with random. Random: 0.5, 0.6, 0.7 (+0.001 per
/// repeat) at 10, 20, 30 labels; margin 0.05 higher throughout. To reach 0.6, random
/// needs 20 − 0.1·r labels (mean 19.9 over r = 0, 1, 2) and margin 15 − 0.1·r (14.9):
/// 5 fewer in every repeat, so margin is better. Random never reaches 0.72, so margin's
/// 27 − 0.1·r (26.9) gets no verdict.
#[test]
fn fixed_accuracy_targets_give_the_labels_needed_by_hand() {
    let mut rs = Vec::new();
    for repeat in 0..3u32 {
        for round in 0..3u32 {
            let base = 0.5 + 0.1 * f64::from(round) + 0.001 * f64::from(repeat);
            rs.push(record("random", repeat, round, base));
            rs.push(record("margin", repeat, round, base + 0.05));
        }
    }
    let options = sieve_results::ReportOptions {
        targets: vec![0.6, 0.72],
        ..sieve_results::ReportOptions::default()
    };
    let summary = sieve_results::summarize_with(&rs, &options);
    let row = |method: &str, name: &str| {
        summary
            .rows
            .iter()
            .find(|r| r.method == method && r.metric == name)
            .unwrap_or_else(|| panic!("no {method} {name}"))
            .clone()
    };
    let random = row("random", "test_accuracy_x_to_0.6");
    let margin = row("margin", "test_accuracy_x_to_0.6");
    close(random.mean, 19.9);
    close(margin.mean, 14.9);
    close(margin.diff_vs_reference, -5.0);
    assert_eq!(margin.verdict, "better");
    assert!(
        random.note.contains("target test_accuracy = 0.6"),
        "{}",
        random.note
    );
    let random = row("random", "test_accuracy_x_to_0.72");
    let margin = row("margin", "test_accuracy_x_to_0.72");
    assert_eq!((random.n, random.not_reached), (0, Some(3)));
    close(margin.mean, 26.9);
    assert!(
        margin.verdict.starts_with("no verdict"),
        "{}",
        margin.verdict
    );
    // Only for higher-is-better metrics: no loss target rows.
    assert!(!summary
        .rows
        .iter()
        .any(|r| r.metric.starts_with("test_loss_x_to_0")));
    let dir = tempfile::tempdir().unwrap();
    let mut writer =
        sieve_results::RecordWriter::open_append(&dir.path().join("records.csv"), &common::METRICS)
            .unwrap();
    for r in &rs {
        writer.append(r).unwrap();
    }
    drop(writer);
    let options = sieve_results::ReportOptions {
        plots: false,
        ..options
    };
    sieve_results::write_report(dir.path(), &options).unwrap();
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        md.contains("labels to 60%") && md.contains("labels to 72%"),
        "{md}"
    );
    // Bad targets are refused with the field named.
    let bad = sieve_results::ReportOptions {
        targets: vec![f64::NAN],
        ..sieve_results::ReportOptions::default()
    };
    assert!(bad.validate().unwrap_err().contains("targets"));
}

/// Online selection's speed-up: per repeat, the reference's steps to the target over the
/// method's. Uniform: 0.5, 0.6, 0.7 at 10, 20, 30 steps; `rho_loss` gets there faster:
/// 0.6, 0.7, 0.8. To reach 0.6 uniform needs 20 steps and rho_loss 10 (speed-up 2); to
/// reach uniform's final mean 0.7, 30 and 20 (1.5).
#[test]
fn online_speed_up_is_the_ratio_of_steps_by_hand() {
    let mut rs = Vec::new();
    for repeat in 0..3u32 {
        for round in 0..3u32 {
            let base = 0.5 + 0.1 * f64::from(round);
            for (method, value) in [("uniform", base), ("rho_loss", base + 0.1)] {
                let mut r = record(method, repeat, round, value);
                r.kind = "online".into();
                r.axis = "keep".into();
                r.axis_value = "keep0.1".into();
                r.x_name = "steps".into();
                r.trial_id = format!("digits/none/mlp/none/keep0.1/{method}/r{repeat}");
                rs.push(r);
            }
        }
    }
    let options = sieve_results::ReportOptions {
        targets: vec![0.6],
        ..sieve_results::ReportOptions::default()
    };
    let summary = sieve_results::summarize_with(&rs, &options);
    let row = |method: &str, name: &str| {
        summary
            .rows
            .iter()
            .find(|r| r.method == method && r.metric == name)
            .unwrap_or_else(|| panic!("no {method} {name}"))
            .clone()
    };
    // Fixed target 0.6: 20 / 10 = 2 in every repeat.
    let fixed = row("rho_loss", "test_accuracy_speedup_to_0.6");
    close(fixed.mean, 2.0);
    close(fixed.diff_vs_reference, 1.0);
    close(row("uniform", "test_accuracy_speedup_to_0.6").mean, 1.0);
    // Uniform's final mean 0.7: uniform needs 30 steps, rho_loss 20: 1.5.
    let own = row("rho_loss", "test_accuracy_speedup");
    close(own.mean, 1.5);
    assert_eq!(own.n_pairs, 3);
    // Other kinds have no speed-up rows.
    let active: Vec<_> = rs
        .iter()
        .cloned()
        .map(|mut r| {
            r.kind = "active".into();
            if r.method == "uniform" {
                r.method = "random".into();
            }
            r
        })
        .collect();
    let summary = sieve_results::summarize_with(&active, &options);
    assert!(summary
        .rows
        .iter()
        .any(|r| r.metric == "test_accuracy_x_to_reference"));
    assert!(!summary.rows.iter().any(|r| r.metric.contains("speedup")));
}

/// Continual learning's backward transfer and forgetting from a 3-task accuracy matrix,
/// by hand: R = [[0.9], [0.6, 0.95], [0.5, 0.7, 0.9]].
/// BWT = ((0.5 − 0.9) + (0.7 − 0.95)) / 2 = −0.325.
/// Forgetting = ((max(0.9, 0.6) − 0.5) + (0.95 − 0.7)) / 2 = 0.325.
/// A matrix with a task that improved later: R = [[0.5], [0.8, 0.9], [0.7, 0.9, 0.9]]:
/// BWT = ((0.7 − 0.5) + (0.9 − 0.9)) / 2 = 0.1; forgetting = ((0.8 − 0.7) + 0) / 2 = 0.05.
#[test]
fn backward_transfer_and_forgetting_by_hand() {
    use std::collections::BTreeMap;
    let matrix = |rows: &[&[f64]]| {
        let mut m = BTreeMap::new();
        for (t, row) in rows.iter().enumerate() {
            for (i, &v) in row.iter().enumerate() {
                m.insert((t as u32, i as u32), v);
            }
        }
        m
    };
    let (bwt, forgetting) = sieve_results::transfer_and_forgetting(
        &matrix(&[&[0.9], &[0.6, 0.95], &[0.5, 0.7, 0.9]]),
        3,
    )
    .unwrap();
    close(Some(bwt), -0.325);
    close(Some(forgetting), 0.325);
    let (bwt, forgetting) = sieve_results::transfer_and_forgetting(
        &matrix(&[&[0.5], &[0.8, 0.9], &[0.7, 0.9, 0.9]]),
        3,
    )
    .unwrap();
    close(Some(bwt), 0.1);
    close(Some(forgetting), 0.05);
    // A missing entry: no value rather than a biased one.
    let mut partial = matrix(&[&[0.5], &[0.8, 0.9], &[0.7, 0.9, 0.9]]);
    partial.remove(&(1, 1));
    assert!(sieve_results::transfer_and_forgetting(&partial, 3).is_none());
}
