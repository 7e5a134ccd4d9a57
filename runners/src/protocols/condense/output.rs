//! What a condensation trial leaves in the results folder, under
//! `synthetic/<trial folder>/`: the training set its evaluation models used, as
//! `x_train.npy` (`[n, c, h, w]` float32, the sweep's normalised units) and
//! `y_train.npy` (int64 labels) — a folder `numpy.load` reads and sieve loads as a
//! dataset (`source = "npy"`) — a PNG grid (one row per class) and `condense.json`
//! (method, seconds, iterations). A resumed trial reloads the set instead of
//! condensing again.

use std::path::{Path, PathBuf};

use image::ImageEncoder;
use serde::{Deserialize, Serialize};
use sieve_bench_core::derive_seed;
use sieve_datasets::{load_npy_dir, ExampleShape, LabeledSet};

use crate::npy;
use crate::sweep::Trial;

/// `condense.json`: how the set was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CondenseInfo {
    pub trial_id: String,
    pub method: String,
    pub method_params: String,
    pub ipc: usize,
    pub classes: usize,
    /// Optimisation iterations (0 for real-image baselines).
    pub iterations: usize,
    /// Wall-clock seconds to condense (or select).
    pub seconds: f64,
    /// `seconds / iterations` (absent for real-image baselines).
    pub seconds_per_iteration: Option<f64>,
}

/// The folder of a trial's synthetic set: readable slug plus a digest of the trial id.
pub fn folder(out: &Path, trial: &Trial) -> PathBuf {
    let k = &trial.key;
    let slug: String = format!(
        "{}-{}-{}-{}-r{}",
        k.dataset, k.axis_value, k.method, k.model, k.repeat
    )
    .chars()
    .map(|c| {
        if c.is_ascii_alphanumeric() || c == '-' {
            c
        } else {
            '_'
        }
    })
    .collect();
    let digest = derive_seed(0, &["synthetic", &trial.id]);
    out.join("synthetic").join(format!("{slug}-{digest:08x}"))
}

/// Writes the set, the grid and the info (each file atomically; the info last, so a
/// folder with `condense.json` is complete).
pub fn save(dir: &Path, set: &LabeledSet, info: &CondenseInfo) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let s = set.shape;
    npy::write_f32(
        &dir.join("x_train.npy"),
        &[set.len(), s.channels, s.height, s.width],
        &set.features,
    )?;
    let labels: Vec<i64> = set.labels.iter().map(|&l| i64::from(l)).collect();
    npy::write_i64(&dir.join("y_train.npy"), &[set.len()], &labels)?;
    if s.is_image() {
        let png = grid_png(set, info.classes, info.ipc)?;
        sieve_results::write_atomic(&dir.join("grid.png"), &png)?;
    }
    let text = serde_json::to_string_pretty(info)?;
    sieve_results::write_atomic(&dir.join("condense.json"), text.as_bytes())?;
    Ok(())
}

/// The saved set of this trial, if a complete one is there (matching id, shape and size).
pub fn load(
    dir: &Path,
    trial_id: &str,
    shape: ExampleShape,
    classes: usize,
) -> Option<(LabeledSet, CondenseInfo)> {
    let text = std::fs::read_to_string(dir.join("condense.json")).ok()?;
    let info: CondenseInfo = serde_json::from_str(&text).ok()?;
    if info.trial_id != trial_id {
        return None;
    }
    let (set, _) = load_npy_dir(dir).ok()?;
    if set.shape != shape || set.len() != info.ipc * info.classes || info.classes != classes {
        return None;
    }
    let set = LabeledSet::new(shape, classes, set.features, set.labels).ok()?;
    Some((set, info))
}

/// A grid of the images, one row per class, `ipc` columns (at most 20 shown), each
/// image scaled to 0..255 by the set's 1st and 99th percentiles, 1-pixel gaps.
fn grid_png(set: &LabeledSet, classes: usize, ipc: usize) -> anyhow::Result<Vec<u8>> {
    let s = set.shape;
    let columns = ipc.clamp(1, 20);
    let (h, w) = (s.height, s.width);
    let width = columns * (w + 1) + 1;
    let height = classes * (h + 1) + 1;
    let mut sorted: Vec<f32> = set
        .features
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    sorted.sort_by(f32::total_cmp);
    let pick = |q: f64| {
        sorted
            .get(((sorted.len().saturating_sub(1)) as f64 * q) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let (lo, hi) = (pick(0.01), pick(0.99));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let color = s.channels == 3;
    let bytes_per = if color { 3 } else { 1 };
    let mut pixels = vec![255u8; width * height * bytes_per];
    for (i, &label) in set.labels.iter().enumerate() {
        let (row, col) = (label as usize, i % ipc);
        if col >= columns || row >= classes {
            continue;
        }
        let example = set.example(i);
        let (y0, x0) = (row * (h + 1) + 1, col * (w + 1) + 1);
        for y in 0..h {
            for x in 0..w {
                for b in 0..bytes_per {
                    let channel = if color { b } else { 0 };
                    let v = example[channel * h * w + y * w + x];
                    let scaled = (((v - lo) / span).clamp(0.0, 1.0) * 255.0).round() as u8;
                    pixels[((y0 + y) * width + x0 + x) * bytes_per + b] = scaled;
                }
            }
        }
    }
    let mut png = Vec::new();
    let kind = if color {
        image::ColorType::Rgb8
    } else {
        image::ColorType::L8
    };
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, width as u32, height as u32, kind)
        .map_err(|e| anyhow::anyhow!("cannot encode the image grid: {e}"))?;
    Ok(png)
}
