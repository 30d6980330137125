//! Facts about the model for the report: architecture, name, quantization,
//! context length, parameter count, license and authorship.

use std::collections::BTreeMap;

use cordon_plugin_sdk::ScanOutput;

use crate::ggml;
use crate::kv::{Metadata, Value};
use crate::templates::is_template_key;
use crate::tensors::TensorInfo;

/// Longest metadata value copied into the report.
const MAX_VALUE_CHARS: usize = 200;

/// `general.*` string keys and the report keys they become.
const GENERAL: &[(&str, &str)] = &[
    ("general.architecture", "architecture"),
    ("general.name", "name"),
    ("general.basename", "basename"),
    ("general.size_label", "size-label"),
    ("general.license", "license"),
    ("general.author", "author"),
    ("general.organization", "organization"),
    ("tokenizer.ggml.model", "tokenizer"),
];

/// `<architecture>.*` numeric keys and the report keys they become.
const HYPERPARAMETERS: &[(&str, &str)] = &[
    ("context_length", "context-length"),
    ("embedding_length", "embedding-length"),
    ("block_count", "block-count"),
    ("expert_count", "expert-count"),
];

pub fn from_metadata(meta: &Metadata, out: &mut ScanOutput) {
    out.meta("kv-count", meta.kvs.len());
    for (key, name) in GENERAL {
        if let Some(v) = meta.get(key).and_then(Value::as_str) {
            out.meta(*name, v.chars().take(MAX_VALUE_CHARS).collect::<String>());
        }
    }
    if let Some(ft) = meta.get("general.file_type").and_then(Value::as_u64) {
        out.meta(
            "file-type",
            ggml::file_type_name(ft).map_or_else(|| ft.to_string(), str::to_owned),
        );
    }
    if let Some(q) = meta
        .get("general.quantization_version")
        .and_then(Value::as_u64)
    {
        out.meta("quantization-version", q);
    }
    if let Some(arch) = meta.get("general.architecture").and_then(Value::as_str) {
        for (suffix, name) in HYPERPARAMETERS {
            if let Some(v) = meta
                .get(&format!("{arch}.{suffix}"))
                .and_then(Value::as_u64)
            {
                out.meta(*name, v);
            }
        }
    }
    if let Some(Value::Array { len, .. }) = meta.get("tokenizer.ggml.tokens") {
        out.meta("vocab-size", len);
    }
    let templates: Vec<&str> = meta
        .kvs
        .iter()
        .filter(|kv| is_template_key(&kv.key))
        .map(|kv| kv.key.as_str())
        .collect();
    if !templates.is_empty() {
        out.meta("chat-templates", templates.join(","));
    }
}

pub fn from_tensors(infos: &[TensorInfo], data_start: u64, size: u64, out: &mut ScanOutput) {
    out.meta("tensor-count", infos.len());
    let parameters: u128 = infos
        .iter()
        .filter_map(|t| t.elements)
        .map(u128::from)
        .sum();
    out.meta("parameter-count", parameters);
    let mut types: BTreeMap<&str, usize> = BTreeMap::new();
    for t in infos {
        *types
            .entry(ggml::tensor_type(t.ty).map_or("unknown", |t| t.name))
            .or_default() += 1;
    }
    let mut by_count: Vec<_> = types.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let listed: Vec<String> = by_count
        .iter()
        .map(|(name, n)| format!("{name}:{n}"))
        .collect();
    out.meta("tensor-types", listed.join(","));
    out.meta("data-offset", data_start.min(size));
}
