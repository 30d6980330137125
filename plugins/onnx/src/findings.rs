//! Collecting failed checks while the model is walked, then recording every rule.

use std::collections::HashMap;

use cordon_plugin_sdk::{Check, ScanOutput, Status};

/// Per rule, failures recorded one by one before a summary takes over.
const MAX_REPORTED: usize = 50;

#[derive(Default)]
pub struct Findings {
    checks: Vec<Check>,
    totals: HashMap<String, usize>,
    /// Why the walk stopped before the end of the model, if it did.
    stopped: Option<String>,
}

impl Findings {
    /// Record a failed (or error) check; past the cap only its rule's count grows.
    pub fn push(&mut self, check: Check) {
        let total = self.totals.entry(check.rule.clone()).or_default();
        *total += 1;
        if *total <= MAX_REPORTED {
            self.checks.push(check);
        }
    }

    /// The walk could not continue: rules without findings get an error instead of a pass.
    pub fn stop(&mut self, why: String) {
        self.stopped = Some(why);
    }

    /// Emit, rule by rule in `rules` order, the findings, or the pass message when none.
    pub fn finish(self, rules: &[(&str, String)], out: &mut ScanOutput) {
        for (rule, passed) in rules {
            let total = self.totals.get(*rule).copied().unwrap_or(0);
            if total == 0 {
                out.push(match &self.stopped {
                    Some(why) => Check::error(rule, format!("not completed: {why}")),
                    None => Check::passed(rule, passed.clone()),
                });
                continue;
            }
            for check in self.checks.iter().filter(|c| c.rule == *rule) {
                out.push(check.clone());
            }
            if total > MAX_REPORTED {
                // Same status as the listed ones: failed, or error for limits hit.
                let status = self
                    .checks
                    .iter()
                    .rfind(|c| c.rule == *rule)
                    .map(|c| c.status);
                out.push(
                    Check::new(
                        rule,
                        status.unwrap_or(Status::Failed),
                        format!(
                            "{} more findings of this rule not listed",
                            total - MAX_REPORTED
                        ),
                    )
                    .evidence("total", total),
                );
            }
        }
    }
}
