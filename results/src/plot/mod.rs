//! Report plots, each written as SVG (for report.html and papers) and PNG:
//! learning curves with interval bands and per-repeat points, the difference
//! to random with its interval, a methods × budgets heatmap of the effect, and
//! the per-repeat spread of AUBC.

pub mod curves;
pub mod diff;
pub mod font;
pub mod heatmap;
mod legend;
pub mod matrix;
pub mod palette;
pub mod spread;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use crate::atomic::write_atomic;
use crate::cells::{Arm, Setting};
use crate::error::ResultsError;
use crate::options::ReportOptions;
use crate::record::Record;
use crate::summary::SummaryRow;

/// Pixel size of every plot: legible at paper size when scaled to a column.
pub const SIZE: (u32, u32) = (1280, 760);
/// Width of the legend panel on the right.
pub const LEGEND_WIDTH: u32 = 300;

/// One drawn plot.
#[derive(Clone, Debug)]
pub struct Figure {
    /// The setting it shows.
    pub setting: Setting,
    /// What it shows, in words (used as heading and alt text).
    pub title: String,
    /// The SVG text (inlined in report.html).
    pub svg: String,
    /// Where the SVG was written.
    pub svg_path: PathBuf,
    /// Where the PNG was written.
    pub png_path: PathBuf,
}

/// Every plot of a report.
#[derive(Clone, Debug, Default)]
pub struct Plots {
    /// The figures, by setting, in the order drawn.
    pub figures: Vec<Figure>,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Plots not drawn, and why.
    pub warnings: Vec<String>,
}

/// The data plots of one setting share: arms in legend order with their looks.
pub(crate) struct SettingData<'a> {
    pub setting: Setting,
    pub arms: Vec<(Arm, palette::Look)>,
    pub rows: Vec<&'a SummaryRow>,
    pub records: Vec<&'a Record>,
}

/// A distinct file-name stem per setting: the readable slug, with a short hash of the
/// exact setting appended wherever two settings would share one (names that differ only
/// in characters the slug replaces, or in where a `-` falls).
fn unique_slugs<'a>(settings: impl Iterator<Item = &'a Setting>) -> BTreeMap<Setting, String> {
    let mut by_slug: BTreeMap<String, Vec<&Setting>> = BTreeMap::new();
    for s in settings {
        by_slug.entry(s.slug()).or_default().push(s);
    }
    let mut out = BTreeMap::new();
    for (slug, group) in by_slug {
        for s in &group {
            let name = if group.len() == 1 {
                slug.clone()
            } else {
                let exact = [
                    s.kind.as_str(),
                    &s.dataset,
                    &s.scenario,
                    &s.model,
                    &s.regularization,
                    &s.axis_value,
                ];
                format!("{slug}-{:08x}", sieve_seeds::derive_seed(0, &exact) as u32)
            };
            out.insert((*s).clone(), name);
        }
    }
    out
}

/// Draws every plot under `dir/plots/`.
pub fn draw_all(
    dir: &Path,
    records: &[Record],
    rows: &[SummaryRow],
    options: &ReportOptions,
) -> Result<Plots, ResultsError> {
    let mut plots = Plots::default();
    if let Err(why) = font::ensure_font() {
        plots.warnings.push(why);
        return Ok(plots);
    }
    let plot_dir = dir.join("plots");
    std::fs::create_dir_all(&plot_dir).map_err(|e| ResultsError::io(&plot_dir, e))?;
    let metric = options.primary_metric();
    let mut by_setting: BTreeMap<Setting, (Vec<&SummaryRow>, Vec<&Record>)> = BTreeMap::new();
    for r in rows {
        by_setting.entry(r.setting()).or_default().0.push(r);
    }
    for r in records {
        if let Some(e) = by_setting.get_mut(&Setting::of(r)) {
            e.1.push(r);
        }
    }
    let slugs = unique_slugs(by_setting.keys());
    for (setting, (rows, records)) in by_setting {
        let mut arms: Vec<Arm> = rows.iter().map(|r| r.arm()).collect();
        arms.sort();
        arms.dedup();
        let mut k = 0;
        let arms = arms
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                let reference = i == 0 && a.is_reference();
                let l = palette::look(k, reference);
                if !reference {
                    k += 1;
                }
                (a, l)
            })
            .collect();
        let data = SettingData {
            setting,
            arms,
            rows,
            records,
        };
        let slug = slugs
            .get(&data.setting)
            .cloned()
            .unwrap_or_else(|| data.setting.slug());
        let reference = data.setting.reference();
        let kinds: [(&str, String, Drawer); 5] = [
            (
                "curves",
                format!("Learning curves: {}", metric.display_name()),
                curves::draw,
            ),
            (
                "diff",
                format!("Difference to {reference}: {}", metric.display_name()),
                diff::draw,
            ),
            (
                "heatmap",
                format!(
                    "Effect vs {reference} by {}: {}",
                    crate::kinds::kind_info(&data.setting.kind).x_label,
                    metric.display_name()
                ),
                heatmap::draw,
            ),
            (
                "spread",
                format!("AUBC per repeat: {}", metric.display_name()),
                spread::draw,
            ),
            (
                "matrix",
                format!(
                    "Accuracy matrix R[t][i], mean over repeats: {}",
                    metric.display_name()
                ),
                matrix::draw,
            ),
        ];
        for (kind, title, drawer) in kinds {
            let base = plot_dir.join(format!("{slug}-{kind}"));
            match render(&base, &title, &data, options, drawer) {
                Ok(Some(fig)) => {
                    plots.files.push(fig.svg_path.clone());
                    plots.files.push(fig.png_path.clone());
                    plots.figures.push(fig);
                }
                Ok(None) => {}
                Err(e) => plots.warnings.push(e),
            }
        }
    }
    Ok(plots)
}

/// A plot body: draws into `area` (title already placed); `Ok(false)` when the
/// setting has nothing to show for it.
pub(crate) type Drawer = fn(
    &DrawingArea<SVGOrBitmap<'_>, Shift>,
    &SettingData<'_>,
    &ReportOptions,
) -> Result<bool, String>;

/// Either backend, so each plot body is written once.
pub(crate) enum SVGOrBitmap<'a> {
    /// SVG into a string.
    Svg(SVGBackend<'a>),
    /// PNG file.
    Bitmap(BitMapBackend<'a>),
}

/// Errors of the combined backend.
#[derive(Debug)]
pub(crate) struct BackendError(String);

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackendError {}

macro_rules! both {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            SVGOrBitmap::Svg($b) => $e.map_err(|e| map_err(e)),
            SVGOrBitmap::Bitmap($b) => $e.map_err(|e| map_err(e)),
        }
    };
}

fn map_err<E: std::error::Error + Send + Sync>(
    e: DrawingErrorKind<E>,
) -> DrawingErrorKind<BackendError> {
    match e {
        DrawingErrorKind::DrawingError(e) => {
            DrawingErrorKind::DrawingError(BackendError(e.to_string()))
        }
        DrawingErrorKind::FontError(f) => DrawingErrorKind::FontError(f),
    }
}

impl DrawingBackend for SVGOrBitmap<'_> {
    type ErrorType = BackendError;

    fn get_size(&self) -> (u32, u32) {
        match self {
            SVGOrBitmap::Svg(b) => b.get_size(),
            SVGOrBitmap::Bitmap(b) => b.get_size(),
        }
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.ensure_prepared())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.present())
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_pixel(point, color))
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_line(from, to, style))
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_rect(upper_left, bottom_right, style, fill))
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_path(path, style))
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_circle(center, radius, style, fill))
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.fill_polygon(vert, style))
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_text(text, style, pos))
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<BackendError>> {
        match self {
            SVGOrBitmap::Svg(b) => b.estimate_text_size(text, style).map_err(map_err),
            SVGOrBitmap::Bitmap(b) => b.estimate_text_size(text, style).map_err(map_err),
        }
    }
}

/// Title style of every plot.
pub(crate) fn title_style() -> TextStyle<'static> {
    (font::FAMILY, 28).into_font().style(FontStyle::Bold).into()
}

/// Draws one plot as `base.svg` and `base.png` (each via a temporary file and a
/// rename); `None` when the setting has nothing to show for it.
fn render(
    base: &Path,
    title: &str,
    data: &SettingData<'_>,
    options: &ReportOptions,
    drawer: Drawer,
) -> Result<Option<Figure>, String> {
    let full_title = format!("{title} — {}", data.setting.title());
    let subtitle = data.setting.title();
    let draw = |backend: SVGOrBitmap<'_>| -> Result<bool, String> {
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (header, body) = root.split_vertically(78);
        let centre = (SIZE.0 / 2) as i32;
        let anchor = Pos::new(HPos::Center, VPos::Top);
        header
            .draw(&Text::new(
                title.to_string(),
                (centre, 8),
                title_style().pos(anchor),
            ))
            .map_err(|e| e.to_string())?;
        header
            .draw(&Text::new(
                subtitle.clone(),
                (centre, 46),
                TextStyle::from((font::FAMILY, 21).into_font())
                    .color(&RGBColor(70, 70, 70))
                    .pos(anchor),
            ))
            .map_err(|e| e.to_string())?;
        let drawn = drawer(&body, data, options)?;
        root.present().map_err(|e| e.to_string())?;
        Ok(drawn)
    };
    // Appended, not `with_extension`: a setting name with a dot (`lr0.01`) must not lose
    // everything after it.
    let svg_path = PathBuf::from(format!("{}.svg", base.display()));
    let png_path = PathBuf::from(format!("{}.png", base.display()));
    let mut svg = String::new();
    let drawn = draw(SVGOrBitmap::Svg(SVGBackend::with_string(&mut svg, SIZE)))
        .map_err(|e| format!("{}: {e}", svg_path.display()))?;
    if !drawn {
        return Ok(None);
    }
    write_atomic(&svg_path, svg.as_bytes()).map_err(|e| e.to_string())?;
    let name = png_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = png_path.with_file_name(format!(".{name}.tmp.{}.png", std::process::id()));
    draw(SVGOrBitmap::Bitmap(BitMapBackend::new(&tmp, SIZE)))
        .map_err(|e| format!("{}: {e}", png_path.display()))?;
    std::fs::rename(&tmp, &png_path).map_err(|e| format!("{}: {e}", png_path.display()))?;
    Ok(Some(Figure {
        setting: data.setting.clone(),
        title: full_title,
        svg,
        svg_path,
        png_path,
    }))
}

#[cfg(test)]
mod slug_tests {
    use super::*;

    fn setting(regularization: &str) -> Setting {
        Setting {
            kind: "active".into(),
            dataset: "d".into(),
            scenario: "none".into(),
            model: "m".into(),
            regularization: regularization.into(),
            axis: "budget".into(),
            axis_value: "b".into(),
        }
    }

    #[test]
    fn names_that_collapse_to_one_slug_get_distinct_stems() {
        let (a, b, c) = (setting("lr 0.01"), setting("lr/0.01"), setting("lr0.05"));
        let slugs = unique_slugs([&a, &b, &c].into_iter());
        assert_ne!(slugs[&a], slugs[&b]);
        assert_eq!(slugs[&c], c.slug(), "a unique slug stays readable");
        assert!(slugs.values().all(|s| !s.contains('/') && !s.contains(' ')));
    }
}
