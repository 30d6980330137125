//! Recording every rule once: failures capped per rule, and a passed check for
//! each rule that found nothing, so a report shows what was checked without
//! drowning in ten thousand copies of one finding. [`Findings`] tracks many
//! rules at once; [`Capped`] is one rule bound to the output; [`Deferred`]
//! holds failures until a walk ends, in catalog order.

use std::collections::BTreeMap;

use crate::{Check, ScanOutput, Status};

/// Failed (or error) checks counted per rule.
#[derive(Default)]
pub struct Findings {
    failed: BTreeMap<String, usize>,
}

impl Findings {
    /// Checks kept per rule; the rest are counted in one summary record.
    pub const MAX_PER_RULE: usize = 50;

    /// Record a failed (or error) check of `rule`, unless the rule already has
    /// [`Findings::MAX_PER_RULE`] of them.
    pub fn fail(&mut self, out: &mut ScanOutput, rule: &str, check: Check) {
        let n = self.failed.entry(rule.to_owned()).or_default();
        *n += 1;
        if *n <= Self::MAX_PER_RULE {
            out.push(check);
        }
    }

    /// How many failures `rule` has had, listed or not.
    pub fn count(&self, rule: &str) -> usize {
        self.failed.get(rule).copied().unwrap_or(0)
    }

    /// Close `rule`: a passed check when nothing failed, a summary when failures were cut.
    pub fn finish(&self, out: &mut ScanOutput, rule: &str, passed: impl Into<String>) {
        close(out, rule, self.count(rule), passed);
    }
}

/// The failures of one rule while they are found, for code that checks one rule
/// at a time: the same cap and records as [`Findings`], bound to the output.
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

    /// Record a failed (or error) check of this rule, within the cap.
    pub fn push(&mut self, check: Check) {
        self.count += 1;
        if self.count <= Findings::MAX_PER_RULE {
            self.out.push(check);
        }
    }

    /// The output, to record metadata while checks are being collected.
    pub fn out(&mut self) -> &mut ScanOutput {
        self.out
    }

    /// A passed check when nothing failed, a summary when failures were cut.
    pub fn finish(self, passed: impl Into<String>) {
        close(self.out, self.rule, self.count, passed);
    }
}

impl ScanOutput {
    /// Record a rule's outcome at once: a passed check when `failures` is empty,
    /// else the failures, capped like [`Findings`] with a summary of the rest.
    pub fn outcome(&mut self, rule: &str, failures: Vec<Check>, passed: impl Into<String>) {
        let total = failures.len();
        self.checks
            .extend(failures.into_iter().take(Findings::MAX_PER_RULE));
        close(self, rule, total, passed);
    }
}

fn close(out: &mut ScanOutput, rule: &str, failures: usize, passed: impl Into<String>) {
    match failures {
        0 => out.push(Check::passed(rule, passed)),
        n if n > Findings::MAX_PER_RULE => out.push(summary(rule, Status::Failed, n)),
        _ => {}
    }
}

/// The record that stands for the failures past the cap.
fn summary(rule: &str, status: Status, total: usize) -> Check {
    Check::new(
        rule,
        status,
        format!(
            "{total} findings in total; only the first {} are listed",
            Findings::MAX_PER_RULE
        ),
    )
    .evidence("total", total)
}

/// Failures collected while an input is walked and recorded at the end, rule by
/// rule in catalog order. If the walk stopped early, a rule without failures is
/// recorded as not completed (an error) rather than passed.
#[derive(Default)]
pub struct Deferred {
    checks: Vec<Check>,
    totals: BTreeMap<String, usize>,
    stopped: Option<String>,
}

impl Deferred {
    /// Record a failed (or error) check; past the cap only its rule's count grows.
    pub fn push(&mut self, check: Check) {
        let total = self.totals.entry(check.rule.clone()).or_default();
        *total += 1;
        if *total <= Findings::MAX_PER_RULE {
            self.checks.push(check);
        }
    }

    /// The walk could not continue: rules without failures are not passed.
    pub fn stop(&mut self, why: impl Into<String>) {
        self.stopped = Some(why.into());
    }

    /// Record each of `rules` (id, passed message): its failures with a summary
    /// past the cap (in the status of the listed ones), or a pass, or "not completed".
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
            let listed: Vec<&Check> = self.checks.iter().filter(|c| c.rule == *rule).collect();
            let status = listed.last().map_or(Status::Failed, |c| c.status);
            out.checks.extend(listed.into_iter().cloned());
            if total > Findings::MAX_PER_RULE {
                out.push(summary(rule, status, total));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn rules_pass_or_are_capped_with_a_summary() {
        let (mut out, mut findings) = (ScanOutput::default(), Findings::default());
        for i in 0..60 {
            findings.fail(
                &mut out,
                "x-rule",
                Check::failed("x-rule", format!("finding {i}")),
            );
        }
        findings.finish(&mut out, "x-rule", "unused");
        findings.finish(&mut out, "y-rule", "nothing found");
        assert_eq!(out.checks.len(), Findings::MAX_PER_RULE + 2);
        let summary = &out.checks[Findings::MAX_PER_RULE];
        assert_eq!(
            summary.message,
            "60 findings in total; only the first 50 are listed"
        );
        let last = out.checks.last().unwrap();
        assert_eq!(
            (last.rule.as_str(), last.status),
            ("y-rule", Status::Passed)
        );
        assert_eq!(findings.count("x-rule"), 60);
    }

    #[test]
    fn deferred_records_in_catalog_order_and_marks_unfinished_rules() {
        let mut walk = Deferred::default();
        for i in 0..52 {
            walk.push(Check::error("b-rule", format!("limit {i}")));
        }
        walk.push(Check::failed("a-rule", "bad"));
        walk.stop("input ended early");
        let mut out = ScanOutput::default();
        let rules = [
            ("a-rule", "unused".to_string()),
            ("b-rule", "unused".into()),
            ("c-rule", "fine".into()),
        ];
        walk.finish(&rules, &mut out);
        assert_eq!(out.checks[0].rule, "a-rule");
        let summary = &out.checks[1 + Findings::MAX_PER_RULE];
        assert_eq!(
            (summary.status, summary.message.as_str()),
            (
                Status::Error,
                "52 findings in total; only the first 50 are listed"
            )
        );
        let last = out.checks.last().unwrap();
        assert_eq!((last.rule.as_str(), last.status), ("c-rule", Status::Error));
        assert_eq!(last.message, "not completed: input ended early");
    }

    #[test]
    fn outcome_passes_or_caps() {
        let mut out = ScanOutput::default();
        out.outcome("a-rule", Vec::new(), "clean");
        let many = (0..55)
            .map(|i| Check::failed("b-rule", format!("bad {i}")))
            .collect();
        out.outcome("b-rule", many, "unused");
        assert_eq!(out.checks.len(), 1 + Findings::MAX_PER_RULE + 1);
        assert_eq!(out.checks[0].status, Status::Passed);
        assert_eq!(
            out.checks.last().unwrap().message,
            "55 findings in total; only the first 50 are listed"
        );
    }

    #[test]
    fn capped_records_like_findings() {
        let mut out = ScanOutput::default();
        let mut capped = Capped::new("z-rule", &mut out);
        for i in 0..51 {
            capped.push(Check::failed("z-rule", format!("finding {i}")));
        }
        capped.out().meta("seen", 51);
        capped.finish("unused");
        assert_eq!(out.checks.len(), Findings::MAX_PER_RULE + 1);
        assert_eq!(
            out.checks.last().unwrap().message,
            "51 findings in total; only the first 50 are listed"
        );
        let mut clean = ScanOutput::default();
        Capped::new("z-rule", &mut clean).finish("nothing found");
        assert_eq!(clean.checks[0].status, Status::Passed);
    }
}
