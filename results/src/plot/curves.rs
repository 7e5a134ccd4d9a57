//! Learning curves of one setting: mean metric against labeled count per method,
//! the interval of the mean as a band, and every repeat as a faint point.

use std::collections::BTreeMap;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::legend::{dash_pattern, draw_legend, draw_markers};
use super::{font::FAMILY, SVGOrBitmap, SettingData, LEGEND_WIDTH, SIZE};
use crate::cells::Arm;
use crate::options::ReportOptions;

/// (labeled, mean, low, high) per arm, in display units, sorted by labeled.
pub(crate) type Series = BTreeMap<Arm, Vec<(f64, f64, f64, f64)>>;

/// Per arm, `(labeled, value, low, high)` of the report's primary metric, scaled for
/// display; `pick` gives a row's value and interval (the interval defaults to the value).
pub(crate) fn collect_series(
    data: &SettingData<'_>,
    options: &ReportOptions,
    pick: impl Fn(&crate::summary::SummaryRow) -> Option<(f64, Option<f64>, Option<f64>)>,
) -> Series {
    let metric = options.primary_metric();
    let scale = metric.display_scale();
    let mut series: Series = BTreeMap::new();
    for r in &data.rows {
        if r.metric != metric.as_str() {
            continue;
        }
        let (Some(x), Some((v, lo, hi))) = (r.x, pick(r)) else {
            continue;
        };
        let (lo, hi) = (lo.unwrap_or(v), hi.unwrap_or(v));
        series
            .entry(r.arm())
            .or_default()
            .push((x, v * scale, lo * scale, hi * scale));
    }
    series
}

/// Padded range of `values`; a unit range around a single value.
pub(crate) fn padded(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    (lo - pad * span, hi + pad * span)
}

/// A chart over the curve's x (labeled count, fraction) and a value (y) with the mesh
/// and axis titles the curve plots share; `kind` names the x axis.
pub(crate) fn x_chart<'a, DB: DrawingBackend + 'a>(
    plot: &'a DrawingArea<DB, Shift>,
    kind: &str,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    y_desc: impl Into<String>,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let digits = if x1 - x0 < 10.0 { 3 } else { 0 };
    let mut chart = ChartBuilder::on(plot)
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(95)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(crate::kinds::kind_info(kind).x_label)
        .x_label_formatter(&|x| format!("{x:.digits$}"))
        .y_desc(y_desc)
        .label_style((FAMILY, 20))
        .axis_desc_style((FAMILY, 22))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// Draws a line in a method's dash style.
pub(crate) fn draw_line<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    points: Vec<(f64, f64)>,
    look: &super::palette::Look,
    width: u32,
) -> Result<(), String> {
    let style = look.colour.stroke_width(width);
    match dash_pattern(look.dash) {
        None => chart
            .draw_series(LineSeries::new(points, style))
            .map(|_| ()),
        Some((on, off)) => chart
            .draw_series(DashedLineSeries::new(points, on, off, style))
            .map(|_| ()),
    }
    .map_err(|e| e.to_string())
}

/// Most methods whose interval bands are all drawn.
const MAX_BANDS: usize = 6;

/// The plot body.
pub(crate) fn draw(
    area: &DrawingArea<SVGOrBitmap<'_>, Shift>,
    data: &SettingData<'_>,
    options: &ReportOptions,
) -> Result<bool, String> {
    let metric = options.primary_metric();
    let scale = metric.display_scale();
    let series = collect_series(data, options, |r| Some((r.mean?, r.ci_low, r.ci_high)));
    if series.is_empty() {
        return Ok(false);
    }
    let points: Vec<(Arm, f64, f64)> = data
        .records
        .iter()
        .filter(|r| r.is_ok())
        .filter_map(|r| {
            let v = r.metric(metric).filter(|v| v.is_finite())?;
            Some((Arm::of(r), r.x, v * scale))
        })
        .collect();
    let (x0, x1) = padded(series.values().flatten().map(|p| p.0), 0.03);
    // The axis follows the means and the repeats, not the bands: with 2 or 3 repeats a
    // t interval can be wider than the metric's whole range and would flatten every
    // curve. Bands are clipped to the frame instead.
    let (y0, y1) = padded(
        series
            .values()
            .flatten()
            .map(|p| p.1)
            .chain(points.iter().map(|p| p.2)),
        0.05,
    );
    let (plot, legend) = area.split_horizontally(SIZE.0 - LEGEND_WIDTH);
    let mut chart = x_chart(
        &plot,
        &data.setting.kind,
        (x0, x1),
        (y0, y1),
        metric.display_name(),
    )?;
    let x_jitter = (x1 - x0) * 0.004;
    let n = data.arms.len() as f64;
    // Past a handful of methods, overlapping bands turn the plot to mud: then only
    // random keeps its band (the difference plot carries every method's interval).
    let crowded = data.arms.len() > MAX_BANDS;
    for (k, (arm, look)) in data.arms.iter().enumerate() {
        let Some(s) = series.get(arm) else { continue };
        if s.len() > 1 && (!crowded || arm.is_reference()) {
            let band: Vec<(f64, f64)> = s
                .iter()
                .map(|p| (p.0, p.3.clamp(y0, y1)))
                .chain(s.iter().rev().map(|p| (p.0, p.2.clamp(y0, y1))))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band,
                    look.colour.mix(0.12).filled(),
                )))
                .map_err(|e| e.to_string())?;
        }
        // Repeats, nudged sideways per method so equal x values do not overlap.
        let shift = (k as f64 - (n - 1.0) / 2.0) * x_jitter;
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| &p.0 == arm)
                    .map(|p| Circle::new((p.1 + shift, p.2), 3, look.colour.mix(0.35).filled())),
            )
            .map_err(|e| e.to_string())?;
    }
    for (arm, look) in &data.arms {
        let Some(s) = series.get(arm) else { continue };
        let width = if arm.is_reference() { 4 } else { 3 };
        draw_line(
            &mut chart,
            s.iter().map(|p| (p.0, p.1)).collect(),
            look,
            width,
        )?;
        draw_markers(
            &mut chart,
            s.iter().map(|p| ((p.0, p.1), (0, 0))).collect(),
            look,
            6,
            1.0,
        )?;
    }
    let heading = if crowded {
        format!(
            "method (band: {:.0}% CI of {})",
            options.confidence * 100.0,
            data.setting.reference()
        )
    } else {
        format!("method (band: {:.0}% CI)", options.confidence * 100.0)
    };
    draw_legend(&legend, data, &heading)?;
    Ok(true)
}
