//! keras_metadata.pb: the Keras objects of a SavedModel and their JSON configs,
//! searched for Lambda layers.
//!
//! Field numbers, from saved_metadata.proto
//! (https://github.com/keras-team/tf-keras/blob/master/tf_keras/protobuf/saved_metadata.proto):
//! SavedMetadata: nodes = 1; SavedObject: node_path = 3, identifier = 4, metadata = 5.

use std::io::{BufRead, Seek};

use cordon_plugin_sdk::Check;
use cordon_protowire::{Error, Value, Walker};

use crate::graph::text;
use crate::{Context, rules};

/// A Keras object's JSON metadata is read up to this size.
const METADATA_CAP: u64 = 16 << 20;
/// Longest string worth decoding to compare with `class_name` and `Lambda`.
const TOKEN_CAP: usize = 16;

#[derive(Default)]
pub struct Facts {
    pub objects: u64,
    pub lambda_layers: u64,
}

pub fn saved_metadata<R: BufRead + Seek>(w: &mut Walker<R>, cx: &mut Context) -> Result<(), Error> {
    while let Some(f) = w.next_field()? {
        if let (1, Value::Len(_)) = (f.number, f.value) {
            w.message(|w| saved_object(w, cx, f.offset))?;
        }
    }
    Ok(())
}

fn saved_object<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    offset: u64,
) -> Result<(), Error> {
    cx.keras.objects += 1;
    let (mut path, mut identifier) = (String::new(), String::new());
    let mut lambdas = 0;
    let mut oversized = None;
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (3, Value::Len(_)) => path = text(w)?,
            (4, Value::Len(_)) => identifier = text(w)?,
            (5, Value::Len(len)) if len > METADATA_CAP => oversized = Some(len),
            (5, Value::Len(_)) => lambdas = lambda_layers(&w.bytes(METADATA_CAP as usize)?),
            _ => {}
        }
    }
    let locator = if path.is_empty() { "?" } else { path.as_str() };
    if let Some(len) = oversized {
        cx.findings.push(
            Check::error(
                rules::KERAS_LAMBDA,
                format!(
                    "the {len}-byte metadata of Keras object {locator} is too large to inspect"
                ),
            )
            .locator(locator)
            .offset(offset),
        );
    }
    if lambdas > 0 {
        cx.keras.lambda_layers += lambdas as u64;
        cx.findings.push(
            Check::failed(
                rules::KERAS_LAMBDA,
                format!("Keras object {locator} ({identifier}) configures {lambdas} Lambda layer(s), whose code runs when the model loads"),
            )
            .locator(locator)
            .offset(offset)
            .evidence("identifier", identifier)
            .evidence("lambda_layers", lambdas),
        );
    }
    Ok(())
}

/// Where the lexer is relative to a `"class_name": ` prefix.
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    Other,
    ClassNameKey,
    ClassNameColon,
}

/// Count `"class_name": "Lambda"` pairs in a JSON document, decoding string escapes
/// so `"\u004cambda"` counts too. A lexer, not a parser: Keras writes NaN and
/// Infinity, which strict JSON parsers refuse.
pub fn lambda_layers(json: &[u8]) -> usize {
    let mut count = 0;
    let mut after = After::Other;
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'"' => {
                let (token, next) = string_token(json, i + 1);
                if after == After::ClassNameColon && token.as_deref() == Some("Lambda") {
                    count += 1;
                }
                after = match token.as_deref() {
                    Some("class_name") => After::ClassNameKey,
                    _ => After::Other,
                };
                i = next;
                continue;
            }
            b':' if after == After::ClassNameKey => after = After::ClassNameColon,
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => after = After::Other,
        }
        i += 1;
    }
    count
}

/// The string literal starting after its opening quote at `start`, decoded when at
/// most [`TOKEN_CAP`] characters, and the index after its closing quote.
fn string_token(json: &[u8], start: usize) -> (Option<String>, usize) {
    let mut out = String::new();
    let mut long = false;
    let mut i = start;
    while i < json.len() {
        let c = match json[i] {
            b'"' => return ((!long).then_some(out), i + 1),
            b'\\' => {
                let Some(&escape) = json.get(i + 1) else {
                    break;
                };
                i += 2;
                match escape {
                    b'u' => {
                        let hex = json.get(i..i + 4).and_then(|h| std::str::from_utf8(h).ok());
                        let code = hex.and_then(|h| u32::from_str_radix(h, 16).ok());
                        i += 4;
                        code.and_then(char::from_u32).unwrap_or('\u{fffd}')
                    }
                    b'n' => '\n',
                    b't' => '\t',
                    b'r' => '\r',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    other => char::from(other),
                }
            }
            byte => {
                i += 1;
                // Non-ASCII bytes never spell the ASCII tokens compared.
                if byte.is_ascii() {
                    char::from(byte)
                } else {
                    '\u{fffd}'
                }
            }
        };
        if out.chars().count() < TOKEN_CAP {
            out.push(c);
        } else {
            long = true;
        }
    }
    (None, json.len())
}
