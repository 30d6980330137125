//! The JSON report: the report model as is, described by `schema/report.schema.json`.

use std::io::{self, Write};

use crate::model::Report;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
