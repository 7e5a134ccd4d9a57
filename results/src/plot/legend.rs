//! Drawing a method's look (line sample and marker) and the legend panel, by
//! hand rather than with plotters' in-chart legend, so 12+ entries never cover
//! the data.

use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

use super::font::FAMILY;
use super::palette::{Dash, Look, Marker};
use super::SettingData;

/// Longest label drawn; longer ones are cut with an ellipsis.
pub(crate) const MAX_LABEL: usize = 26;

/// `label` cut to [`MAX_LABEL`] characters.
pub(crate) fn short(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_string()
    } else {
        let cut: String = label.chars().take(MAX_LABEL - 1).collect();
        format!("{cut}…")
    }
}

/// Draws one marker per `(coordinate, pixel offset)` in a method's shape.
pub(crate) fn draw_markers<DB: DrawingBackend, CT: CoordTranslate>(
    chart: &mut ChartContext<'_, DB, CT>,
    points: Vec<(CT::From, (i32, i32))>,
    look: &Look,
    size: i32,
    opacity: f64,
) -> Result<(), String>
where
    CT::From: Clone + 'static,
{
    let style = look.colour.mix(opacity).filled();
    let pts = points.into_iter();
    match look.marker {
        Marker::Circle => {
            chart.draw_series(pts.map(|(c, o)| EmptyElement::at(c) + Circle::new(o, size, style)))
        }
        Marker::Triangle => chart.draw_series(
            pts.map(|(c, o)| EmptyElement::at(c) + TriangleMarker::new(o, size + 1, style)),
        ),
        Marker::Square => chart.draw_series(pts.map(|(c, o)| {
            EmptyElement::at(c)
                + Rectangle::new([(o.0 - size, o.1 - size), (o.0 + size, o.1 + size)], style)
        })),
        Marker::Cross => chart.draw_series(pts.map(|(c, o)| {
            EmptyElement::at(c) + Cross::new(o, size + 1, look.colour.mix(opacity).stroke_width(3))
        })),
    }
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// One marker at pixel `at` of a plain drawing area (the legend).
fn legend_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    look: &Look,
) -> Result<(), String> {
    let style = look.colour.filled();
    let e = EmptyElement::at(at);
    match look.marker {
        Marker::Circle => area.draw(&(e + Circle::new((0, 0), 6, style))),
        Marker::Triangle => area.draw(&(e + TriangleMarker::new((0, 0), 7, style))),
        Marker::Square => area.draw(&(e + Rectangle::new([(-6, -6), (6, 6)], style))),
        Marker::Cross => area.draw(&(e + Cross::new((0, 0), 7, look.colour.stroke_width(3)))),
    }
    .map_err(|e| e.to_string())
}

/// The (dash, gap) lengths of a line style in pixels; `None` for solid.
pub(crate) fn dash_pattern(dash: Dash) -> Option<(u32, u32)> {
    match dash {
        Dash::Solid => None,
        Dash::Dashed => Some((14, 7)),
        Dash::Dotted => Some((4, 5)),
    }
}

/// The legend panel: one entry per arm, top to bottom.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &SettingData<'_>,
    heading: &str,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let text = (FAMILY, 20).into_font().color(&BLACK);
    area.draw(&Text::new(
        heading.to_string(),
        (10, 40),
        (FAMILY, 21)
            .into_font()
            .style(FontStyle::Bold)
            .color(&BLACK),
    ))
    .map_err(err)?;
    let (_, h) = area.dim_in_pixel();
    let step = ((h as i32 - 90) / data.arms.len().max(1) as i32).clamp(14, 32);
    for (i, (arm, look)) in data.arms.iter().enumerate() {
        let y = 80 + i as i32 * step;
        let style = look.colour.stroke_width(3);
        match dash_pattern(look.dash) {
            None => area
                .draw(&PathElement::new(vec![(10, y), (60, y)], style))
                .map_err(err)?,
            Some((on, off)) => {
                let mut x = 10;
                while x < 60 {
                    let end = (x + on as i32).min(60);
                    area.draw(&PathElement::new(vec![(x, y), (end, y)], style))
                        .map_err(err)?;
                    x += (on + off) as i32;
                }
            }
        }
        legend_marker(area, (35, y), look)?;
        area.draw(&Text::new(short(&arm.label()), (70, y - 10), text.clone()))
            .map_err(err)?;
    }
    Ok(())
}
