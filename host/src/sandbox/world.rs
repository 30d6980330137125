//! The only module that sees the generated WIT bindings. It converts them to and
//! from the host's own types at this boundary.

use crate::model::{Location, Rule, Severity, Status};

wasmtime::component::bindgen!({
    world: "scanner",
    path: "../wit",
    imports: { default: trappable },
    with: {
        "cordon:scanner/host.input": super::state::InputHandle,
        "cordon:scanner/host.member-sink": super::state::SinkHandle,
    },
});

pub use self::cordon::scanner::host::{Host, HostInput, HostMemberSink, MemberHeader};

/// The contract version this host implements, from the WIT package.
pub const CONTRACT_VERSION: &str = "0.1.0";
/// Name of the interface every plugin exports.
pub const PLUGIN_EXPORT: &str = "cordon:scanner/plugin";

use self::cordon::scanner::types as wit;

/// What a plugin says about itself, in host types.
#[derive(Clone, Debug)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub formats: Vec<FormatClaim>,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug)]
pub struct FormatClaim {
    pub name: String,
    pub extensions: Vec<String>,
    pub magic: Vec<(u64, Vec<u8>)>,
    pub sniff: bool,
}

/// A check as the plugin returned it, before the host resolves its severity.
#[derive(Clone, Debug)]
pub struct RawCheck {
    pub rule: String,
    pub status: Status,
    pub severity: Option<Severity>,
    pub message: String,
    pub confidence: u8,
    pub location: Location,
    pub evidence: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct ScanOutput {
    pub checks: Vec<RawCheck>,
    pub metadata: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub enum ScanError {
    Unsupported(String),
    Malformed(String),
    Limit(String),
    Io(String),
    Other(String),
}

impl From<wit::Severity> for Severity {
    fn from(s: wit::Severity) -> Self {
        match s {
            wit::Severity::Info => Severity::Info,
            wit::Severity::Low => Severity::Low,
            wit::Severity::Medium => Severity::Medium,
            wit::Severity::High => Severity::High,
            wit::Severity::Critical => Severity::Critical,
        }
    }
}

impl From<wit::Status> for Status {
    fn from(s: wit::Status) -> Self {
        match s {
            wit::Status::Passed => Status::Passed,
            wit::Status::Failed => Status::Failed,
            wit::Status::Skipped => Status::Skipped,
            wit::Status::Error => Status::Error,
        }
    }
}

impl From<wit::Rule> for Rule {
    fn from(r: wit::Rule) -> Self {
        Rule {
            id: r.id,
            title: r.title,
            description: r.description,
            severity: r.severity.into(),
            category: r.category,
            cwe: r.cwe,
            attack: r.attack,
            remediation: r.remediation,
            references: r.references,
            false_positives: r.false_positives,
        }
    }
}

impl From<wit::PluginInfo> for PluginInfo {
    fn from(i: wit::PluginInfo) -> Self {
        PluginInfo {
            name: i.name,
            version: i.version,
            description: i.description,
            formats: i
                .formats
                .into_iter()
                .map(|f| FormatClaim {
                    name: f.name,
                    extensions: f.extensions,
                    magic: f
                        .magic
                        .into_iter()
                        .map(|m| (u64::from(m.offset), m.bytes))
                        .collect(),
                    sniff: f.sniff,
                })
                .collect(),
            rules: i.rules.into_iter().map(Rule::from).collect(),
        }
    }
}

impl From<wit::ScanOutput> for ScanOutput {
    fn from(o: wit::ScanOutput) -> Self {
        ScanOutput {
            checks: o
                .checks
                .into_iter()
                .map(|c| RawCheck {
                    rule: c.rule,
                    status: c.status.into(),
                    severity: c.severity.map(Severity::from),
                    message: c.message,
                    confidence: c.confidence.min(100),
                    location: c
                        .location
                        .map(|l| Location {
                            member: l.member,
                            offset: l.offset,
                            locator: l.locator,
                        })
                        .unwrap_or_default(),
                    evidence: c.evidence,
                })
                .collect(),
            metadata: o.metadata,
        }
    }
}

impl From<wit::ScanError> for ScanError {
    fn from(e: wit::ScanError) -> Self {
        match e {
            wit::ScanError::Unsupported(m) => ScanError::Unsupported(m),
            wit::ScanError::Malformed(m) => ScanError::Malformed(m),
            wit::ScanError::Limit(m) => ScanError::Limit(m),
            wit::ScanError::Io(m) => ScanError::Io(m),
            wit::ScanError::Other(m) => ScanError::Other(m),
        }
    }
}
