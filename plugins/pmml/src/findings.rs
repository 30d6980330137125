//! Collects failed checks per rule, caps them, and records a passed check for
//! every rule that found nothing, so each validation leaves a record.

use std::collections::BTreeMap;

use cordon_plugin_sdk::{Check, ScanOutput};

/// Failed checks kept per rule; the rest are counted in one summary record.
pub const MAX_PER_RULE: usize = 50;

#[derive(Default)]
pub struct Findings {
    failed: BTreeMap<&'static str, usize>,
}

impl Findings {
    /// Record a failed (or error) check, unless its rule already has [`MAX_PER_RULE`].
    pub fn fail(&mut self, out: &mut ScanOutput, rule: &'static str, check: Check) {
        let n = self.failed.entry(rule).or_default();
        *n += 1;
        if *n <= MAX_PER_RULE {
            out.push(check);
        }
    }

    pub fn count(&self, rule: &str) -> usize {
        self.failed.get(rule).copied().unwrap_or(0)
    }

    /// Close `rule`: a passed check when nothing failed, a summary when failures were cut.
    pub fn finish(&self, out: &mut ScanOutput, rule: &'static str, passed: impl Into<String>) {
        match self.count(rule) {
            0 => out.push(Check::passed(rule, passed)),
            n if n > MAX_PER_RULE => out.push(
                Check::failed(
                    rule,
                    format!("{n} findings in total; only the first {MAX_PER_RULE} are listed"),
                )
                .evidence("total", n),
            ),
            _ => {}
        }
    }
}
