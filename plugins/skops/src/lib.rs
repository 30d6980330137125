//! Cordon plugin for skops (`.skops`) models: the `schema.json` the zip plugin
//! hands back (hint `skops-schema`), or any JSON with skops' node keys. It lists
//! the types and callables skops.io.load would construct, without importing any.

mod rules;
mod schema;
mod trust;

use std::collections::BTreeMap;

use cordon_plugin_sdk::{
    Check, FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, Severity,
    register_plugin,
};
use serde_json::Value;

use trust::Verdict;

/// Largest schema parsed; skops schemas of large pipelines are a few MiB.
const MAX_SCHEMA_BYTES: u64 = 64 << 20;
/// Bytes inspected to decide whether a JSON file is a skops schema at all.
const SNIFF_BYTES: usize = 4096;
/// Failed checks recorded per rule before a summary.
const MAX_FINDINGS: usize = 50;
const HINT: &str = "skops-schema";

struct Skops;

impl Plugin for Skops {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "skops".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "types and callables a skops schema constructs".into(),
            formats: vec![FormatClaim::new(HINT, &["json"]).sniff()],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let hinted = input.hint().as_deref() == Some(HINT);
        if !hinted && !looks_like_skops(&input.read_at(0, SNIFF_BYTES)?) {
            return Err(ScanError::Unsupported(
                "no skops node keys in the JSON".into(),
            ));
        }
        if input.size() > MAX_SCHEMA_BYTES {
            return Err(ScanError::Limit(format!(
                "skops schema of {} bytes is above the {MAX_SCHEMA_BYTES}-byte limit",
                input.size()
            )));
        }
        analyze(&input.read_at(0, input.size() as usize)?, hinted)
    }
}

register_plugin!(Skops);

/// A JSON object whose first bytes carry skops' node keys.
pub fn looks_like_skops(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let contains = |key: &str| text.contains(&format!("\"{key}\""));
    text.trim_start().starts_with('{')
        && contains("__loader__")
        && (contains("__module__") || contains("_skops_version"))
}

/// Analyse a whole schema; `hinted` when the archive layout already says it is one.
pub fn analyze(bytes: &[u8], hinted: bool) -> Result<ScanOutput, ScanError> {
    let mut out = ScanOutput::default();
    let root: Value = match serde_json::from_slice(bytes) {
        Ok(root) => root,
        Err(e) => {
            out.meta("format", "skops");
            out.push(
                Check::failed(rules::SCHEMA, format!("schema is not valid JSON: {e}"))
                    .severity(Severity::Medium),
            );
            return Ok(out);
        }
    };
    if !hinted && root.get("__loader__").is_none() {
        return Err(ScanError::Unsupported(
            "top-level object is not a skops node".into(),
        ));
    }
    out.meta("format", "skops");
    let walk = schema::walk(&root);
    record_metadata(&root, &walk, &mut out);
    check_schema(&root, &walk, &mut out);
    check_types(&walk, &mut out);
    Ok(out)
}

fn record_metadata(root: &Value, walk: &schema::Walk, out: &mut ScanOutput) {
    if let Some(protocol) = root.get("protocol") {
        out.meta("skops-protocol", protocol);
    }
    if let Some(version) = root.get("_skops_version").and_then(Value::as_str) {
        out.meta("skops-version", version);
    }
    if let Some(top) = walk.nodes.first().filter(|n| n.pointer.is_empty()) {
        out.meta("estimator-class", &top.type_name);
    }
    out.meta("node-count", walk.nodes.len());
    let mut loaders: BTreeMap<&str, usize> = BTreeMap::new();
    for node in &walk.nodes {
        *loaders.entry(node.loader.as_str()).or_default() += 1;
    }
    out.meta(
        "loaders",
        loaders
            .iter()
            .map(|(l, n)| format!("{l}:{n}"))
            .collect::<Vec<_>>()
            .join(","),
    );
    let files: Vec<&str> = walk
        .nodes
        .iter()
        .filter_map(|n| n.file.as_deref())
        .collect();
    if !files.is_empty() {
        out.meta("array-files", files.len());
    }
}

/// Pushes at most [`MAX_FINDINGS`] failures of one rule, then a summary.
struct Capped<'a> {
    rule: &'static str,
    count: usize,
    out: &'a mut ScanOutput,
}

impl<'a> Capped<'a> {
    fn new(rule: &'static str, out: &'a mut ScanOutput) -> Self {
        Capped {
            rule,
            count: 0,
            out,
        }
    }

    fn push(&mut self, check: Check) {
        self.count += 1;
        if self.count <= MAX_FINDINGS {
            self.out.push(check);
        }
    }

    /// Records the summary, or `passed` when nothing failed.
    fn finish(self, passed: &str) {
        if self.count == 0 {
            self.out.push(Check::passed(self.rule, passed));
        } else if self.count > MAX_FINDINGS {
            let hidden = self.count - MAX_FINDINGS;
            self.out.push(
                Check::failed(
                    self.rule,
                    format!(
                        "{hidden} more findings of this rule not listed ({} in all)",
                        self.count
                    ),
                )
                .evidence("total", self.count),
            );
        }
    }
}

fn check_schema(root: &Value, walk: &schema::Walk, out: &mut ScanOutput) {
    let mut capped = Capped::new(rules::SCHEMA, out);
    if !root.get("protocol").is_some_and(Value::is_u64) {
        capped.push(
            Check::failed(rules::SCHEMA, "top-level node has no integer `protocol`")
                .locator("/protocol"),
        );
    }
    for bad in &walk.malformed {
        capped.push(
            Check::failed(rules::SCHEMA, format!("malformed node: {}", bad.reason))
                .locator(&bad.pointer),
        );
    }
    for node in walk
        .nodes
        .iter()
        .filter(|n| !schema::KNOWN_LOADERS.contains(&n.loader.as_str()))
    {
        capped.push(
            Check::failed(rules::SCHEMA, format!("unknown loader `{}`", node.loader))
                .locator(&node.pointer)
                .evidence("loader", &node.loader),
        );
    }
    let count = walk.nodes.len();
    capped.finish(&format!(
        "{count} nodes, all with a known loader, module and class"
    ));
}

fn check_types(walk: &schema::Walk, out: &mut ScanOutput) {
    let mut dangerous = Capped::new(rules::DANGEROUS_CALLABLE, out);
    // Distinct untrusted type -> (loader, first pointer).
    let mut untrusted: BTreeMap<&str, (&str, &str, bool)> = BTreeMap::new();
    for node in &walk.nodes {
        for name in std::iter::once(&node.type_name).chain(&node.callable) {
            match trust::judge(name) {
                Verdict::Dangerous(why) => dangerous.push(
                    Check::failed(
                        rules::DANGEROUS_CALLABLE,
                        format!("{} resolves `{name}`: {why}", node.loader),
                    )
                    .locator(&node.pointer)
                    .evidence("callable", name)
                    .evidence("loader", &node.loader),
                ),
                verdict @ (Verdict::Untrusted | Verdict::MainModule) => {
                    untrusted.entry(name).or_insert((
                        &node.loader,
                        &node.pointer,
                        verdict == Verdict::MainModule,
                    ));
                }
                Verdict::Trusted => {}
            }
        }
    }
    dangerous.finish("no node resolves code execution, attribute walking or another deserializer");
    if !untrusted.is_empty() {
        out.meta(
            "untrusted-types",
            untrusted.keys().copied().collect::<Vec<_>>().join(","),
        );
    }
    let mut capped = Capped::new(rules::UNTRUSTED_TYPE, out);
    for (name, (loader, pointer, main)) in &untrusted {
        let mut check = Check::failed(
            rules::UNTRUSTED_TYPE,
            format!("{loader} constructs `{name}`, outside skops' default trusted types"),
        )
        .locator(*pointer)
        .evidence("type", name);
        if *main {
            check = check.severity(Severity::Low);
        }
        capped.push(check);
    }
    capped.finish("every type is in skops' default trusted set");
}

#[cfg(test)]
mod tests;
