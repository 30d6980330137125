//! The report model: the host's own types, serialised as the JSON report
//! (documented by `schema/report.schema.json`) and read by every printer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Bumped on any change to the JSON report's shape.
pub const SCHEMA_VERSION: &str = "1.0.0";

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Self::Info,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Failed,
    Error,
    Skipped,
    Passed,
}

/// One entry of a rule catalog (a plugin's or the host's own).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub category: String,
    pub cwe: Vec<u32>,
    pub attack: Vec<String>,
    pub remediation: String,
    pub references: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub false_positives: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Archive chain and entry, e.g. `outer.zip!dir/data.pkl`, when not the file itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locator: Option<String>,
}

impl Location {
    pub fn is_empty(&self) -> bool {
        *self == Location::default()
    }
}

/// One recorded check, passed or not.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Check {
    /// The plugin that made the check, or `cordon` for the host's own.
    pub plugin: String,
    pub rule: String,
    pub status: Status,
    /// The effective severity: the check's override or its rule's default.
    pub severity: Severity,
    pub message: String,
    pub confidence: u8,
    #[serde(default, skip_serializing_if = "Location::is_empty")]
    pub location: Location,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Hashes {
    pub md5: String,
    pub sha256: String,
    pub sha512: String,
}

/// How one plugin run on one input ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The plugin returned its checks.
    Completed,
    /// The plugin said the input is not its format.
    Unsupported,
    /// The plugin returned an error.
    Failed,
    /// The wall-clock deadline interrupted it.
    Timeout,
    /// It tried to grow its memory past the cap.
    MemoryLimit,
    /// It trapped (panic, abort, stack overflow, output flood...).
    Trap,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Unsupported => "unsupported",
            Outcome::Failed => "failed",
            Outcome::Timeout => "timeout",
            Outcome::MemoryLimit => "memory-limit",
            Outcome::Trap => "trap",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PluginRun {
    pub plugin: String,
    pub version: String,
    /// The archive member this run scanned, when not the file itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    pub duration_ms: f64,
    pub outcome: Outcome,
    /// Bytes of the input the plugin read through the sandbox.
    pub bytes_read: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A metadata fact, attributed to the plugin (and member) it came from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Metadata {
    pub plugin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileReport {
    pub path: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Hashes>,
    /// Formats the plugins that completed recognised, in order.
    pub formats: Vec<String>,
    pub plugin_runs: Vec<PluginRun>,
    pub checks: Vec<Check>,
    pub metadata: Vec<Metadata>,
}

impl FileReport {
    pub fn new(path: String) -> Self {
        FileReport {
            path,
            size: 0,
            hashes: None,
            formats: Vec::new(),
            plugin_runs: Vec::new(),
            checks: Vec::new(),
            metadata: Vec::new(),
        }
    }

    /// The worst severity among failed checks.
    pub fn worst_failure(&self) -> Option<Severity> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Failed)
            .map(|c| c.severity)
            .max()
    }

    pub fn has_errors(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Error)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PluginSummary {
    pub name: String,
    pub version: String,
    pub sha256: String,
    /// `bundled`, or the path the plugin was loaded from.
    pub source: String,
    pub formats: Vec<String>,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
    /// The WIT contract plugins are built against, `cordon:scanner@X.Y.Z`.
    pub contract: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub fail_on: Severity,
    pub timeout_secs: f64,
    pub max_memory_bytes: u64,
    pub jobs: usize,
    pub follow_symlinks: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub files: usize,
    /// Count of checks per status.
    pub checks: BTreeMap<Status, usize>,
    /// Count of failed checks per severity.
    pub failed_by_severity: BTreeMap<Severity, usize>,
    /// Files with a failed check at or above `fail_on`.
    pub files_with_findings: usize,
    /// Files with an error check.
    pub files_with_errors: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: String,
    pub tool: Tool,
    pub plugins: Vec<PluginSummary>,
    pub settings: Settings,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: f64,
    pub files: Vec<FileReport>,
    pub summary: Summary,
}

impl Report {
    pub fn summarize(files: &[FileReport], fail_on: Severity) -> Summary {
        let mut summary = Summary {
            files: files.len(),
            ..Summary::default()
        };
        for file in files {
            for check in &file.checks {
                *summary.checks.entry(check.status).or_default() += 1;
                if check.status == Status::Failed {
                    *summary
                        .failed_by_severity
                        .entry(check.severity)
                        .or_default() += 1;
                }
            }
            if file.worst_failure().is_some_and(|s| s >= fail_on) {
                summary.files_with_findings += 1;
            }
            if file.has_errors() {
                summary.files_with_errors += 1;
            }
        }
        summary
    }

    /// 2 when any check errored, 1 when a failed check reaches `fail_on`, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.summary.files_with_errors > 0 {
            2
        } else if self.summary.files_with_findings > 0 {
            1
        } else {
            0
        }
    }
}
