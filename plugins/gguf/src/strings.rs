//! String metadata other than chat templates, searched for code, shell commands
//! and credentials (none of which GGUF metadata has reason to hold).

use cordon_plugin_sdk::{Check, ScanOutput};
use cordon_text_audit as text;

use crate::analyze::text_severity;
use crate::kv::{Metadata, Value};
use crate::rules;
use crate::templates::is_template_key;

/// Bytes searched per file (each value: its first `text::MAX_TEXT`).
const MAX_TOTAL_SCAN: usize = 4 << 20;

pub fn check(meta: &Metadata, out: &mut ScanOutput) {
    let mut failures: Vec<Vec<Check>> = rules::TEXT_KINDS.iter().map(|_| Vec::new()).collect();
    let mut scanned = 0usize;
    let mut values = 0usize;
    for kv in &meta.kvs {
        let Value::Str(s) = &kv.value else { continue };
        let Some(value) = &s.text else { continue };
        if is_template_key(&kv.key) || scanned >= MAX_TOTAL_SCAN {
            continue;
        }
        let end = value.floor_char_boundary(text::MAX_TEXT.min(MAX_TOTAL_SCAN - scanned));
        scanned += end;
        values += 1;
        for found in text::scan(&value[..end]) {
            let Some(slot) = rules::TEXT_KINDS.iter().position(|k| *k == found.kind) else {
                continue;
            };
            let encoded = if found.encoded {
                " (base64-encoded)"
            } else {
                ""
            };
            failures[slot].push(
                Check::failed(
                    &rules::text_rule(found.kind),
                    format!("{}: {}{encoded}: {}", kv.key, found.what, found.excerpt),
                )
                .severity(text_severity(found.level))
                .offset(s.at + found.offset as u64)
                .locator(kv.key.as_str()),
            );
        }
    }
    for (kind, failures) in rules::TEXT_KINDS.iter().zip(failures) {
        let rule = rules::text_rule(*kind);
        out.outcome(
            &rule,
            failures,
            format!("nothing found in {values} string metadata values"),
        );
    }
}
