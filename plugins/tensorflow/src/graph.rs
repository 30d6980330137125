//! GraphDef and its function library, node by node, streaming: tensor contents
//! (weights of frozen graphs) are skipped, never read.
//!
//! Field numbers, from tensorflow/core/framework (https://github.com/tensorflow/tensorflow/tree/master/tensorflow/core/framework):
//! - graph.proto GraphDef: node = 1, library = 2.
//! - function.proto FunctionDefLibrary: function = 1; FunctionDef: signature = 1
//!   (op_def.proto OpDef: name = 1), node_def = 3.
//! - node_def.proto NodeDef: name = 1, op = 2, input = 3, attr = 5
//!   (a map: entries with key = 1, value = 2).
//! - attr_value.proto AttrValue: s = 2, tensor = 8.
//! - tensor.proto TensorProto: string_val = 8.
//!
//! A known field with another wire type than its declared one is skipped: protobuf
//! parsers file it as an unknown field too.

use std::io::{BufRead, Seek};

use cordon_protowire::{Error, Value, Walker};

use crate::Context;
use crate::ops::{MAX_INPUTS, Node, Scope};

/// Strings are kept up to this many bytes.
const TEXT_CAP: usize = 4096;
/// Values kept of a string constant.
const MAX_CONST_STRINGS: usize = 4;

pub fn text<R: BufRead + Seek>(w: &mut Walker<R>) -> Result<String, Error> {
    Ok(String::from_utf8_lossy(&w.bytes(TEXT_CAP)?).into_owned())
}

/// A GraphDef; `prefix` starts its node locators.
pub fn graph_def<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    prefix: &str,
) -> Result<(), Error> {
    let mut scope = Scope::new(prefix.to_string());
    let walked = graph_fields(w, cx, &mut scope, prefix);
    // Judged even when the walk stopped: what was read still counts.
    scope.finish(&mut cx.findings);
    walked
}

fn graph_fields<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    scope: &mut Scope,
    prefix: &str,
) -> Result<(), Error> {
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Len(_)) => {
                let node = w.message(node_def)?;
                scope.add(node, f.offset, &mut cx.totals, &mut cx.findings);
            }
            (2, Value::Len(_)) => w.message(|w| library(w, cx, prefix))?,
            _ => {}
        }
    }
    Ok(())
}

fn library<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    prefix: &str,
) -> Result<(), Error> {
    while let Some(f) = w.next_field()? {
        if let (1, Value::Len(_)) = (f.number, f.value) {
            w.message(|w| function_def(w, cx, prefix))?;
        }
    }
    Ok(())
}

fn function_def<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    prefix: &str,
) -> Result<(), Error> {
    cx.functions += 1;
    let mut scope = Scope::new(format!("{prefix}function ?/"));
    let walked = function_fields(w, cx, &mut scope, prefix);
    scope.finish(&mut cx.findings);
    walked
}

fn function_fields<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    scope: &mut Scope,
    prefix: &str,
) -> Result<(), Error> {
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Len(_)) => {
                let name = w.message(op_def_name)?;
                scope.set_prefix(format!("{prefix}function {name}/"));
            }
            (3, Value::Len(_)) => {
                let node = w.message(node_def)?;
                scope.add(node, f.offset, &mut cx.totals, &mut cx.findings);
            }
            _ => {}
        }
    }
    Ok(())
}

fn op_def_name<R: BufRead + Seek>(w: &mut Walker<R>) -> Result<String, Error> {
    let mut name = String::new();
    while let Some(f) = w.next_field()? {
        if let (1, Value::Len(_)) = (f.number, f.value) {
            name = text(w)?;
        }
    }
    Ok(name)
}

pub fn node_def<R: BufRead + Seek>(w: &mut Walker<R>) -> Result<Node, Error> {
    let mut node = Node::default();
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Len(_)) => node.name = text(w)?,
            (2, Value::Len(_)) => node.op = text(w)?,
            (3, Value::Len(_)) if node.inputs.len() < MAX_INPUTS => {
                // Control dependencies (`^name`) carry no data; TF lists them last anyway.
                let input = text(w)?;
                if !input.starts_with('^') {
                    node.inputs.push(input);
                }
            }
            (5, Value::Len(_)) => {
                // Attributes are kept whatever the op, which may come after them.
                let (key, attr) = w.message(attr_entry)?;
                match key.as_str() {
                    "value" => node.value_strings = attr.strings,
                    "token" => node.token = attr.s,
                    "memory_region_name" => node.memory_region = attr.s,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(node)
}

/// The parts of an AttrValue the checks use.
#[derive(Default)]
struct Attr {
    s: Option<String>,
    strings: Vec<String>,
}

fn attr_entry<R: BufRead + Seek>(w: &mut Walker<R>) -> Result<(String, Attr), Error> {
    let mut key = String::new();
    let mut attr = Attr::default();
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Len(_)) => key = text(w)?,
            (2, Value::Len(_)) => attr = w.message(attr_value)?,
            _ => {}
        }
    }
    Ok((key, attr))
}

fn attr_value<R: BufRead + Seek>(w: &mut Walker<R>) -> Result<Attr, Error> {
    let mut attr = Attr::default();
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (2, Value::Len(_)) => attr.s = Some(text(w)?),
            (8, Value::Len(_)) => attr.strings = w.message(string_vals)?,
            _ => {}
        }
    }
    Ok(attr)
}

fn string_vals<R: BufRead + Seek>(w: &mut Walker<R>) -> Result<Vec<String>, Error> {
    let mut values = Vec::new();
    while let Some(f) = w.next_field()? {
        if let (8, Value::Len(_)) = (f.number, f.value)
            && values.len() < MAX_CONST_STRINGS
        {
            values.push(text(w)?);
        }
    }
    Ok(values)
}
