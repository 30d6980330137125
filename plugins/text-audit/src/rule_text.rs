//! Catalog text for the rules plugins derive from each [`Kind`], so every plugin
//! describes the same finding the same way.

use crate::{Kind, Level};

/// Everything a plugin needs to declare the rule for one kind.
pub struct RuleText {
    pub title: &'static str,
    pub description: &'static str,
    /// Severity of a failed check unless the indicator says otherwise.
    pub level: Level,
    pub category: &'static str,
    pub cwe: &'static [u32],
    pub attack: &'static [&'static str],
    pub remediation: &'static str,
    pub false_positives: &'static str,
}

impl Kind {
    pub fn rule_text(self) -> RuleText {
        match self {
            Kind::Code => RuleText {
                title: "No code in metadata strings",
                description: "Descriptive strings are shown and sometimes evaluated by tooling (model hubs, notebooks, web UIs). Python or JavaScript snippets (`import os`, `eval(`, `exec(`, `__import__`, `<script`), pickle-stream fragments, or base64 blobs decoding to them have no place there. The format cannot execute them itself, hence medium at most.",
                level: Level::Medium,
                category: "code-execution",
                cwe: &[94, 506],
                attack: &["AML.T0010", "T1059"],
                remediation: "Find out who wrote the metadata; strip the value before the model is published or displayed.",
                false_positives: "Model cards that document usage with code samples.",
            },
            Kind::Shell => RuleText {
                title: "No shell commands in metadata strings",
                description: "Shell command lines (`curl ... | sh`, `rm -rf`, `bash -c`, `powershell -enc`, reverse-shell idioms) in descriptive strings are bait for copy-paste execution or for tooling that runs them. The format cannot execute them itself, hence medium at most.",
                level: Level::Medium,
                category: "code-execution",
                cwe: &[78],
                attack: &["AML.T0010", "T1059.004", "T1059.001"],
                remediation: "Do not run commands taken from model metadata; strip the value.",
                false_positives: "Install instructions in a description.",
            },
            Kind::Credential => RuleText {
                title: "No credentials in metadata strings",
                description: "Cloud access keys, private keys, GitHub or Hugging Face tokens and `password=`/`api_key=` assignments leak to everyone who downloads the model. Values are never printed in full.",
                level: Level::Medium,
                category: "exfiltration",
                cwe: &[798, 200],
                attack: &["T1552.001"],
                remediation: "Revoke the credential now, then remove it from the file and republish.",
                false_positives: "Placeholders or documentation examples that look like real keys.",
            },
            Kind::Url => RuleText {
                title: "URLs in metadata strings are listed",
                description: "URLs are recorded so a reviewer sees where the metadata points. Plain https is informational; http, ftp, file and bare IP hosts are low.",
                level: Level::Info,
                category: "network",
                cwe: &[],
                attack: &[],
                remediation: "Check that each URL belongs to the model's publisher.",
                false_positives: "Links to the model's own homepage, paper or license.",
            },
            Kind::PathTraversal => RuleText {
                title: "No path traversal in metadata strings",
                description: "`../` sequences and references to system files (`/etc/passwd`, `~/.ssh`) in metadata can steer tools that build file paths from it.",
                level: Level::Low,
                category: "tampering",
                cwe: &[22],
                attack: &[],
                remediation: "Do not build file paths from model metadata; strip the value.",
                false_positives: "Relative paths in training-config descriptions.",
            },
        }
    }
}
