//! Failed checks of one rule, capped with a summary; a passed record when none.

use cordon_plugin_sdk::{Check, ScanOutput};

/// Failed checks recorded per rule before a summary.
pub const MAX_FINDINGS: usize = 50;

pub struct Capped<'a> {
    rule: &'static str,
    count: usize,
    out: &'a mut ScanOutput,
}

impl<'a> Capped<'a> {
    pub fn new(rule: &'static str, out: &'a mut ScanOutput) -> Self {
        Capped {
            rule,
            count: 0,
            out,
        }
    }

    pub fn push(&mut self, check: Check) {
        self.count += 1;
        if self.count <= MAX_FINDINGS {
            self.out.push(check);
        }
    }

    /// The output, to record metadata while checks are being collected.
    pub fn out(&mut self) -> &mut ScanOutput {
        self.out
    }

    /// Records the summary, or `passed` when nothing failed.
    pub fn finish(self, passed: &str) {
        if self.count == 0 {
            self.out.push(Check::passed(self.rule, passed));
        } else if self.count > MAX_FINDINGS {
            let hidden = self.count - MAX_FINDINGS;
            self.out.push(
                Check::failed(
                    self.rule,
                    format!(
                        "{hidden} more findings of this rule not listed ({} in all)",
                        self.count
                    ),
                )
                .evidence("total", self.count),
            );
        }
    }
}
