//! Constructors and builder methods that keep plugin code short.

use crate::{Check, FormatClaim, Location, Magic, Rule, ScanOutput, Severity, Status};

impl Check {
    /// A check of `rule` with the given status, full confidence and no location.
    pub fn new(rule: &str, status: Status, message: impl Into<String>) -> Self {
        Check {
            rule: rule.to_owned(),
            status,
            severity: None,
            message: message.into(),
            confidence: 100,
            location: None,
            evidence: Vec::new(),
        }
    }

    pub fn passed(rule: &str, message: impl Into<String>) -> Self {
        Self::new(rule, Status::Passed, message)
    }

    pub fn failed(rule: &str, message: impl Into<String>) -> Self {
        Self::new(rule, Status::Failed, message)
    }

    pub fn skipped(rule: &str, message: impl Into<String>) -> Self {
        Self::new(rule, Status::Skipped, message)
    }

    pub fn error(rule: &str, message: impl Into<String>) -> Self {
        Self::new(rule, Status::Error, message)
    }

    /// Override the rule's default severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    /// How sure the plugin is, 0-100 (values above 100 are clamped).
    pub fn confidence(mut self, confidence: u8) -> Self {
        self.confidence = confidence.min(100);
        self
    }

    pub fn offset(mut self, offset: u64) -> Self {
        self.location_mut().offset = Some(offset);
        self
    }

    pub fn locator(mut self, locator: impl Into<String>) -> Self {
        self.location_mut().locator = Some(locator.into());
        self
    }

    pub fn member(mut self, member: impl Into<String>) -> Self {
        self.location_mut().member = Some(member.into());
        self
    }

    pub fn evidence(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.evidence.push((key.into(), value.to_string()));
        self
    }

    fn location_mut(&mut self) -> &mut Location {
        self.location.get_or_insert(Location {
            member: None,
            offset: None,
            locator: None,
        })
    }
}

// The generated record has no derives to add `Default` to.
#[allow(clippy::derivable_impls)]
impl Default for ScanOutput {
    fn default() -> Self {
        ScanOutput {
            checks: Vec::new(),
            metadata: Vec::new(),
        }
    }
}

impl ScanOutput {
    pub fn push(&mut self, check: Check) {
        self.checks.push(check);
    }

    /// Record a fact about the model (format, tensor-count, architecture...).
    pub fn meta(&mut self, key: impl Into<String>, value: impl ToString) {
        self.metadata.push((key.into(), value.to_string()));
    }
}

impl Rule {
    /// A rule with the required fields; add the rest with the builder methods.
    pub fn new(id: &str, title: &str, severity: Severity, category: &str) -> Self {
        Rule {
            id: id.to_owned(),
            title: title.to_owned(),
            description: String::new(),
            severity,
            category: category.to_owned(),
            cwe: Vec::new(),
            attack: Vec::new(),
            remediation: String::new(),
            references: Vec::new(),
            false_positives: None,
        }
    }

    pub fn description(mut self, text: &str) -> Self {
        self.description = text.to_owned();
        self
    }

    pub fn cwe(mut self, ids: &[u32]) -> Self {
        self.cwe = ids.to_vec();
        self
    }

    /// MITRE ATLAS / ATT&CK technique ids.
    pub fn attack(mut self, ids: &[&str]) -> Self {
        self.attack = ids.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn remediation(mut self, text: &str) -> Self {
        self.remediation = text.to_owned();
        self
    }

    pub fn references(mut self, urls: &[&str]) -> Self {
        self.references = urls.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn false_positives(mut self, text: &str) -> Self {
        self.false_positives = Some(text.to_owned());
        self
    }
}

impl FormatClaim {
    /// A format claimed by file-name suffixes (without the dot).
    pub fn new(name: &str, extensions: &[&str]) -> Self {
        FormatClaim {
            name: name.to_owned(),
            extensions: extensions.iter().map(|s| s.to_string()).collect(),
            magic: Vec::new(),
            sniff: false,
        }
    }

    /// Also claim files with `bytes` at `offset`.
    pub fn magic(mut self, offset: u32, bytes: &[u8]) -> Self {
        self.magic.push(Magic {
            offset,
            bytes: bytes.to_vec(),
        });
        self
    }

    /// Ask to be offered files nothing else claims.
    pub fn sniff(mut self) -> Self {
        self.sniff = true;
        self
    }
}

/// `key=value` settings the user passed to this plugin (`--plugin-option`).
pub struct Options(Vec<(String, String)>);

impl Options {
    #[doc(hidden)]
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The last value given for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `key` parsed as a number, `default` when absent; an unparsable value is an error.
    pub fn get_u64(&self, key: &str, default: u64) -> Result<u64, crate::ScanError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                crate::ScanError::Other(format!(
                    "option {key}={v}: expected a non-negative integer"
                ))
            }),
        }
    }
}
