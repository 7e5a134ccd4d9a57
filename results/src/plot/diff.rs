//! Difference to random per method against labeled count: the mean paired
//! difference, its interval as a band, and a zero line.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::curves::{collect_series, draw_line, padded, x_chart};
use super::legend::{draw_legend, draw_markers};
use super::{SVGOrBitmap, SettingData, LEGEND_WIDTH, SIZE};
use crate::options::ReportOptions;

/// The plot body; `false` when no method has a paired difference.
pub(crate) fn draw(
    area: &DrawingArea<SVGOrBitmap<'_>, Shift>,
    data: &SettingData<'_>,
    options: &ReportOptions,
) -> Result<bool, String> {
    let metric = options.primary_metric();
    let series = collect_series(data, options, |r| {
        Some((r.diff_vs_reference?, r.diff_ci_low, r.diff_ci_high))
    });
    if series.is_empty() {
        return Ok(false);
    }
    let (x0, x1) = padded(series.values().flatten().map(|p| p.0), 0.03);
    let (y0, y1) = padded(
        series
            .values()
            .flatten()
            .flat_map(|p| [p.2, p.3])
            .chain([0.0]),
        0.05,
    );
    let (plot, legend) = area.split_horizontally(SIZE.0 - LEGEND_WIDTH);
    let unit = if metric.higher_is_better() {
        "points"
    } else {
        "nats"
    };
    let mut chart = x_chart(
        &plot,
        &data.setting.kind,
        (x0, x1),
        (y0, y1),
        format!("method − {} ({unit})", data.setting.reference()),
    )?;
    chart
        .draw_series(DashedLineSeries::new(
            vec![(x0, 0.0), (x1, 0.0)],
            10,
            6,
            BLACK.stroke_width(2),
        ))
        .map_err(|e| e.to_string())?;
    for (arm, look) in &data.arms {
        let Some(s) = series.get(arm) else { continue };
        if s.len() > 1 {
            let band: Vec<(f64, f64)> = s
                .iter()
                .map(|p| (p.0, p.3))
                .chain(s.iter().rev().map(|p| (p.0, p.2)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band,
                    look.colour.mix(0.12).filled(),
                )))
                .map_err(|e| e.to_string())?;
        }
    }
    for (arm, look) in &data.arms {
        let Some(s) = series.get(arm) else { continue };
        draw_line(&mut chart, s.iter().map(|p| (p.0, p.1)).collect(), look, 3)?;
        draw_markers(
            &mut chart,
            s.iter().map(|p| ((p.0, p.1), (0, 0))).collect(),
            look,
            6,
            1.0,
        )?;
    }
    let heading = format!("method (band: {:.0}% CI)", options.confidence * 100.0);
    draw_legend(&legend, data, &heading)?;
    Ok(true)
}
