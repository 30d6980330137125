//! Chat templates in configs (`chat_template` as a string or a list of named
//! templates, and other `*template*` values holding Jinja) and standalone
//! template files, analysed for template injection.

use cordon_plugin_sdk::{Check, ScanOutput, Severity};
use cordon_template_audit::{self as audit, Level};
use serde_json::Value;

use crate::config::Node;
use crate::rules;

/// Largest template analysed.
pub const MAX_TEMPLATE_BYTES: usize = 1 << 20;

pub struct Template {
    pub name: String,
    /// JSON pointer of the value; empty for a standalone template file.
    pub pointer: String,
    pub text: String,
}

fn severity(level: Level) -> Severity {
    match level {
        Level::Low => Severity::Low,
        Level::Medium => Severity::Medium,
        Level::High => Severity::High,
        Level::Critical => Severity::Critical,
    }
}

fn looks_like_jinja(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

pub fn find(nodes: &[Node]) -> Vec<Template> {
    let mut found: Vec<Template> = Vec::new();
    for node in nodes {
        match (node.key, node.value) {
            (Some("chat_template"), Value::String(text)) => {
                found.push(Template {
                    name: "chat_template".into(),
                    pointer: node.pointer.clone(),
                    text: text.clone(),
                });
            }
            // `[{"name": "default", "template": "..."}, {"name": "tool_use", ...}]`
            (Some("chat_template"), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(text) = item.get("template").and_then(Value::as_str) {
                        let name = item
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("unnamed");
                        found.push(Template {
                            name: format!("chat_template:{name}"),
                            pointer: format!("{}/{i}/template", node.pointer),
                            text: text.to_owned(),
                        });
                    }
                }
            }
            (Some(key), Value::String(text))
                if key.to_ascii_lowercase().contains("template")
                    && looks_like_jinja(text)
                    && !found.iter().any(|t| t.pointer == node.pointer) =>
            {
                found.push(Template {
                    name: key.to_owned(),
                    pointer: node.pointer.clone(),
                    text: text.clone(),
                });
            }
            _ => {}
        }
    }
    found
}

pub fn check(templates: &[Template], out: &mut ScanOutput) {
    let mut injection = Vec::new();
    let mut syntax = Vec::new();
    let mut clean = Vec::new();
    for t in templates {
        let place = |line: usize| {
            if t.pointer.is_empty() {
                format!("line {line}")
            } else {
                format!("{}:{line}", t.pointer)
            }
        };
        if t.text.len() > MAX_TEMPLATE_BYTES {
            injection.push(
                Check::error(rules::TEMPLATE_INJECTION, format!("{} is {} bytes, over the {MAX_TEMPLATE_BYTES}-byte analysis limit; not analysed", t.name, t.text.len()))
                    .locator(t.pointer.as_str()),
            );
            continue;
        }
        let result = audit::audit(&t.text);
        for f in &result.findings {
            injection.push(
                Check::failed(
                    rules::TEMPLATE_INJECTION,
                    format!("{}: {}", t.name, f.message),
                )
                .severity(severity(f.level))
                .confidence(f.confidence)
                .locator(place(f.line))
                .evidence("excerpt", &f.excerpt),
            );
        }
        for issue in &result.syntax {
            syntax.push(
                Check::failed(
                    rules::TEMPLATE_SYNTAX,
                    format!("{} line {}: {}", t.name, issue.line, issue.message),
                )
                .locator(place(issue.line)),
            );
        }
        if result.findings.is_empty() {
            clean.push(format!(
                "{} ({} bytes, {} tags; uses {})",
                t.name,
                t.text.len(),
                result.tags,
                result.uses()
            ));
        }
    }
    let passed = if templates.is_empty() {
        "no chat template".to_string()
    } else {
        format!("no injection constructs in {}", clean.join("; "))
    };
    out.outcome(rules::TEMPLATE_INJECTION, injection, passed);
    out.outcome(rules::TEMPLATE_SYNTAX, syntax, "every chat template parses");
}
