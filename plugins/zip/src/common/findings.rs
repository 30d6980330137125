//! Collecting checks per rule: one passed record per rule and archive when nothing
//! is wrong, otherwise one record per problem up to a cap, then a summary record.
//!
//! Shared by the archive plugins (zip, tar, sevenz, compressed) through `#[path]`.

use cordon_plugin_sdk::{Check, ScanOutput, Status};

/// Problem records kept per rule; the rest are counted in one summary record.
pub const MAX_PER_RULE: usize = 50;

#[derive(Default)]
pub struct Findings {
    tallies: Vec<Tally>,
}

struct Tally {
    rule: &'static str,
    passed: Option<String>,
    problems: Vec<Check>,
    more: usize,
    /// Status of the first problem past the cap, reused by the summary record.
    more_status: Status,
}

impl Findings {
    /// Record a failed, error or skipped check.
    pub fn problem(&mut self, rule: &'static str, check: Check) {
        debug_assert_eq!(check.rule, rule);
        debug_assert!(check.status != Status::Passed);
        let tally = self.tally(rule);
        if tally.problems.len() < MAX_PER_RULE {
            tally.problems.push(check);
        } else {
            if tally.more == 0 {
                tally.more_status = check.status;
            }
            tally.more += 1;
        }
    }

    /// The rule was evaluated; `message` is its passed record if no problem is recorded.
    pub fn passed(&mut self, rule: &'static str, message: impl Into<String>) {
        self.tally(rule).passed = Some(message.into());
    }

    pub fn has_problems(&self, rule: &str) -> bool {
        self.tallies
            .iter()
            .any(|t| t.rule == rule && !t.problems.is_empty())
    }

    /// Push every rule's records, in the order rules were first mentioned.
    pub fn emit(self, out: &mut ScanOutput) {
        for tally in self.tallies {
            if tally.problems.is_empty() {
                if let Some(message) = tally.passed {
                    out.push(Check::passed(tally.rule, message));
                }
                continue;
            }
            out.checks.extend(tally.problems);
            if tally.more > 0 {
                out.push(
                    Check::new(
                        tally.rule,
                        tally.more_status,
                        format!(
                            "{} more problems of this kind were not recorded one by one",
                            tally.more
                        ),
                    )
                    .evidence("not_listed", tally.more)
                    .evidence("listed", MAX_PER_RULE),
                );
            }
        }
    }

    fn tally(&mut self, rule: &'static str) -> &mut Tally {
        let index = match self.tallies.iter().position(|t| t.rule == rule) {
            Some(index) => index,
            None => {
                self.tallies.push(Tally {
                    rule,
                    passed: None,
                    problems: Vec::new(),
                    more: 0,
                    more_status: Status::Failed,
                });
                self.tallies.len() - 1
            }
        };
        &mut self.tallies[index]
    }
}
