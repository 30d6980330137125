//! Collects checks: failures per item, capped per rule with a summary, and one
//! passed record for each rule that found nothing.

use std::collections::BTreeMap;

use cordon_plugin_sdk::{Check, ScanOutput};

/// Failed or error checks listed per rule; the rest are counted in a summary.
const MAX_PER_RULE: usize = 50;

#[derive(Default)]
pub struct Findings {
    out: ScanOutput,
    /// Per rule: findings recorded, findings left out.
    counts: BTreeMap<String, (usize, usize)>,
}

impl Findings {
    /// Record a failed or error check.
    pub fn record(&mut self, check: Check) {
        let count = self.counts.entry(check.rule.clone()).or_default();
        if count.0 < MAX_PER_RULE {
            count.0 += 1;
            self.out.push(check);
        } else {
            count.1 += 1;
        }
    }

    /// The rule's evaluation is over: a passed record if it found nothing, else a
    /// summary of the findings that were not listed.
    pub fn conclude(&mut self, rule: &str, passed: impl Into<String>) {
        match self.counts.get(rule) {
            None => self.out.push(Check::passed(rule, passed)),
            Some((listed, left_out)) if *left_out > 0 => {
                let total = listed + left_out;
                self.out.push(
                    Check::failed(rule, format!("{total} findings, {left_out} not listed"))
                        .evidence("findings", total),
                );
            }
            Some(_) => {}
        }
    }

    /// The rule did not apply to this input.
    pub fn skip(&mut self, rule: &str, reason: impl Into<String>) {
        self.out.push(Check::skipped(rule, reason));
    }

    pub fn meta(&mut self, key: &str, value: impl ToString) {
        self.out.meta(key, value);
    }

    pub fn output(self) -> ScanOutput {
        self.out
    }
}
