//! The terminal report: per file, failed checks first, then counts; a summary at the end.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::Style;
use crate::model::{Check, FileReport, Report, Severity, Status};

pub fn write(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint(style.color);
    for file in &report.files {
        write_file(file, report, style, paint, out)?;
    }
    write_summary(report, paint, out)
}

fn write_file(
    file: &FileReport,
    report: &Report,
    style: &Style,
    paint: Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    let formats = if file.formats.is_empty() {
        "unrecognised".to_string()
    } else {
        file.formats.join(", ")
    };
    let verdict = match (file.has_errors(), file.worst_failure()) {
        (true, _) => paint.red("ERROR"),
        (false, Some(s)) if s >= report.settings.fail_on => paint.red("FINDINGS"),
        (false, Some(_)) => paint.yellow("NOTES"),
        (false, None) if file.formats.is_empty() => paint.dim("UNCHECKED"),
        (false, None) => paint.green("OK"),
    };
    writeln!(
        out,
        "{} {}  [{}]  {} bytes",
        verdict,
        paint.bold(&clean(&file.path)),
        formats,
        file.size
    )?;
    if let Some(h) = &file.hashes {
        writeln!(out, "  sha256 {}", h.sha256)?;
    }
    let mut checks: Vec<&Check> = file.checks.iter().collect();
    // Failed first, worst severity first; the sort is stable so plugin order stays within ties.
    checks.sort_by_key(|c| (c.status, std::cmp::Reverse(c.severity)));
    for check in checks
        .iter()
        .filter(|c| style.verbose || matches!(c.status, Status::Failed | Status::Error))
    {
        writeln!(out, "  {}", check_line(check, paint))?;
    }
    let count = |s: Status| file.checks.iter().filter(|c| c.status == s).count();
    writeln!(
        out,
        "  {} passed, {} failed, {} skipped, {} errors\n",
        count(Status::Passed),
        count(Status::Failed),
        count(Status::Skipped),
        count(Status::Error)
    )
}

fn check_line(check: &Check, paint: Paint) -> String {
    let status = match check.status {
        Status::Failed if check.severity >= Severity::High => paint.red("FAIL "),
        Status::Failed => paint.yellow("FAIL "),
        Status::Error => paint.red("ERROR"),
        Status::Skipped => paint.dim("SKIP "),
        Status::Passed => paint.green("PASS "),
    };
    let mut line = format!(
        "{status} {:<8} {}  {}",
        check.severity.as_str(),
        check.rule,
        clean(&check.message)
    );
    let loc = &check.location;
    let mut parts = Vec::new();
    if let Some(m) = &loc.member {
        parts.push(format!("in {}", clean(m)));
    }
    if let Some(o) = loc.offset {
        parts.push(format!("at byte {o}"));
    }
    if let Some(l) = &loc.locator {
        parts.push(clean(l));
    }
    if !parts.is_empty() {
        let _ = write!(line, " ({})", parts.join(", "));
    }
    line
}

fn write_summary(report: &Report, paint: Paint, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let n = |status| s.checks.get(&status).copied().unwrap_or(0);
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|sev| {
            s.failed_by_severity
                .get(sev)
                .map(|n| format!("{n} {}", sev.as_str()))
        })
        .collect();
    writeln!(
        out,
        "{} files scanned in {:.2}s: {} with findings at or above {}, {} with errors",
        s.files,
        report.duration_ms / 1000.0,
        s.files_with_findings,
        report.settings.fail_on.as_str(),
        s.files_with_errors
    )?;
    let failed = if by_severity.is_empty() {
        String::new()
    } else {
        format!(" ({})", by_severity.join(", "))
    };
    let line = format!(
        "checks: {} passed, {} failed{}, {} skipped, {} errors",
        n(Status::Passed),
        n(Status::Failed),
        failed,
        n(Status::Skipped),
        n(Status::Error)
    );
    writeln!(out, "{}", paint.bold(&line))
}

/// Paths, messages and member names come from untrusted files: escape control
/// characters so they cannot drive the terminal.
fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn red(self, t: &str) -> String {
        self.wrap("1;31", t)
    }
    fn yellow(self, t: &str) -> String {
        self.wrap("33", t)
    }
    fn green(self, t: &str) -> String {
        self.wrap("32", t)
    }
    fn dim(self, t: &str) -> String {
        self.wrap("2", t)
    }
    fn bold(self, t: &str) -> String {
        self.wrap("1", t)
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(clean("données.pkl"), "données.pkl");
    }
}
