//! The font PNG plots draw text with.
//!
//! plotters' ab_glyph text needs font bytes registered at run time. Rather than
//! link fontconfig and freetype, look for a TrueType sans-serif font where Linux
//! and macOS keep one (`SIEVE_FONT` overrides); without one, PNG and SVG plots
//! are skipped with a warning naming the package to install (Debian:
//! `fonts-dejavu-core`). SVG layout needs the same metrics, hence both.

use std::sync::OnceLock;

use plotters::style::FontStyle;

/// Where to look, first match wins.
const CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
];

/// The family name plots ask for.
pub const FAMILY: &str = "sans-serif";

static FONT: OnceLock<Result<String, String>> = OnceLock::new();

/// Registers a font once per process; the path used, or why none could be.
pub fn ensure_font() -> Result<String, String> {
    FONT.get_or_init(load).clone()
}

fn load() -> Result<String, String> {
    let from_env = std::env::var("SIEVE_FONT").ok();
    let paths = from_env
        .iter()
        .map(String::as_str)
        .chain(CANDIDATES.iter().copied());
    for path in paths {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        // The registry keeps a reference for the life of the process.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let ok = [FontStyle::Normal, FontStyle::Bold]
            .into_iter()
            .all(|style| plotters::style::register_font(FAMILY, style, bytes).is_ok());
        if ok {
            return Ok(path.to_string());
        }
    }
    Err(
        "no TrueType font found (looked at $SIEVE_FONT and the usual system paths; \
         on Debian install fonts-dejavu-core), so no plots were drawn"
            .to_string(),
    )
}
