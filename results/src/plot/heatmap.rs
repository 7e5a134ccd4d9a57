//! Methods × budgets heatmap of the mean paired difference to random, coloured
//! on a diverging scale (blue better, red worse, white none), each cell printed
//! with its value and `*` where the verdict is significant.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::short;
use super::{font::FAMILY, SVGOrBitmap, SettingData, SIZE};
use crate::options::ReportOptions;
use crate::summary::SummaryRow;

/// Width of the colour bar panel.
const BAR_WIDTH: u32 = 170;

/// Diverging colour of `t` in [-1, 1]: -1 red, 0 white, +1 blue (RdBu ends).
fn diverging(t: f64) -> RGBColor {
    let t = t.clamp(-1.0, 1.0);
    let (end, s) = if t < 0.0 {
        ((178.0, 24.0, 43.0), -t)
    } else {
        ((33.0, 102.0, 172.0), t)
    };
    let mix = |a: f64| (255.0 + (a - 255.0) * s).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// The plot body; `false` without any paired difference.
pub(crate) fn draw(
    area: &DrawingArea<SVGOrBitmap<'_>, Shift>,
    data: &SettingData<'_>,
    options: &ReportOptions,
) -> Result<bool, String> {
    let metric = options.primary_metric();
    let scale = metric.display_scale();
    let sign = if metric.higher_is_better() { 1.0 } else { -1.0 };
    let rows: Vec<&&SummaryRow> = data
        .rows
        .iter()
        .filter(|r| {
            r.metric == metric.as_str() && r.round.is_some() && r.diff_vs_reference.is_some()
        })
        .collect();
    if rows.is_empty() {
        return Ok(false);
    }
    let mut rounds: Vec<(u32, f64)> = rows
        .iter()
        .filter_map(|r| Some((r.round?, r.x.unwrap_or(0.0))))
        .collect();
    rounds.sort_by_key(|r| r.0);
    rounds.dedup_by_key(|r| r.0);
    let arms: Vec<_> = data
        .arms
        .iter()
        .filter(|(a, _)| rows.iter().any(|r| &r.arm() == a))
        .map(|(a, _)| a.clone())
        .collect();
    if arms.is_empty() || rounds.is_empty() {
        return Ok(false);
    }
    let max_abs = rows
        .iter()
        .filter_map(|r| r.diff_vs_reference)
        .map(|d| (d * scale).abs())
        .fold(0.0_f64, f64::max)
        .max(1e-9);

    let (plot, bar) = area.split_horizontally(SIZE.0 - BAR_WIDTH);
    let (nx, ny) = (rounds.len() as u32, arms.len() as u32);
    let mut chart = ChartBuilder::on(&plot)
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(300)
        // An integer range a..b has b - a + 1 segments.
        .build_cartesian_2d((0..nx - 1).into_segmented(), (0..ny - 1).into_segmented())
        .map_err(|e| e.to_string())?;
    let x_fmt = |v: &SegmentValue<u32>| match v {
        SegmentValue::CenterOf(i) => rounds
            .get(*i as usize)
            .map_or(String::new(), |r| crate::export::table::format_x(r.1)),
        _ => String::new(),
    };
    // Top row first: the method order of the legend.
    let y_fmt = |v: &SegmentValue<u32>| match v {
        SegmentValue::CenterOf(i) => arms
            .get((ny - 1 - i.min(&(ny - 1))) as usize)
            .map_or(String::new(), |a| short(&a.label())),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nx as usize)
        .y_labels(ny as usize)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(crate::kinds::kind_info(&data.setting.kind).x_label)
        .label_style((FAMILY, 20))
        .axis_desc_style((FAMILY, 22))
        .draw()
        .map_err(|e| e.to_string())?;
    let font = if nx > 12 { 15 } else { 19 };
    for r in &rows {
        let (Some(round), Some(d)) = (r.round, r.diff_vs_reference) else {
            continue;
        };
        let Some(x) = rounds.iter().position(|q| q.0 == round) else {
            continue;
        };
        let Some(y) = arms.iter().position(|a| a == &r.arm()) else {
            continue;
        };
        let (x, y) = (x as u32, ny - 1 - y as u32);
        let value = d * scale;
        let fill = diverging(sign * value / max_abs);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [
                    (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                    (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                ],
                fill.filled(),
            )))
            .map_err(|e| e.to_string())?;
        let star = if matches!(r.verdict.as_str(), "better" | "worse") {
            "*"
        } else {
            ""
        };
        let dark = (sign * value / max_abs).abs() > 0.6;
        let colour = if dark { WHITE } else { BLACK };
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{value:+.1}{star}"),
                (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                (FAMILY, font)
                    .into_font()
                    .color(&colour)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            )))
            .map_err(|e| e.to_string())?;
    }
    // Colour bar.
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let (_, h) = bar.dim_in_pixel();
    let (top, bottom) = (60, h as i32 - 120);
    let steps = 60;
    for i in 0..steps {
        let t = 1.0 - 2.0 * f64::from(i) / f64::from(steps - 1);
        let y = top + (bottom - top) * i / steps;
        let y2 = top + (bottom - top) * (i + 1) / steps;
        bar.draw(&Rectangle::new([(20, y), (50, y2)], diverging(t).filled()))
            .map_err(err)?;
    }
    let text = (FAMILY, 18).into_font().color(&BLACK);
    let unit = if metric.higher_is_better() { "pt" } else { "" };
    let (hi_label, lo_label) = (sign * max_abs, -sign * max_abs);
    for (y, v) in [
        (top, hi_label),
        ((top + bottom) / 2, 0.0),
        (bottom, lo_label),
    ] {
        bar.draw(&Text::new(
            format!("{v:+.1}{unit}"),
            (56, y - 9),
            text.clone(),
        ))
        .map_err(err)?;
    }
    bar.draw(&Text::new(
        "better ↑".to_string(),
        (10, top - 35),
        text.clone(),
    ))
    .map_err(err)?;
    bar.draw(&Text::new(
        "worse ↓".to_string(),
        (10, bottom + 12),
        text.clone(),
    ))
    .map_err(err)?;
    bar.draw(&Text::new(
        "* significant".to_string(),
        (10, bottom + 45),
        text.clone(),
    ))
    .map_err(err)?;
    bar.draw(&Text::new("(Holm)".to_string(), (10, bottom + 70), text))
        .map_err(err)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_ends() {
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert_eq!(diverging(-1.0), RGBColor(178, 24, 43));
        assert_eq!(diverging(2.0), RGBColor(33, 102, 172));
    }
}
