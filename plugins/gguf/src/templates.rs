//! `tokenizer.chat_template` and the named `tokenizer.chat_template.<name>`
//! templates, analysed for template injection.

use cordon_plugin_sdk::{Check, ScanOutput, Severity};
use cordon_template_audit::{self as audit, Level};

use crate::kv::{self, KEEP_STRING, Metadata, Value};
use crate::rules;

pub const KEY: &str = "tokenizer.chat_template";

pub fn is_template_key(key: &str) -> bool {
    key == KEY
        || key
            .strip_prefix(KEY)
            .is_some_and(|rest| rest.starts_with('.'))
}

pub fn severity(level: Level) -> Severity {
    match level {
        Level::Low => Severity::Low,
        Level::Medium => Severity::Medium,
        Level::High => Severity::High,
        Level::Critical => Severity::Critical,
    }
}

pub fn check(meta: &Metadata, out: &mut ScanOutput) {
    let mut injection = Vec::new();
    let mut syntax = Vec::new();
    let mut clean = Vec::new();
    for kv in meta.kvs.iter().filter(|kv| is_template_key(&kv.key)) {
        let key = kv.key.as_str();
        let Value::Str(s) = &kv.value else {
            syntax.push(
                Check::failed(
                    rules::TEMPLATE_SYNTAX,
                    format!("{key} is a {}, not a string", kv::type_name(kv.ty)),
                )
                .offset(kv.offset)
                .locator(key),
            );
            continue;
        };
        let Some(text) = &s.text else {
            injection.push(
                Check::error(rules::TEMPLATE_INJECTION, format!("{key} is {} bytes, over the {KEEP_STRING}-byte analysis limit; not analysed", s.len))
                    .offset(s.at)
                    .locator(key),
            );
            continue;
        };
        let result = audit::audit(text);
        for f in &result.findings {
            injection.push(
                Check::failed(rules::TEMPLATE_INJECTION, format!("{key}: {}", f.message))
                    .severity(severity(f.level))
                    .confidence(f.confidence)
                    .offset(s.at + f.offset as u64)
                    .locator(format!("{key}:{}", f.line))
                    .evidence("excerpt", &f.excerpt),
            );
        }
        for issue in &result.syntax {
            syntax.push(
                Check::failed(
                    rules::TEMPLATE_SYNTAX,
                    format!("{key} line {}: {}", issue.line, issue.message),
                )
                .offset(s.at + issue.offset as u64)
                .locator(format!("{key}:{}", issue.line)),
            );
        }
        if result.findings.is_empty() {
            clean.push(format!(
                "{key} ({} bytes, {} tags; uses {})",
                text.len(),
                result.tags,
                result.uses()
            ));
        }
    }
    let passed = if clean.is_empty() {
        "no chat template".to_string()
    } else {
        format!("no injection constructs in {}", clean.join("; "))
    };
    out.outcome(rules::TEMPLATE_INJECTION, injection, passed);
    out.outcome(rules::TEMPLATE_SYNTAX, syntax, "every chat template parses");
}
