//! Continual learning's accuracy matrix, one panel per method: cell (t, i) is the mean
//! over repeats of `R[t][i]`, the metric on task i after training task t (records with
//! `round` = t and `eval_index` = i), on a sequential scale with its value printed.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::short;
use super::{font::FAMILY, SVGOrBitmap, SettingData};
use crate::cells::Arm;
use crate::options::ReportOptions;

/// `(t, i) -> (sum over repeats, count)` of one arm.
type Cells = BTreeMap<(u32, u32), (f64, usize)>;

/// White (0) to blue (1).
fn sequential(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: f64| (255.0 + (a - 255.0) * t).round() as u8;
    RGBColor(mix(33.0), mix(102.0), mix(172.0))
}

/// The plot body; `false` for kinds without an accuracy matrix.
pub(crate) fn draw(
    area: &DrawingArea<SVGOrBitmap<'_>, Shift>,
    data: &SettingData<'_>,
    options: &ReportOptions,
) -> Result<bool, String> {
    if !crate::kinds::kind_info(&data.setting.kind)
        .summaries
        .contains(&crate::kinds::CurveSummary::AccuracyMatrix)
    {
        return Ok(false);
    }
    let metric = options.primary_metric();
    let scale = metric.display_scale();
    let mut cells: BTreeMap<Arm, Cells> = BTreeMap::new();
    for r in &data.records {
        if let Some(v) = r.metric(metric).filter(|v| r.is_ok() && v.is_finite()) {
            let e = cells
                .entry(Arm::of(r))
                .or_default()
                .entry((r.round, r.eval_index))
                .or_insert((0.0, 0));
            e.0 += v;
            e.1 += 1;
        }
    }
    let tasks = cells
        .values()
        .flat_map(|m| m.keys().map(|k| k.0 + 1))
        .max()
        .unwrap_or(0);
    if cells.is_empty() || tasks == 0 {
        return Ok(false);
    }
    let arms: Vec<&Arm> = data
        .arms
        .iter()
        .map(|(a, _)| a)
        .filter(|a| cells.contains_key(a))
        .collect();
    let panels = area.split_evenly((1, arms.len()));
    let font = if tasks > 8 { 12 } else { 17 };
    for (panel, arm) in panels.iter().zip(&arms) {
        let matrix = &cells[*arm];
        let n = tasks;
        let mut chart = ChartBuilder::on(panel)
            .margin(12)
            .caption(short(&arm.label()), (FAMILY, 20))
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d((0..n - 1).into_segmented(), (0..n - 1).into_segmented())
            .map_err(|e| e.to_string())?;
        let label = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => format!("{}", i + 1),
            _ => String::new(),
        };
        // Rows: tasks trained, top to bottom (t = 1 on top).
        let row_label = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => format!("{}", n - i.min(&(n - 1))),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(n as usize)
            .y_labels(n as usize)
            .x_label_formatter(&label)
            .y_label_formatter(&row_label)
            .x_desc("task tested")
            .y_desc("after task")
            .label_style((FAMILY, 16))
            .axis_desc_style((FAMILY, 17))
            .draw()
            .map_err(|e| e.to_string())?;
        for (&(t, i), &(sum, count)) in matrix {
            if count == 0 || t >= n || i >= n {
                continue;
            }
            let value = sum / count as f64;
            let (x, y) = (i, n - 1 - t);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [
                        (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                    ],
                    sequential(value).filled(),
                )))
                .map_err(|e| e.to_string())?;
            let colour = if value > 0.6 { WHITE } else { BLACK };
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{:.0}", value * scale),
                    (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                    (FAMILY, font)
                        .into_font()
                        .color(&colour)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ends() {
        assert_eq!(sequential(0.0), RGBColor(255, 255, 255));
        assert_eq!(sequential(1.0), RGBColor(33, 102, 172));
    }
}
