//! Static analysis of Python pickle streams (the serialisation format behind
//! most ML model files).
//!
//! The analyser is a *symbolic* pickle virtual machine: it decodes every
//! opcode of protocols 0–5, tracks the stack and memo with symbolic values
//! and resolves every global and call site, but never imports or executes
//! anything. Input is streamed: large byte payloads (tensor data) are skipped
//! without being stored, so memory stays bounded whatever the file size.
//!
//! Every check is reported, passed or failed, so an auditor can see what was
//! examined; see [`rules`] for the catalogue.

mod driver;
mod globals;
mod literals;
mod names;
mod nested;
mod npy;
mod opcodes;
mod plugin;
mod policy;
mod report;
mod rules;
mod sniff;
mod source;
mod summary;
mod value;
mod vm;

pub use rules::{RuleInfo, rules};
pub use sniff::looks_like_pickle;

/// Resource budgets. When one is exhausted the analysis stops and reports a
/// `pickle-budget` finding with [`Status::Error`]: the unread part is
/// inconclusive, never clean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Opcodes executed, over all streams including nested pickles.
    pub max_opcodes: u64,
    /// Entries in the memo of one stream.
    pub max_memo: usize,
    /// Values on the stack of one stream.
    pub max_stack: usize,
    /// Depth of pickles nested inside pickles (the outer input is depth 0).
    pub max_nesting: u32,
    /// Bytes read from the input.
    pub max_bytes: u64,
    /// Concatenated pickle streams in the input.
    pub max_streams: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_opcodes: 50_000_000,
            max_memo: 1_000_000,
            max_stack: 1_000_000,
            max_nesting: 3,
            max_bytes: u64::MAX,
            max_streams: 64,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// The check ran and found nothing wrong.
    Passed,
    /// The check ran and found a problem.
    Failed,
    /// The check was deliberately not run on some data (e.g. too large).
    Skipped,
    /// The check could not complete (budget exhausted): inconclusive.
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Id of a rule in [`rules`].
    pub rule: &'static str,
    pub status: Status,
    pub severity: Severity,
    pub message: String,
    /// How sure the analyser is that the finding is real, 0–100.
    pub confidence: u8,
    /// Byte offset in the input.
    pub offset: Option<u64>,
    /// Human-readable position, e.g. `stream 0, opcode 17 STACK_GLOBAL`.
    pub locator: Option<String>,
    pub evidence: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    /// Protocols, stream and opcode counts, globals, framework hints.
    pub metadata: Vec<(String, String)>,
}

impl Analysis {
    /// The most severe failed finding, if any.
    pub fn worst_failure(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| f.status == Status::Failed)
            .map(|f| f.severity)
            .max()
    }

    /// Looks up a metadata value by key.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Analyses every pickle stream in `reader` (several may be concatenated).
///
/// Never fails: I/O errors, malformed data and exhausted budgets are
/// reported as findings.
pub fn analyze<R: std::io::Read>(reader: R, limits: &Limits) -> Analysis {
    driver::analyze(reader, limits)
}
