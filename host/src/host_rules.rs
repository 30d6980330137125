//! The host's own rule catalog: what the sandbox, the router and the archive
//! limits record about a file, beside the plugins' checks.

use crate::model::{Rule, Severity};

/// Plugin name under which the host's own checks are reported.
pub const HOST: &str = "cordon";

pub const UNRECOGNIZED: &str = "cordon-unrecognized-format";
pub const READ_ERROR: &str = "cordon-read-error";
pub const NOT_REGULAR: &str = "cordon-not-regular-file";
pub const PLUGIN_CRASHED: &str = "cordon-plugin-crashed";
pub const PLUGIN_ERROR: &str = "cordon-plugin-error";
pub const UNKNOWN_RULE: &str = "cordon-unknown-rule";
pub const ARCHIVE_DEPTH: &str = "cordon-archive-depth";
pub const ARCHIVE_MEMBERS: &str = "cordon-archive-member-count";
pub const ARCHIVE_MEMBER_SIZE: &str = "cordon-archive-member-size";
pub const ARCHIVE_TOTAL_SIZE: &str = "cordon-archive-total-size";
pub const ARCHIVE_RATIO: &str = "cordon-archive-compression-ratio";
pub const ARCHIVE_UNFINISHED: &str = "cordon-archive-member-unfinished";
pub const CUSTOM_CODE: &str = "cordon-custom-code";

pub fn catalog() -> Vec<Rule> {
    let rule = |id: &str,
                title: &str,
                severity,
                category: &str,
                description: &str,
                cwe: &[u32],
                remediation: &str| Rule {
        id: id.into(),
        title: title.into(),
        description: description.into(),
        severity,
        category: category.into(),
        cwe: cwe.to_vec(),
        attack: Vec::new(),
        remediation: remediation.into(),
        references: Vec::new(),
        false_positives: None,
    };
    let mut rules = vec![
        rule(
            UNRECOGNIZED,
            "No plugin recognises the file",
            Severity::Info,
            "coverage",
            "No plugin claimed the file by magic bytes, format hint or extension, and no sniffing plugin accepted it; nothing about its content was checked.",
            &[],
            "Check that the file is a model format Cordon supports, or add a plugin for it.",
        ),
        rule(
            READ_ERROR,
            "File could not be read",
            Severity::High,
            "coverage",
            "The file could not be opened, hashed or read; it was not scanned.",
            &[],
            "Fix permissions or the path and scan again.",
        ),
        rule(
            NOT_REGULAR,
            "Not a regular file",
            Severity::Info,
            "coverage",
            "Symbolic links (unless --follow-symlinks), FIFOs, sockets and devices are recorded but not read.",
            &[61],
            "Scan the link target directly if it should be scanned.",
        ),
        rule(
            PLUGIN_CRASHED,
            "Plugin stopped by the sandbox",
            Severity::High,
            "denial-of-service",
            "The plugin trapped, ran past its deadline or its memory cap while scanning this input. The input may be crafted to exhaust scanners; its content is not verified.",
            &[400, 834],
            "Treat the file as unverified; report the plugin failure if the file is benign.",
        ),
        rule(
            PLUGIN_ERROR,
            "Plugin could not scan the input",
            Severity::Medium,
            "integrity",
            "The plugin recognised the format but reported the input malformed, unreadable or over one of its budgets; its content is not fully verified.",
            &[20],
            "Treat the file as unverified; obtain a well-formed copy.",
        ),
        rule(
            UNKNOWN_RULE,
            "Plugin reported a rule outside its catalog",
            Severity::Medium,
            "integrity",
            "A check named a rule id the plugin did not declare; the plugin does not honour the contract.",
            &[],
            "Report the bug to the plugin's author.",
        ),
        rule(
            ARCHIVE_DEPTH,
            "Archive nesting within the depth limit",
            Severity::High,
            "denial-of-service",
            "Archives nested deeper than --max-depth are not unpacked further (42.zip-style recursion).",
            &[409],
            "Treat the unscanned members as unverified; raise --max-depth only for trusted files.",
        ),
        rule(
            ARCHIVE_MEMBERS,
            "Archive member count within the limit",
            Severity::High,
            "denial-of-service",
            "More members than --max-members were handed back; the rest were not scanned.",
            &[409, 770],
            "Treat the unscanned members as unverified.",
        ),
        rule(
            ARCHIVE_MEMBER_SIZE,
            "Archive member size within the limit",
            Severity::High,
            "denial-of-service",
            "A member decompressed past --max-member-bytes and was cut off unscanned.",
            &[409],
            "Treat the member as unverified.",
        ),
        rule(
            ARCHIVE_TOTAL_SIZE,
            "Total unpacked size within the limit",
            Severity::High,
            "denial-of-service",
            "Members of this file decompressed past --max-total-bytes in all; the rest were cut off unscanned.",
            &[409],
            "Treat the unscanned members as unverified.",
        ),
        rule(
            ARCHIVE_RATIO,
            "Compression ratio within the limit",
            Severity::High,
            "denial-of-service",
            "A member expanded more than --max-ratio times its compressed size past 1 MiB: a decompression bomb. It was not expanded further.",
            &[409],
            "Do not unpack the archive.",
        ),
        rule(
            ARCHIVE_UNFINISHED,
            "Archive member handed back completely",
            Severity::Medium,
            "integrity",
            "The archive plugin started a member but never finished it; the partial member was not scanned.",
            &[20],
            "Treat the member as unverified.",
        ),
        rule(
            CUSTOM_CODE,
            "No Python code shipped beside the weights",
            Severity::Low,
            "code-execution",
            "Python files in the same directory as model weights are what `trust_remote_code=True` loaders import; medium when a config in the directory points loaders at code (auto_map, custom pipelines).",
            &[94, 829],
            "Read the Python files before loading the model with remote code enabled, or load without it.",
        ),
    ];
    for r in &mut rules {
        if r.category == "denial-of-service" {
            r.attack = vec!["AML.T0029".into(), "T1499".into()];
        }
    }
    rules
}
