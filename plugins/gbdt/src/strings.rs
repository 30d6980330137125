//! Strings stored in a model (feature names, attributes, parameters) that carry
//! code, shell commands or URLs: a tree model never needs any of them, but a
//! loader or a notebook that echoes or evaluates them would run them.

use cordon_plugin_sdk::Severity;

/// Fragments of code or shell commands (matched case-insensitively).
const CODE: &[&str] = &[
    "__import__",
    "eval(",
    "exec(",
    "os.system",
    "subprocess",
    "import os",
    "<script",
    "$(",
    "`",
    "bash -c",
    "sh -c",
    "/bin/sh",
    "/bin/bash",
    "| sh",
    "|sh",
    "; rm ",
    "&& rm ",
    "rm -rf",
    "curl ",
    "wget ",
    "powershell",
    "cmd.exe",
    "nc -e",
    "chmod +x",
];
/// URL schemes: data exfiltration or download targets.
const URLS: &[&str] = &["http://", "https://", "ftp://", "file://"];

/// What a suspicious string looks like, with the severity it deserves.
pub fn classify(text: &str) -> Option<(&'static str, Severity)> {
    let lower = text.to_ascii_lowercase();
    if let Some(hit) = CODE.iter().find(|p| lower.contains(*p)) {
        return Some((hit, Severity::Medium));
    }
    URLS.iter()
        .find(|p| lower.contains(*p))
        .map(|hit| (*hit, Severity::Low))
}

/// `text` shortened for a message or evidence.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 120;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}
