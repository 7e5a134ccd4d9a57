//! The spread over repeats of each method's AUBC: one point per repeat (so a
//! reader sees how many there are and how far apart), with the mean and its
//! interval as a bar.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::curves::padded;
use super::legend::{draw_markers, short};
use super::{font::FAMILY, SVGOrBitmap, SettingData};
use crate::cells::Arm;
use crate::curves::aubc;
use crate::options::ReportOptions;
use crate::summary::AUBC_SUFFIX;

/// The plot body; `false` when no trial has an AUBC.
pub(crate) fn draw(
    area: &DrawingArea<SVGOrBitmap<'_>, Shift>,
    data: &SettingData<'_>,
    options: &ReportOptions,
) -> Result<bool, String> {
    let metric = options.primary_metric();
    let scale = metric.display_scale();
    // Per-trial AUBC, complete trials only (as in the summary).
    type Trial = (Vec<(f64, f64)>, bool);
    let mut trials: BTreeMap<(Arm, u32), Trial> = BTreeMap::new();
    for r in &data.records {
        let e = trials
            .entry((Arm::of(r), r.repeat))
            .or_insert_with(|| (Vec::new(), true));
        match r.metric(metric).filter(|v| r.is_ok() && v.is_finite()) {
            Some(v) => e.0.push((r.x, v)),
            None => e.1 = false,
        }
    }
    let points: Vec<(Arm, u32, f64)> = trials
        .into_iter()
        .filter(|(_, (_, complete))| *complete)
        .filter_map(|((arm, rep), (pts, _))| aubc(&pts).map(|a| (arm, rep, a * scale)))
        .collect();
    if points.is_empty() {
        return Ok(false);
    }
    let name = format!("{}{AUBC_SUFFIX}", metric.as_str());
    let means: BTreeMap<Arm, (f64, f64, f64)> = data
        .rows
        .iter()
        .filter(|r| r.metric == name)
        .filter_map(|r| {
            let m = r.mean?;
            Some((
                r.arm(),
                (
                    m * scale,
                    r.ci_low.unwrap_or(m) * scale,
                    r.ci_high.unwrap_or(m) * scale,
                ),
            ))
        })
        .collect();
    let arms: Vec<&(Arm, super::palette::Look)> = data
        .arms
        .iter()
        .filter(|(a, _)| points.iter().any(|p| &p.0 == a))
        .collect();
    if arms.is_empty() {
        return Ok(false);
    }
    let ny = arms.len() as u32;
    let (mut x0, mut x1) = padded(
        points
            .iter()
            .map(|p| p.2)
            .chain(means.values().flat_map(|m| [m.1, m.2])),
        0.08,
    );
    // Never beyond what the metric can be (an accuracy interval of 2 repeats can reach
    // 140%); an interval cut at the frame is marked with an arrow head.
    if let Some((lo, hi)) = metric.def().range {
        x0 = x0.max(lo * scale);
        x1 = x1.min(hi * scale);
        if x1 <= x0 {
            (x0, x1) = (lo * scale, (hi * scale).min(lo * scale + 1.0));
        }
    }
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .margin_right(40)
        .x_label_area_size(70)
        .y_label_area_size(300)
        .build_cartesian_2d(x0..x1, (0..ny - 1).into_segmented())
        .map_err(|e| e.to_string())?;
    let y_fmt = |v: &SegmentValue<u32>| match v {
        SegmentValue::CenterOf(i) => arms
            .get((ny - 1 - i.min(&(ny - 1))) as usize)
            .map_or(String::new(), |a| short(&a.0.label())),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(ny as usize)
        .y_label_formatter(&y_fmt)
        .x_desc(format!(
            "AUBC, {} (dots: repeats; bar: mean and {:.0}% CI)",
            metric.display_name(),
            options.confidence * 100.0
        ))
        .label_style((FAMILY, 20))
        .axis_desc_style((FAMILY, 22))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(|e| e.to_string())?;
    for (k, (arm, look)) in arms.iter().map(|a| (&a.0, &a.1)).enumerate() {
        let y = ny - 1 - k as u32;
        let yc = SegmentValue::CenterOf(y);
        if let Some(&(m, lo, hi)) = means.get(arm) {
            let (clo, chi) = (lo.max(x0), hi.min(x1));
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(clo, yc.clone()), (chi, yc.clone())],
                    look.colour.stroke_width(3),
                )))
                .map_err(|e| e.to_string())?;
            for (clipped, at, text) in [(lo < x0, clo, "◀"), (hi > x1, chi, "▶")] {
                if clipped {
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((at, yc.clone()))
                                + Text::new(text, (-7, -9), (FAMILY, 18).into_font()),
                        ))
                        .map_err(|e| e.to_string())?;
                }
            }
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((m, yc.clone()))
                        + Rectangle::new([(-2, -14), (2, 14)], look.colour.filled()),
                ))
                .map_err(|e| e.to_string())?;
        }
        // Repeats just above the bar, spread by repeat index so ties stay visible.
        let pts = points
            .iter()
            .filter(|p| &p.0 == arm)
            .map(|p| {
                let dy = -12 - (p.1 % 4) as i32 * 5;
                ((p.2, yc.clone()), (0, dy))
            })
            .collect();
        draw_markers(&mut chart, pts, look, 5, 0.6)?;
    }
    Ok(true)
}
