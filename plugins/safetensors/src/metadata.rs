//! The `__metadata__` string map: its shape, its values searched for code, shell
//! commands, credentials, URLs and path traversal (safetensors cannot execute
//! anything, so these are medium at most: the text is shown and used by tooling),
//! and the framework it names.

use cordon_plugin_sdk::{Check, ScanOutput, Severity};
use cordon_text_audit::{self as text, Kind, Level};
use serde_json::Value;

use crate::header::Header;
use crate::rules;

/// Failures listed per rule; the rest are counted in a summary check.
const MAX_REPORTED: usize = 50;
/// Bytes of all values searched (each value: its first `text::MAX_TEXT`).
const MAX_TOTAL_SCAN: usize = 4 << 20;

pub fn severity(level: Level) -> Severity {
    match level {
        Level::Info => Severity::Info,
        Level::Low => Severity::Low,
        Level::Medium => Severity::Medium,
    }
}

pub fn check(header: &Header, out: &mut ScanOutput) {
    let Some(value) = header.metadata() else {
        for kind in Kind::ALL {
            out.push(Check::passed(
                &rules::text_rule(kind),
                "no __metadata__ entry to inspect",
            ));
        }
        return;
    };
    let Some(map) = value
        .as_object()
        .filter(|m| m.values().all(Value::is_string))
    else {
        out.push(
            Check::failed(
                rules::METADATA,
                "__metadata__ is not a map of strings to strings",
            )
            .locator("__metadata__"),
        );
        for kind in Kind::ALL {
            out.push(Check::skipped(
                &rules::text_rule(kind),
                "not inspected: __metadata__ is not a string map",
            ));
        }
        return;
    };
    out.meta("metadata-keys", map.len());
    out.push(
        Check::passed(
            rules::METADATA,
            format!("__metadata__ holds {} string entries", map.len()),
        )
        .locator("__metadata__"),
    );
    if let Some(format) = map.get("format").and_then(Value::as_str) {
        out.meta("framework", framework(format));
    }
    if let Some(arch) = map.get("modelspec.architecture").and_then(Value::as_str) {
        out.meta("architecture", arch.chars().take(200).collect::<String>());
    }

    let mut failures: Vec<Vec<Check>> = Kind::ALL.iter().map(|_| Vec::new()).collect();
    let mut scanned = 0usize;
    for (key, value) in map {
        let value = value.as_str().expect("checked above");
        if scanned >= MAX_TOTAL_SCAN {
            break;
        }
        let end = value.floor_char_boundary(text::MAX_TEXT.min(MAX_TOTAL_SCAN - scanned));
        scanned += end;
        for found in text::scan(&value[..end]) {
            let slot = Kind::ALL
                .iter()
                .position(|k| *k == found.kind)
                .expect("every kind is listed");
            let encoded = if found.encoded {
                " (base64-encoded)"
            } else {
                ""
            };
            failures[slot].push(
                Check::failed(
                    &rules::text_rule(found.kind),
                    format!(
                        "__metadata__[{key:?}]: {}{encoded}: {}",
                        found.what, found.excerpt
                    ),
                )
                .severity(severity(found.level))
                .locator(format!("__metadata__/{key}"))
                .evidence("excerpt", &found.excerpt),
            );
        }
    }
    for (kind, failures) in Kind::ALL.iter().zip(failures) {
        let rule = rules::text_rule(*kind);
        if failures.is_empty() {
            out.push(Check::passed(
                &rule,
                format!("nothing found in {} __metadata__ values", map.len()),
            ));
            continue;
        }
        let total = failures.len();
        out.checks.extend(failures.into_iter().take(MAX_REPORTED));
        if total > MAX_REPORTED {
            out.push(
                Check::failed(
                    &rule,
                    format!(
                        "{} more findings of this rule are not listed",
                        total - MAX_REPORTED
                    ),
                )
                .evidence("total", total),
            );
        }
    }
}

/// The framework a `format` value names (`pt`, `tf`, `flax`, `np`, `mlx`).
fn framework(format: &str) -> String {
    match format {
        "pt" => "pytorch".into(),
        "tf" => "tensorflow".into(),
        "flax" => "flax".into(),
        "np" | "numpy" => "numpy".into(),
        "mlx" => "mlx".into(),
        other => other.chars().take(50).collect(),
    }
}
