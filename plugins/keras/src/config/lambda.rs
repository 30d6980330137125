//! What a Lambda's serialized function contains: base64 marshalled bytecode
//! (Keras 2 `[code, defaults, closure]`, Keras 3 `__lambda__` objects), Python
//! source text, or the name of a function the loader must provide.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;

use super::names::{dangerous_names, identifiers};
use crate::marshal;

/// Base64 text decoded per function.
const MAX_CODE_TEXT: usize = 16 << 20;
/// Names listed as evidence.
const MAX_LISTED: usize = 24;

/// Keras writes base64 with line breaks and padding; accept it with or without.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, PartialEq)]
pub enum Function {
    /// Marshalled bytecode that was decoded.
    Bytecode(marshal::CodeSummary),
    /// Base64 data that is not a readable code object; the names are printable
    /// identifiers found in its bytes.
    Opaque {
        reason: String,
        names: BTreeSet<String>,
    },
    /// Python source text.
    Source(String),
    /// A function looked up by name when the model loads.
    Named {
        module: Option<String>,
        name: String,
    },
}

impl Function {
    /// Every name the function uses, for matching against dangerous names.
    pub fn names(&self) -> Vec<String> {
        let words: Vec<&str> = match self {
            Function::Bytecode(code) => code
                .names
                .iter()
                .map(String::as_str)
                .chain(code.strings.iter().flat_map(|s| identifiers(s)))
                .collect(),
            Function::Opaque { names, .. } => names.iter().map(String::as_str).collect(),
            Function::Source(text) => identifiers(text).collect(),
            Function::Named { module, name } => module
                .iter()
                .flat_map(|m| m.split('.'))
                .chain(name.split('.'))
                .collect(),
        };
        let mut out: Vec<String> = words.into_iter().map(str::to_owned).collect();
        out.sort();
        out.dedup();
        out
    }

    pub fn dangerous(&self) -> Vec<String> {
        dangerous_names(self.names().iter().map(String::as_str))
    }

    /// Evidence pairs describing the function.
    pub fn evidence(&self) -> Vec<(&'static str, String)> {
        let list = |items: &mut dyn Iterator<Item = &String>| {
            items
                .take(MAX_LISTED)
                .cloned()
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut out = match self {
            Function::Bytecode(code) => vec![
                ("kind", "marshalled bytecode".to_owned()),
                ("co_name", code.name.clone()),
                ("co_names", list(&mut code.names.iter())),
                ("strings", list(&mut code.strings.iter())),
            ],
            Function::Opaque { reason, names } => vec![
                ("kind", "undecodable bytecode".to_owned()),
                ("reason", reason.clone()),
                ("identifiers", list(&mut names.iter())),
            ],
            Function::Source(text) => vec![
                ("kind", "python source".to_owned()),
                ("source", text.chars().take(200).collect()),
            ],
            Function::Named { module, name } => vec![
                ("kind", "named function".to_owned()),
                (
                    "function",
                    module
                        .as_ref()
                        .map_or(name.clone(), |m| format!("{m}.{name}")),
                ),
            ],
        };
        out.retain(|(_, v)| !v.is_empty());
        let dangerous = self.dangerous();
        if !dangerous.is_empty() {
            out.push(("dangerous", dangerous.join(",")));
        }
        out
    }
}

/// The functions a Lambda's `function` value holds; `module` is the legacy
/// config's module for functions referenced by name.
pub fn functions(value: &Value, module: Option<&str>) -> Vec<Function> {
    match value {
        Value::String(text) => vec![from_text(text, module)],
        // Keras 2: [base64 code, defaults, closure].
        Value::Array(items) => items
            .first()
            .and_then(Value::as_str)
            .map(|code| vec![from_text(code, module)])
            .unwrap_or_default(),
        Value::Object(map) => match map.get("class_name").and_then(Value::as_str) {
            Some("__lambda__") => {
                let config = map.get("config");
                let code = config.and_then(|c| c.get("value").or_else(|| c.get("code")));
                code.map(|c| functions(c, module)).unwrap_or_default()
            }
            Some("function") => map
                .get("config")
                .and_then(Value::as_str)
                .map(|name| {
                    vec![Function::Named {
                        module: map.get("module").and_then(Value::as_str).map(str::to_owned),
                        name: name.to_owned(),
                    }]
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn from_text(text: &str, module: Option<&str>) -> Function {
    let trimmed = text.trim();
    // Checked first: base64 of a code object can also read as an identifier ("YwAA...").
    let decoded = decode_base64(trimmed);
    if let Some(bytes) = decoded
        .as_ref()
        .filter(|b| b.first().is_some_and(|b| b & 0x7f == b'c'))
    {
        return match marshal::summarize(bytes) {
            Ok(code) => Function::Bytecode(code),
            Err(reason) => Function::Opaque {
                reason,
                names: printable_identifiers(bytes),
            },
        };
    }
    let is_name = !trimmed.is_empty()
        && trimmed
            .split('.')
            .all(|part| identifiers(part).next() == Some(part));
    match decoded {
        _ if is_name => Function::Named {
            module: module.map(str::to_owned),
            name: trimmed.to_owned(),
        },
        Some(bytes) => Function::Opaque {
            reason: "base64 data is not a marshalled code object".into(),
            names: printable_identifiers(&bytes),
        },
        None => Function::Source(text.to_owned()),
    }
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    if text.len() > MAX_CODE_TEXT || text.len() < 8 {
        return None;
    }
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let alphabet = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    if !compact.chars().all(alphabet) {
        return None;
    }
    BASE64.decode(compact).ok()
}

/// Identifiers of two or more characters in the printable runs of `bytes`.
fn printable_identifiers(bytes: &[u8]) -> BTreeSet<String> {
    bytes
        .split(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .filter(|w| w.len() >= 2 && !w[0].is_ascii_digit())
        .take(10_000)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}
