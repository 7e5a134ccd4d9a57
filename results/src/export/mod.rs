//! Writing a summary out: tidy CSV, JSON, a Markdown table and a LaTeX table.

pub mod csv;
pub mod json;
pub mod latex;
pub mod markdown;
pub(crate) mod table;
