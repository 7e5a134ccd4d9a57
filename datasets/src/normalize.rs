//! Per-channel standardisation, fitted on the train split only.

use serde::{Deserialize, Serialize};

use crate::set::{DataSplits, LabeledSet};

/// Smallest standard deviation divided by, so a constant channel maps to 0, not NaN.
const STD_FLOOR: f32 = 1e-6;

/// Per-channel mean/std fitted on the train split, applied to both splits (in place).
///
/// Fitting on train only keeps the test split truly held out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelStats {
    /// Mean of each channel.
    pub mean: Vec<f32>,
    /// Population standard deviation of each channel, floored at `1e-6`.
    pub std: Vec<f32>,
}

impl ChannelStats {
    /// Mean and std of each channel over every example and pixel of `set`
    /// (accumulated in `f64`). An empty set gives mean 0, std 1 (identity).
    pub fn fit(set: &LabeledSet) -> Self {
        let channels = set.shape.channels;
        let plane = set.shape.plane();
        let mut sum = vec![0f64; channels];
        let mut sum_sq = vec![0f64; channels];
        if plane > 0 {
            for example in set.features.chunks_exact(set.shape.len()) {
                for (c, values) in example.chunks_exact(plane).enumerate() {
                    for &v in values {
                        let v = f64::from(v);
                        sum[c] += v;
                        sum_sq[c] += v * v;
                    }
                }
            }
        }
        let count = (set.len() * plane) as f64;
        let mut mean = vec![0f32; channels];
        let mut std = vec![1f32; channels];
        if count > 0.0 {
            for c in 0..channels {
                let m = sum[c] / count;
                let var = (sum_sq[c] / count - m * m).max(0.0);
                mean[c] = m as f32;
                std[c] = (var.sqrt() as f32).max(STD_FLOOR);
            }
        }
        Self { mean, std }
    }

    /// Replaces every value `x` of channel `c` by `(x - mean[c]) / std[c]`.
    /// Channels beyond the fitted ones (a mismatched set) are left unchanged.
    pub fn apply(&self, set: &mut LabeledSet) {
        let row = set.shape.len();
        let plane = set.shape.plane();
        if row == 0 || plane == 0 {
            return;
        }
        debug_assert_eq!(self.mean.len(), set.shape.channels);
        for (c, pad) in set.pad_value.iter_mut().enumerate() {
            if let (Some(&m), Some(&sd)) = (self.mean.get(c), self.std.get(c)) {
                *pad = (*pad - m) * (1.0 / sd.max(STD_FLOOR));
            }
        }
        for example in set.features.chunks_exact_mut(row) {
            for ((values, &m), &s) in example
                .chunks_exact_mut(plane)
                .zip(&self.mean)
                .zip(&self.std)
            {
                let inv = 1.0 / s.max(STD_FLOOR);
                for v in values {
                    *v = (*v - m) * inv;
                }
            }
        }
    }
}

impl DataSplits {
    /// Fits per-channel statistics on train and applies them to both splits.
    pub fn normalize(&mut self) -> ChannelStats {
        let stats = ChannelStats::fit(&self.train);
        stats.apply(&mut self.train);
        stats.apply(&mut self.test);
        stats
    }
}
