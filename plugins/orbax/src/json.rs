//! Walks any Orbax / Zarr JSON document for callable references, escaping
//! paths and pickles, with a JSON-pointer locator on every finding.

use cordon_plugin_sdk::{Check, ScanOutput, Severity};
use serde_json::Value;

use crate::rules;
use crate::values::{self, Callable};
use cordon_plugin_sdk::Findings;

/// Analyse every string in `doc`; closes the callable, pickle and path rules.
pub fn walk(doc: &Value, f: &mut Findings, out: &mut ScanOutput) {
    let mut listed = Vec::new();
    visit(doc, "", None, None, f, out, &mut listed);
    for rule in [rules::CALLABLE, rules::PICKLE, rules::PATH_ESCAPE] {
        f.finish(out, rule, passed(rule));
    }
    if !listed.is_empty() {
        out.meta("callable-references", listed.join(", "));
    }
}

fn passed(rule: &str) -> &'static str {
    match rule {
        rules::CALLABLE => "no references to dangerous Python callables",
        rules::PICKLE => "no encoded pickles or pickle file references",
        _ => "no path field leaves the checkpoint",
    }
}

fn visit(
    v: &Value,
    pointer: &str,
    key: Option<&str>,
    parent_key: Option<&str>,
    f: &mut Findings,
    out: &mut ScanOutput,
    listed: &mut Vec<String>,
) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let pointer = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                if matches!(
                    k.as_str(),
                    "__reduce__" | "__reduce_ex__" | "__globals__" | "__builtins__" | "__import__"
                ) {
                    let check = Check::failed(
                        rules::CALLABLE,
                        format!("key `{k}` names a pickle reducer or interpreter internal"),
                    )
                    .locator(&pointer);
                    f.fail(out, rules::CALLABLE, check);
                }
                visit(child, &pointer, Some(k), key, f, out, listed);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                visit(
                    child,
                    &format!("{pointer}/{i}"),
                    key,
                    parent_key,
                    f,
                    out,
                    listed,
                );
            }
        }
        Value::String(s) => string(s, pointer, key, parent_key, f, out, listed),
        _ => {}
    }
}

fn string(
    s: &str,
    pointer: &str,
    key: Option<&str>,
    parent_key: Option<&str>,
    f: &mut Findings,
    out: &mut ScanOutput,
    listed: &mut Vec<String>,
) {
    let key = key.unwrap_or("");
    // `item_handlers: {"params": "orbax...Handler"}` names handlers one level down.
    let names_callable =
        values::CALLABLE_KEYS.contains(&key) || parent_key.is_some_and(|p| p.ends_with("handlers"));
    if names_callable {
        callable(s, key, pointer, f, out, listed);
    }
    if values::PATH_KEYS.contains(&key)
        && let Some((severity, why)) = values::path_escape(s)
    {
        let check = Check::failed(rules::PATH_ESCAPE, format!("`{key}` {why}: {s}"))
            .severity(severity)
            .locator(pointer)
            .evidence("path", s);
        f.fail(out, rules::PATH_ESCAPE, check);
    }
    if let Some(encoding) = values::encoded_pickle(s) {
        let check = Check::failed(
            rules::PICKLE,
            format!(
                "value is a {encoding}-encoded pickle of about {} characters",
                s.len()
            ),
        )
        .locator(pointer);
        f.fail(out, rules::PICKLE, check);
    } else if !matches!(key, "name" | "id") && values::pickle_file(s) {
        // Codec `name`/`id` values such as `numcodecs.pickle` are handled by the Zarr checks.
        let check = Check::failed(rules::PICKLE, format!("value names a pickle file: {s}"))
            .severity(Severity::Medium)
            .locator(pointer)
            .evidence("file", s);
        f.fail(out, rules::PICKLE, check);
    }
}

fn callable(
    s: &str,
    key: &str,
    pointer: &str,
    f: &mut Findings,
    out: &mut ScanOutput,
    listed: &mut Vec<String>,
) {
    let (severity, why) = match values::callable(s) {
        Callable::Dangerous(module) => (
            Severity::Critical,
            format!("imports `{module}`, which runs commands or code"),
        ),
        Callable::Library => return,
        Callable::Other if key == "_target_" => (
            Severity::Low,
            "is instantiated on restore; review it".to_string(),
        ),
        Callable::Other => (
            Severity::Info,
            "names code outside the JAX checkpoint libraries".to_string(),
        ),
    };
    listed.push(s.to_string());
    let check = Check::failed(rules::CALLABLE, format!("`{key}` = `{s}` {why}"))
        .severity(severity)
        .locator(pointer)
        .evidence("callable", s);
    f.fail(out, rules::CALLABLE, check);
}
