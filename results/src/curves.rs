//! Whole-curve summaries of one trial: the normalised area under the budget
//! curve (AUBC) and label efficiency (labels needed to reach a target).
//!
//! Both are computed per trial (one repeat of one arm) and then aggregated over
//! repeats like any per-round metric, so they get intervals and paired tests too.

/// Normalised AUBC of a curve given as (labeled, value) points: the trapezoid
/// area over the labeled count divided by the labeled range, so it is in the
/// metric's units (an average accuracy over the budget range).
///
/// Points are sorted by labeled count first. `None` for fewer than two points,
/// a zero range, or a non-finite value.
pub fn aubc(points: &[(f64, f64)]) -> Option<f64> {
    let sorted = sorted(points)?;
    let (first, last) = (sorted.first()?.0, sorted.last()?.0);
    let range = last - first;
    if sorted.len() < 2 || range <= 0.0 {
        return None;
    }
    let area: f64 = sorted
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum();
    Some(area / range)
}

/// Whether a curve reaches a target, and with how many labels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LabelsNeeded {
    /// Labels at which the curve first reaches the target (linear interpolation
    /// between the two evaluations around the crossing).
    Reached(f64),
    /// The curve stays below the target at every evaluation.
    NotReached,
}

/// Labels a curve needs to reach `target` (a higher-is-better metric): the
/// first labeled count where it is at or above the target, interpolating
/// linearly on the segment where it crosses. `None` for an empty curve or
/// non-finite input.
pub fn labels_to_reach(points: &[(f64, f64)], target: f64) -> Option<LabelsNeeded> {
    if !target.is_finite() {
        return None;
    }
    let sorted = sorted(points)?;
    let first = sorted.first()?;
    // A target computed as a mean of equal values can land one ulp above them
    // (0.7300000000000001 for 0.73s): reaching it is judged to that resolution.
    let reaches = |y: f64| y >= target - 1e-12 * target.abs().max(1.0);
    if reaches(first.1) {
        return Some(LabelsNeeded::Reached(first.0));
    }
    for w in sorted.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if reaches(y1) {
            if y1 <= target {
                return Some(LabelsNeeded::Reached(x1));
            }
            // y0 < target <= y1, so y1 > y0.
            return Some(LabelsNeeded::Reached(
                x0 + (target - y0) / (y1 - y0) * (x1 - x0),
            ));
        }
    }
    Some(LabelsNeeded::NotReached)
}

/// The points sorted by labeled count; `None` if any is not finite.
fn sorted(points: &[(f64, f64)]) -> Option<Vec<(f64, f64)>> {
    if points.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
        return None;
    }
    let mut v = points.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aubc_by_hand() {
        // (20, .6) (40, .7) (80, .8): areas 20·.65 = 13 and 40·.75 = 30, over a
        // range of 60: 43 / 60 = 0.716666...
        let p = [(40.0, 0.7), (20.0, 0.6), (80.0, 0.8)];
        assert!((aubc(&p).unwrap() - 43.0 / 60.0).abs() < 1e-15);
        // numpy.trapezoid([.6, .7, .8], [20, 40, 80]) / 60 = 0.7166666666666667
        assert!((aubc(&p).unwrap() - 0.716_666_666_666_666_7).abs() < 1e-15);
        // A flat curve has its level as AUBC.
        assert_eq!(aubc(&[(0.0, 0.5), (10.0, 0.5)]), Some(0.5));
        assert_eq!(aubc(&[(10.0, 0.5)]), None);
        assert_eq!(aubc(&[(10.0, 0.5), (10.0, 0.6)]), None);
        assert_eq!(aubc(&[(0.0, f64::NAN), (10.0, 0.6)]), None);
    }

    fn reached(got: Option<LabelsNeeded>, want: f64) {
        match got {
            Some(LabelsNeeded::Reached(x)) => assert!((x - want).abs() < 1e-9, "{x} vs {want}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn labels_by_interpolation() {
        let p = [(20.0, 0.6), (40.0, 0.7), (60.0, 0.9)];
        // 0.8 lies halfway between 0.7 and 0.9: 40 + 0.5 · 20 = 50.
        assert_eq!(labels_to_reach(&p, 0.8), Some(LabelsNeeded::Reached(50.0)));
        // Exactly at a point, and already at the first.
        assert_eq!(labels_to_reach(&p, 0.7), Some(LabelsNeeded::Reached(40.0)));
        assert_eq!(labels_to_reach(&p, 0.5), Some(LabelsNeeded::Reached(20.0)));
        assert_eq!(labels_to_reach(&p, 0.95), Some(LabelsNeeded::NotReached));
        // numpy.interp(0.65, [0.6, 0.7], [20, 40]) = 30.0
        reached(labels_to_reach(&p, 0.65), 30.0);
        // A curve that dips: the first crossing counts (10 + 10 · 0.2 / 0.3).
        let dip = [(10.0, 0.5), (20.0, 0.8), (30.0, 0.6), (40.0, 0.9)];
        reached(labels_to_reach(&dip, 0.7), 10.0 + 10.0 * 2.0 / 3.0);
        assert_eq!(labels_to_reach(&[], 0.5), None);
    }
}
