//! One group of arms compared with random: per-arm estimates, paired differences,
//! both paired tests, Holm across the group, effect sizes and verdicts.
//!
//! A group is what one family of tests covers: the arms of one setting at one
//! round (or, for whole-curve summaries, over the whole curve), for one metric.

use crate::options::{IntervalMethod, PairedTest, ReportOptions};
use crate::stats::bootstrap::bootstrap_mean_interval;
use crate::stats::descriptive::{estimate, Estimate};
use crate::stats::holm::holm;
use crate::stats::paired::{paired_difference, paired_values};
use crate::stats::rng::stable_hash;
use crate::stats::verdict::{cohens_dz, verdict, Verdict};
use crate::stats::wilcoxon::wilcoxon_signed_rank;

/// One arm's samples in a group.
pub(crate) struct ArmInput {
    /// (repeat, value) of the repeats that contribute.
    pub values: Vec<(u32, f64)>,
    /// A stable text naming the cell, to derive bootstrap seeds from.
    pub seed_key: String,
    /// When set, no test is made and the verdict is withheld for this reason.
    pub withhold: Option<String>,
}

/// The paired comparison of an arm with the reference.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VersusRandom {
    pub n_pairs: usize,
    pub mean: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub t_p: Option<f64>,
    pub wilcoxon_p: Option<f64>,
    pub effect_size: Option<f64>,
    pub p_adjusted: Option<f64>,
    pub verdict: Verdict,
    pub note: Option<String>,
}

/// What the group analysis gives for one arm.
pub(crate) struct ArmOutput {
    pub estimate: Option<Estimate>,
    /// `None` for the reference itself, or when nothing pairs with it.
    pub versus: Option<VersusRandom>,
}

/// Estimates for every arm, and comparisons of every non-reference arm with
/// `arms[reference]`; p-values are Holm-adjusted across the compared arms.
pub(crate) fn analyze(
    arms: &[ArmInput],
    reference: Option<usize>,
    options: &ReportOptions,
    higher_is_better: bool,
) -> Vec<ArmOutput> {
    let conf = options.confidence;
    let mut out: Vec<ArmOutput> = arms
        .iter()
        .map(|arm| {
            let plain: Vec<f64> = arm.values.iter().map(|&(_, v)| v).collect();
            let mut est = estimate(&plain, conf);
            if let (Some(e), IntervalMethod::Bootstrap { resamples, seed }) =
                (est.as_mut(), options.interval)
            {
                let seed = seed ^ stable_hash(&format!("{}|mean", arm.seed_key));
                let ci = bootstrap_mean_interval(&plain, conf, resamples, seed);
                e.ci_low = ci.map(|c| c.0);
                e.ci_high = ci.map(|c| c.1);
            }
            ArmOutput {
                estimate: est,
                versus: None,
            }
        })
        .collect();
    let Some(r) = reference else {
        return out;
    };
    let ref_values = &arms[r].values;
    for (i, arm) in arms.iter().enumerate() {
        if i == r {
            continue;
        }
        let Some(d) = paired_difference(&arm.values, ref_values, conf) else {
            continue;
        };
        let diffs = paired_values(&arm.values, ref_values);
        let (mut ci_low, mut ci_high) = (d.ci_low, d.ci_high);
        if let IntervalMethod::Bootstrap { resamples, seed } = options.interval {
            let seed = seed ^ stable_hash(&format!("{}|diff", arm.seed_key));
            let ci = bootstrap_mean_interval(&diffs, conf, resamples, seed);
            ci_low = ci.map(|c| c.0);
            ci_high = ci.map(|c| c.1);
        }
        let wilcoxon_p = (d.n_pairs >= 2)
            .then(|| wilcoxon_signed_rank(&diffs).map(|w| w.p_value))
            .flatten();
        out[i].versus = Some(VersusRandom {
            n_pairs: d.n_pairs,
            mean: d.mean,
            ci_low,
            ci_high,
            t_p: d.p_value,
            wilcoxon_p,
            effect_size: cohens_dz(d.mean, d.std),
            p_adjusted: None,
            verdict: Verdict::NoVerdict,
            note: None,
        });
    }

    // Holm across the arms that get a test.
    let family: Vec<Option<f64>> = out
        .iter()
        .zip(arms)
        .map(|(o, arm)| {
            let v = o.versus.as_ref()?;
            if arm.withhold.is_some() {
                return None;
            }
            match options.test {
                PairedTest::T => v.t_p,
                PairedTest::Wilcoxon => v.wilcoxon_p,
            }
        })
        .collect();
    let adjusted = holm(&family);
    for ((o, arm), p_adj) in out.iter_mut().zip(arms).zip(adjusted) {
        let Some(v) = o.versus.as_mut() else {
            continue;
        };
        v.p_adjusted = p_adj;
        let (verdict_value, note) = match &arm.withhold {
            Some(why) => (Verdict::NoVerdict, Some(why.clone())),
            None => verdict(v.n_pairs, v.mean, p_adj, options.alpha, higher_is_better),
        };
        v.verdict = verdict_value;
        v.note = note;
    }
    out
}
