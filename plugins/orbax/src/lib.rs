//! Cordon plugin for JAX / Orbax checkpoints: the JSON metadata files
//! (`_METADATA`, `_CHECKPOINT_METADATA`, `checkpoint`...), Zarr array metadata
//! (`.zarray`, `.zattrs`, `zarr.json`), TensorStore OCDBT manifests and the
//! commit marker. Flags callables that restoring would import (Hydra
//! `_target_`, handlers), pickles, paths that leave the checkpoint, object
//! dtypes and non-standard codecs. Files are recognised by name.

mod json;
mod kind;
mod ocdbt;
mod rules;
mod values;
mod zarr;

use cordon_plugin_sdk::Findings;
use cordon_plugin_sdk::{
    Check, FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};
pub use kind::Kind;

/// JSON metadata above this size is not parsed.
pub const MAX_JSON_BYTES: u64 = 64 << 20;
/// OCDBT manifests are a few KB; larger ones are not read.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// A commit marker is one line; more than this is suspicious.
const MAX_MARKER_BYTES: u64 = 4096;

struct Orbax;

impl Plugin for Orbax {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "orbax".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "JAX / Orbax checkpoint metadata, Zarr array metadata and OCDBT manifests"
                .into(),
            formats: vec![
                // Extension-less names (`_METADATA`...) reach the plugin as unclaimed files.
                FormatClaim::new("orbax-metadata", &[]).sniff(),
                // `zarr.json` ends in `.json`, which other plugins claim: offered, then matched by name.
                FormatClaim::new("zarr", &["zarray", "zattrs", "zgroup", "json"]),
                FormatClaim::new("ocdbt-manifest", &["ocdbt"]),
            ],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let name = input.name();
        let Some(kind) = kind::of(&name) else {
            return Err(ScanError::Unsupported(
                "not an Orbax, Zarr or OCDBT file name".into(),
            ));
        };
        let size = input.size();
        let cap = match kind {
            Kind::OcdbtManifest => MAX_MANIFEST_BYTES,
            Kind::CommitMarker => MAX_MARKER_BYTES,
            Kind::Metadata | Kind::Zarr => MAX_JSON_BYTES,
        };
        let bytes = input.read_at(0, cap.min(size) as usize)?;
        if matches!(kind, Kind::Metadata | Kind::Zarr) && !starts_with_object(&bytes) {
            return Err(ScanError::Unsupported("not a JSON object".into()));
        }
        let mut out = ScanOutput::default();
        out.meta("format", "orbax");
        analyze(kind, &bytes, size, &mut out);
        Ok(out)
    }
}

register_plugin!(Orbax);

/// The first non-blank byte opens a JSON object (TensorFlow's text `checkpoint` does not).
fn starts_with_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Check one file of `kind` whose first bytes (up to the kind's cap) are `bytes`.
pub fn analyze(kind: Kind, bytes: &[u8], size: u64, out: &mut ScanOutput) {
    let mut f = Findings::default();
    match kind {
        Kind::OcdbtManifest if size > MAX_MANIFEST_BYTES => {
            out.push(Check::failed(rules::OCDBT_MANIFEST, format!("manifest of {size} bytes is above the {MAX_MANIFEST_BYTES}-byte limit; not inspected")));
        }
        Kind::OcdbtManifest => ocdbt::check(bytes, &mut f, out),
        Kind::CommitMarker => commit_marker(bytes, size, out),
        Kind::Metadata | Kind::Zarr => {
            if size > MAX_JSON_BYTES {
                out.push(Check::error(
                    rules::JSON,
                    format!("{size} bytes is above the {MAX_JSON_BYTES}-byte limit; not inspected"),
                ));
                return;
            }
            let doc: serde_json::Value = match serde_json::from_slice(bytes) {
                Ok(doc @ serde_json::Value::Object(_)) => doc,
                Ok(_) => {
                    return out.push(Check::failed(rules::JSON, "JSON document is not an object"));
                }
                Err(e) => {
                    return out.push(Check::failed(rules::JSON, format!("invalid JSON: {e}")));
                }
            };
            out.push(Check::passed(rules::JSON, "valid JSON object"));
            json::walk(&doc, &mut f, out);
            if kind == Kind::Zarr {
                out.meta("orbax-file", "zarr-metadata");
                zarr::check(&doc, &mut f, out);
            } else {
                metadata_facts(&doc, out);
            }
        }
    }
}

/// What an Orbax metadata file says about the checkpoint.
fn metadata_facts(doc: &serde_json::Value, out: &mut ScanOutput) {
    out.meta("orbax-file", "checkpoint-metadata");
    if let Some(tree) = doc.get("tree_metadata").and_then(|t| t.as_object()) {
        out.meta("tree-entries", tree.len());
    }
    if let Some(zarr3) = doc.get("use_zarr3").and_then(|v| v.as_bool()) {
        out.meta("use-zarr3", zarr3);
    }
    match doc.get("item_handlers") {
        Some(serde_json::Value::String(h)) => out.meta("item-handlers", h),
        Some(serde_json::Value::Object(map)) => {
            let list: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or("?")))
                .collect();
            out.meta("item-handlers", list.join(", "));
        }
        _ => {}
    }
}

fn commit_marker(bytes: &[u8], size: u64, out: &mut ScanOutput) {
    out.meta("orbax-file", "commit-marker");
    let text = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.chars().any(|c| c.is_control() && !c.is_whitespace()));
    let check = match text {
        _ if size > MAX_MARKER_BYTES => Check::failed(
            rules::COMMIT_MARKER,
            format!("{size} bytes: far more than a commit note"),
        ),
        None => Check::failed(rules::COMMIT_MARKER, "binary content in a text marker"),
        Some(_) => Check::passed(rules::COMMIT_MARKER, format!("{size}-byte text note")),
    };
    out.push(check.evidence("size", size));
}

#[cfg(test)]
mod tests;
