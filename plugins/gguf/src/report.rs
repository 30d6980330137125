//! Recording a rule's outcome: one passed check, or its failures (capped, with a
//! summary of the rest), or a skipped check when an earlier problem prevents it.

use cordon_plugin_sdk::{Check, ScanOutput};

/// Failures listed per rule; the rest are counted in a summary check.
pub const MAX_REPORTED: usize = 50;

pub fn outcome(out: &mut ScanOutput, rule: &str, failures: Vec<Check>, passed: impl Into<String>) {
    if failures.is_empty() {
        out.push(Check::passed(rule, passed));
    } else {
        self::failures(out, rule, failures);
    }
}

/// The failures of `rule`: the first [`MAX_REPORTED`], then a count of the rest.
pub fn failures(out: &mut ScanOutput, rule: &str, failures: Vec<Check>) {
    let total = failures.len();
    out.checks.extend(failures.into_iter().take(MAX_REPORTED));
    if total > MAX_REPORTED {
        out.push(
            Check::failed(
                rule,
                format!(
                    "{} more failures of this rule are not listed",
                    total - MAX_REPORTED
                ),
            )
            .evidence("total", total),
        );
    }
}

pub fn skipped(out: &mut ScanOutput, rules: &[&str], why: &str) {
    for rule in rules {
        out.push(Check::skipped(rule, format!("not checked: {why}")));
    }
}
