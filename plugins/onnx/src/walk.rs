//! Walking ModelProto and everything holding nodes or tensors, streaming: tensor
//! data is skipped, never read.
//!
//! Field numbers, from onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto):
//! - ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, graph = 7,
//!   opset_import = 8, metadata_props = 14, training_info = 20, functions = 25.
//! - GraphProto: node = 1, initializer = 5, input = 11, output = 12, sparse_initializer = 15.
//! - NodeProto: name = 3, op_type = 4, attribute = 5, domain = 7.
//! - AttributeProto: name = 1, t = 5, g = 6, tensors = 10, graphs = 11,
//!   sparse_tensor = 22, sparse_tensors = 23.
//! - SparseTensorProto: values = 1, indices = 2.
//! - TrainingInfoProto: initialization = 1, algorithm = 2.
//! - FunctionProto: name = 1, node = 7, domain = 10, attribute_proto = 11.
//! - OperatorSetIdProto: domain = 1, version = 2.
//!
//! A known field with another wire type than its declared one is skipped: protobuf
//! parsers file it as an unknown field too.

use std::io::{BufRead, Seek};

use cordon_plugin_sdk::Check;
use cordon_protowire::{Error, Fields, Value, Walker};

use crate::tensor::{self, Tensor};
use crate::{ops, rules, shapes};
use cordon_plugin_sdk::Deferred;

/// Small messages (opset ids, metadata entries, value infos, external data entries)
/// are read whole up to this size.
pub const LEAF_CAP: u64 = 1 << 20;
/// Names and other strings are kept up to this many bytes.
const TEXT_CAP: usize = 4096;
/// Subgraphs nested deeper than this are not inspected.
pub const MAX_GRAPH_DEPTH: usize = 32;
/// Opsets, metadata keys, inputs and outputs kept for the report.
const MAX_LISTED: usize = 64;

#[derive(Default)]
pub struct Facts {
    pub ir_version: Option<u64>,
    pub producer_name: Option<String>,
    pub producer_version: Option<String>,
    pub opsets: Vec<(String, u64)>,
    pub metadata_keys: Vec<String>,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub nodes: u64,
    pub initializers: u64,
    pub parameters: u128,
    pub tensors: u64,
    pub external_tensors: u64,
    pub functions: u64,
    pub graph_depth: usize,
    pub ops: ops::Usage,
}

#[derive(Default)]
pub struct Context {
    pub facts: Facts,
    pub findings: Deferred,
}

impl Context {
    fn tensor(&mut self, t: &Tensor, locator: &str, offset: u64) {
        self.facts.tensors += 1;
        self.facts.external_tensors += u64::from(t.is_external());
        tensor::check(t, locator, offset, &mut self.findings);
    }

    fn node(&mut self, domain: &str, op_type: &str, locator: &str, offset: u64) {
        self.facts.nodes += 1;
        self.facts.ops.node(domain, op_type, locator, offset);
        if ops::is_python(domain, op_type) {
            self.findings.push(
                Check::failed(
                    rules::PYTHON_OP,
                    format!("node {locator} runs operator {domain}:{op_type}, implemented by a Python callable"),
                )
                .locator(locator)
                .offset(offset)
                .evidence("domain", domain)
                .evidence("op_type", op_type),
            );
        }
    }
}

/// A string field, lossily decoded and capped.
pub fn text<R: BufRead + Seek>(w: &mut Walker<R>) -> Result<String, Error> {
    Ok(String::from_utf8_lossy(&w.bytes(TEXT_CAP)?).into_owned())
}

/// A small message read whole, or `None` (left to be skipped) above [`LEAF_CAP`].
fn leaf<R: BufRead + Seek>(w: &mut Walker<R>, len: u64) -> Result<Option<Vec<u8>>, Error> {
    if len > LEAF_CAP {
        return Ok(None);
    }
    w.bytes(LEAF_CAP as usize).map(Some)
}

fn push_capped<T>(list: &mut Vec<T>, item: T) {
    if list.len() < MAX_LISTED {
        list.push(item);
    }
}

pub fn model<R: BufRead + Seek>(w: &mut Walker<R>, cx: &mut Context) -> Result<(), Error> {
    let mut training = 0;
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Varint(v)) => cx.facts.ir_version = Some(v),
            (2, Value::Len(_)) => cx.facts.producer_name = Some(text(w)?),
            (3, Value::Len(_)) => cx.facts.producer_version = Some(text(w)?),
            (7, Value::Len(_)) => w.message(|w| graph(w, cx, "graph", 1, true))?,
            (8, Value::Len(len)) => {
                if let Some(bytes) = leaf(w, len)? {
                    let opset = opset_id(&bytes, f.payload_offset)?;
                    push_capped(&mut cx.facts.opsets, opset);
                }
            }
            (14, Value::Len(len)) => {
                if let Some(bytes) = leaf(w, len)? {
                    let (key, _) = tensor::string_pair(&bytes, f.payload_offset)?;
                    push_capped(&mut cx.facts.metadata_keys, key);
                }
            }
            (20, Value::Len(_)) => {
                let scope = format!("training_info[{training}]");
                training += 1;
                w.message(|w| training_info(w, cx, &scope))?;
            }
            (25, Value::Len(_)) => w.message(|w| function(w, cx))?,
            _ => {}
        }
    }
    Ok(())
}

fn opset_id(bytes: &[u8], base: u64) -> Result<(String, u64), Error> {
    let (mut domain, mut version) = (String::new(), 0);
    for field in Fields::new(bytes, base) {
        let field = field?;
        match (field.number, field.value) {
            (1, Value::Len(b)) => domain = String::from_utf8_lossy(b).into_owned(),
            (2, Value::Varint(v)) => version = v,
            _ => {}
        }
    }
    Ok((domain, version))
}

fn training_info<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    scope: &str,
) -> Result<(), Error> {
    while let Some(f) = w.next_field()? {
        let part = match (f.number, f.value) {
            (1, Value::Len(_)) => "initialization",
            (2, Value::Len(_)) => "algorithm",
            _ => continue,
        };
        w.message(|w| graph(w, cx, &format!("{scope}.{part}"), 1, false))?;
    }
    Ok(())
}

fn function<R: BufRead + Seek>(w: &mut Walker<R>, cx: &mut Context) -> Result<(), Error> {
    cx.facts.functions += 1;
    let mut name = String::new();
    let mut index = 0;
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Len(_)) => name = text(w)?,
            (10, Value::Len(_)) => {
                let domain = text(w)?;
                cx.facts.ops.local_function(domain);
            }
            (7, Value::Len(_)) => {
                let scope = format!("function {name}");
                w.message(|w| node(w, cx, &scope, index, 1, f.offset))?;
                index += 1;
            }
            // Attribute defaults may hold tensors and graphs.
            (11, Value::Len(_)) => {
                let scope = format!("function {name}");
                w.message(|w| attribute(w, cx, &scope, 1))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A GraphProto at nesting `depth` (the model's graph is 1); only the top graph's
/// inputs and outputs are listed.
fn graph<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    scope: &str,
    depth: usize,
    top: bool,
) -> Result<(), Error> {
    cx.facts.graph_depth = cx.facts.graph_depth.max(depth);
    let mut index = 0;
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Len(_)) => {
                w.message(|w| node(w, cx, scope, index, depth, f.offset))?;
                index += 1;
            }
            (5, Value::Len(_)) => {
                let t = w.message(tensor::decode)?;
                cx.facts.initializers += 1;
                let locator = match t.name.as_str() {
                    "" => format!("{scope}/initializer#{}", cx.facts.initializers),
                    name => format!("{scope}/{name}"),
                };
                cx.tensor(&t, &locator, f.offset);
                cx.facts.parameters += u128::from(t.elements().unwrap_or(0));
            }
            (15, Value::Len(_)) => {
                let locator = format!("{scope}/sparse_initializer");
                w.message(|w| sparse(w, cx, &locator))?;
            }
            (11 | 12, Value::Len(len)) if top => {
                if let Some(bytes) = leaf(w, len)? {
                    let shown = shapes::value_info(&bytes, f.payload_offset)?;
                    let list = match f.number {
                        11 => &mut cx.facts.inputs,
                        _ => &mut cx.facts.outputs,
                    };
                    push_capped(list, shown);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn node<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    scope: &str,
    index: u64,
    depth: usize,
    offset: u64,
) -> Result<(), Error> {
    let (mut name, mut op_type, mut domain) = (String::new(), String::new(), String::new());
    let path = |name: &str| match name {
        "" => format!("{scope}/node#{index}"),
        name => format!("{scope}/{name}"),
    };
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (3, Value::Len(_)) => name = text(w)?,
            (4, Value::Len(_)) => op_type = text(w)?,
            (7, Value::Len(_)) => domain = text(w)?,
            (5, Value::Len(_)) => {
                let locator = path(&name);
                w.message(|w| attribute(w, cx, &locator, depth))?;
            }
            _ => {}
        }
    }
    cx.node(&domain, &op_type, &path(&name), offset);
    Ok(())
}

/// An AttributeProto of a node (or function) at graph nesting `depth`.
fn attribute<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    owner: &str,
    depth: usize,
) -> Result<(), Error> {
    let mut name = String::new();
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Len(_)) => name = text(w)?,
            (5 | 10, Value::Len(_)) => {
                let t = w.message(tensor::decode)?;
                cx.tensor(&t, &format!("{owner}.{name}"), f.offset);
            }
            (6 | 11, Value::Len(_)) => {
                let scope = format!("{owner}.{name}");
                if depth >= MAX_GRAPH_DEPTH {
                    // Left unread: the next field skips it.
                    cx.findings.push(
                        Check::error(
                            rules::GRAPH_DEPTH,
                            format!(
                                "subgraph {scope} is nested {} levels deep, beyond the bound of {MAX_GRAPH_DEPTH}; it was not inspected",
                                depth + 1
                            ),
                        )
                        .locator(scope)
                        .offset(f.offset),
                    );
                } else {
                    w.message(|w| graph(w, cx, &scope, depth + 1, false))?;
                }
            }
            (22 | 23, Value::Len(_)) => {
                let locator = format!("{owner}.{name}");
                w.message(|w| sparse(w, cx, &locator))?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn sparse<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    locator: &str,
) -> Result<(), Error> {
    while let Some(f) = w.next_field()? {
        let part = match (f.number, f.value) {
            (1, Value::Len(_)) => "values",
            (2, Value::Len(_)) => "indices",
            _ => continue,
        };
        let t = w.message(tensor::decode)?;
        cx.tensor(&t, &format!("{locator}.{part}"), f.offset);
    }
    Ok(())
}
