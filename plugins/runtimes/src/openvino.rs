//! OpenVINO IR (`.xml` beside its `.bin` weights): the layer graph. Layers whose
//! `version` is not one of OpenVINO's opsets are extension operations, which only
//! run with a native library the user loads; DOCTYPE and entities are never
//! expanded, only reported. The `.bin` weights are raw and not inspected.

use std::collections::BTreeMap;

use cordon_plugin_sdk::{Check, ScanOutput};

use crate::rules;
use crate::xml::{Token, Tokenizer};
use cordon_plugin_sdk::Capped;

/// Nesting and element counts beyond anything a converter writes.
const MAX_DEPTH: usize = 256;
const MAX_ELEMENTS: usize = 5_000_000;

/// Whether `prefix` starts (after an XML declaration and comments) with `<net`.
pub fn looks_like_ir(prefix: &[u8]) -> bool {
    let text = String::from_utf8_lossy(prefix);
    let mut tokens = Tokenizer::new(&text);
    while let Ok(Some((_, token))) = tokens.next_token() {
        match token {
            Token::Start { name, .. } => return name == "net",
            Token::Text(t) if t.trim().is_empty() => {}
            // A DOCTYPE does not hide the IR: it is reported, not a way past the check.
            Token::Doctype(_) | Token::Other => {}
            _ => return false,
        }
    }
    false
}

/// A layer's operation set: `opsetN`, or the internal sets conversion emits.
fn standard_opset(version: &str) -> bool {
    version
        .strip_prefix("opset")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || matches!(version, "experimental" | "ie_internal_opset" | "internal")
}

/// An attribute value that points outside the model: a URL or an absolute or climbing path.
fn external_reference(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("http://")
        || v.starts_with("https://")
        || v.starts_with("file:")
        || v.starts_with('/')
        || v.contains("../")
        || v.contains("..\\")
        || v.as_bytes().get(1..3) == Some(b":\\")
}

pub fn analyze(text: &str, out: &mut ScanOutput) {
    out.meta("format", "openvino-ir");
    let mut structure = Capped::new(rules::OPENVINO_STRUCTURE, out);
    let mut layer_types: BTreeMap<String, usize> = BTreeMap::new();
    let mut extensions: BTreeMap<String, String> = BTreeMap::new();
    let mut opsets: BTreeMap<String, usize> = BTreeMap::new();
    let mut references: Vec<(usize, String)> = Vec::new();
    let mut doctype: Option<(usize, String)> = None;
    let (mut depth, mut elements, mut layers) = (0usize, 0usize, 0usize);
    let mut root_seen = false;
    let mut tokens = Tokenizer::new(text);
    loop {
        let (offset, token) = match tokens.next_token() {
            Ok(Some(t)) => t,
            Ok(None) => break,
            Err(e) => {
                structure.push(
                    Check::failed(
                        rules::OPENVINO_STRUCTURE,
                        format!("malformed XML at byte {}: {e}", tokens.pos),
                    )
                    .offset(tokens.pos as u64),
                );
                break;
            }
        };
        match token {
            Token::Doctype(raw) => doctype = Some((offset, raw.chars().take(200).collect())),
            Token::Start { name, attrs, empty } => {
                elements += 1;
                if elements > MAX_ELEMENTS || depth >= MAX_DEPTH {
                    structure.push(Check::error(rules::OPENVINO_STRUCTURE, format!("more than {MAX_ELEMENTS} elements or {MAX_DEPTH} levels: the rest was not inspected")).offset(offset as u64));
                    break;
                }
                let attr = |key: &str| attrs.iter().find(|a| a.name == key).map(|a| a.value);
                if !root_seen {
                    root_seen = true;
                    if name != "net" {
                        structure.push(
                            Check::failed(
                                rules::OPENVINO_STRUCTURE,
                                format!("root element is <{name}>, not <net>"),
                            )
                            .offset(offset as u64),
                        );
                    }
                    structure
                        .out()
                        .meta("model-name", attr("name").unwrap_or(""));
                    structure
                        .out()
                        .meta("ir-version", attr("version").unwrap_or(""));
                }
                if name == "layer" {
                    layers += 1;
                    let kind = attr("type").unwrap_or("");
                    if kind.is_empty() || attr("id").is_none() {
                        structure.push(
                            Check::failed(rules::OPENVINO_STRUCTURE, "a layer has no id or type")
                                .offset(offset as u64),
                        );
                    }
                    *layer_types.entry(kind.to_string()).or_default() += 1;
                    let version = attr("version").unwrap_or("");
                    *opsets.entry(version.to_string()).or_default() += 1;
                    if !version.is_empty() && !standard_opset(version) {
                        extensions
                            .entry(format!("{kind} ({version})"))
                            .or_insert_with(|| attr("name").unwrap_or("").to_string());
                    }
                }
                for a in &attrs {
                    if external_reference(a.value) {
                        references.push((
                            offset,
                            format!(
                                "{}={}",
                                a.name,
                                a.value.chars().take(120).collect::<String>()
                            ),
                        ));
                    }
                }
                if !empty {
                    depth += 1;
                }
            }
            Token::End { .. } => depth = depth.saturating_sub(1),
            Token::Text(_) | Token::Other => {}
        }
    }
    if !root_seen {
        structure.push(Check::failed(rules::OPENVINO_STRUCTURE, "no <net> element"));
    }
    structure.finish(format!("well-formed IR with {layers} layers"));

    let mut doc = Capped::new(rules::OPENVINO_DOCTYPE, out);
    if let Some((offset, raw)) = doctype {
        doc.push(Check::failed(rules::OPENVINO_DOCTYPE, "DOCTYPE in an IR file (never expanded): entities can read files or exhaust parsers").offset(offset as u64).evidence("doctype", raw));
    }
    doc.finish("no DOCTYPE or entity declarations");

    let mut custom = Capped::new(rules::OPENVINO_EXTENSION, out);
    for (kind, layer) in &extensions {
        custom.push(
            Check::failed(
                rules::OPENVINO_EXTENSION,
                format!("extension operation {kind} needs a native library to run"),
            )
            .locator(layer.clone()),
        );
    }
    custom.finish("every layer is from an OpenVINO opset");

    let mut external = Capped::new(rules::OPENVINO_EXTERNAL, out);
    for (offset, reference) in &references {
        external.push(
            Check::failed(
                rules::OPENVINO_EXTERNAL,
                format!("attribute points outside the model: {reference}"),
            )
            .offset(*offset as u64),
        );
    }
    external.finish("no attribute points outside the model");

    out.meta("layer-count", layers);
    let mut top: Vec<_> = layer_types.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out.meta(
        "layer-types",
        top.iter()
            .take(10)
            .map(|(k, n)| format!("{k}:{n}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.meta(
        "opsets",
        opsets
            .keys()
            .filter(|k| !k.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    );
}
