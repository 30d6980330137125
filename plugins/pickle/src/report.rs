//! Collection of findings, deduplicated by key so that a pattern repeated a
//! million times yields one record with an occurrence count.

use std::collections::HashMap;

use crate::{Finding, Severity, Status};

/// Where a finding was observed.
pub(crate) struct Site {
    pub offset: u64,
    pub locator: String,
}

impl Finding {
    pub(crate) fn new(
        rule: &'static str,
        status: Status,
        severity: Severity,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            status,
            severity,
            message: message.into(),
            confidence: 90,
            offset: None,
            locator: None,
            evidence: Vec::new(),
        }
    }

    pub(crate) fn passed(rule: &'static str, message: impl Into<String>) -> Finding {
        Finding::new(rule, Status::Passed, Severity::Info, message).confidence(100)
    }

    pub(crate) fn at(mut self, site: &Site) -> Finding {
        self.offset = Some(site.offset);
        self.locator = Some(site.locator.clone());
        self
    }

    pub(crate) fn with(mut self, key: &str, value: impl ToString) -> Finding {
        self.evidence.push((key.to_owned(), value.to_string()));
        self
    }

    pub(crate) fn confidence(mut self, confidence: u8) -> Finding {
        self.confidence = confidence.min(100);
        self
    }
}

#[derive(Default)]
pub(crate) struct Report {
    findings: Vec<Finding>,
    /// Occurrences of each finding (parallel to `findings`).
    counts: Vec<u64>,
    keys: HashMap<String, usize>,
}

impl Report {
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
        self.counts.push(1);
    }

    /// Records the finding made by `make` the first time `key` is seen and
    /// only counts later occurrences.
    pub fn once(&mut self, key: String, make: impl FnOnce() -> Finding) {
        match self.keys.get(&key) {
            Some(&i) => self.counts[i] += 1,
            None => {
                self.keys.insert(key, self.findings.len());
                self.push(make());
            }
        }
    }

    /// Appends another report, combining records that share a key.
    pub fn merge(&mut self, other: Report) {
        let mut by_index: HashMap<usize, String> =
            other.keys.into_iter().map(|(k, i)| (i, k)).collect();
        for (i, (finding, count)) in other.findings.into_iter().zip(other.counts).enumerate() {
            match by_index.remove(&i) {
                Some(key) => match self.keys.get(&key) {
                    Some(&mine) => self.counts[mine] += count,
                    None => {
                        self.keys.insert(key, self.findings.len());
                        self.findings.push(finding);
                        self.counts.push(count);
                    }
                },
                None => {
                    self.findings.push(finding);
                    self.counts.push(count);
                }
            }
        }
    }

    pub fn worst_failed(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| f.status == Status::Failed)
            .map(|f| f.severity)
            .max()
    }

    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.status == Status::Error)
    }

    /// Whether any record of `rule` exists.
    pub fn mentions(&self, rule: &str) -> bool {
        self.findings.iter().any(|f| f.rule == rule)
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
            .into_iter()
            .zip(self.counts)
            .map(|(f, n)| if n > 1 { f.with("occurrences", n) } else { f })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(msg: &str) -> Finding {
        Finding::new("pickle-malformed", Status::Failed, Severity::Low, msg)
    }

    #[test]
    fn once_deduplicates_and_counts() {
        let mut r = Report::default();
        for _ in 0..3 {
            r.once("k".into(), || failed("first"));
        }
        r.once("other".into(), || failed("second"));
        let out = r.into_findings();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].evidence, [("occurrences".into(), "3".into())]);
        assert!(out[1].evidence.is_empty());
    }

    #[test]
    fn merge_combines_shared_keys() {
        let mut a = Report::default();
        a.once("k".into(), || failed("a"));
        let mut b = Report::default();
        b.once("k".into(), || failed("b"));
        b.once("j".into(), || failed("c"));
        b.push(failed("d"));
        a.merge(b);
        assert_eq!(a.worst_failed(), Some(Severity::Low));
        let out = a.into_findings();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].message, "a");
        assert_eq!(out[0].evidence[0].1, "2");
    }
}
