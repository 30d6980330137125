//! One printer per output format, all reading the same `Report`.

pub mod json;
pub mod text;

use std::io::{self, Write};

use crate::model::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub struct Style {
    pub color: bool,
    /// List passed and skipped checks too, not only their counts.
    pub verbose: bool,
}

pub fn write(
    format: Format,
    report: &Report,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, style, out),
        Format::Json => json::write(report, out),
    }
}
