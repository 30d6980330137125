//! SavedModel and MetaGraphDef: tags, versions and signatures around the graph.
//!
//! Field numbers, from tensorflow/core/protobuf (https://github.com/tensorflow/tensorflow/tree/master/tensorflow/core/protobuf):
//! - saved_model.proto SavedModel: saved_model_schema_version = 1, meta_graphs = 2.
//! - meta_graph.proto MetaGraphDef: meta_info_def = 1, graph_def = 2,
//!   signature_def = 5 (a map: entries with key = 1, value = 2).
//!   MetaInfoDef: tags = 4, tensorflow_version = 5.
//!   SignatureDef: inputs = 1, outputs = 2 (maps of TensorInfo: entries with key = 1).

use std::io::{BufRead, Seek};

use cordon_protowire::{Error, Fields, Value, Walker};

use crate::Context;
use crate::graph::{graph_def, text};

/// Signature entries are read whole up to this size.
const SIGNATURE_CAP: u64 = 1 << 20;
/// Tags, versions and signatures kept for the report.
const MAX_LISTED: usize = 64;
const MAX_NAMES_PER_SIGNATURE: usize = 16;

#[derive(Default)]
pub struct Facts {
    pub schema_version: Option<u64>,
    pub meta_graphs: u64,
    pub tags: Vec<String>,
    pub tensorflow_versions: Vec<String>,
    pub signatures: Vec<String>,
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if list.len() < MAX_LISTED && !list.contains(&item) {
        list.push(item);
    }
}

pub fn saved_model<R: BufRead + Seek>(w: &mut Walker<R>, cx: &mut Context) -> Result<(), Error> {
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Varint(v)) => cx.saved_model.schema_version = Some(v),
            (2, Value::Len(_)) => {
                let prefix = format!("meta_graphs[{}]/", cx.saved_model.meta_graphs);
                cx.saved_model.meta_graphs += 1;
                w.message(|w| meta_graph(w, cx, &prefix))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A MetaGraphDef; `prefix` starts its node locators.
pub fn meta_graph<R: BufRead + Seek>(
    w: &mut Walker<R>,
    cx: &mut Context,
    prefix: &str,
) -> Result<(), Error> {
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Len(_)) => w.message(|w| meta_info(w, cx))?,
            (2, Value::Len(_)) => w.message(|w| graph_def(w, cx, prefix))?,
            (5, Value::Len(len)) if len <= SIGNATURE_CAP => {
                let entry = w.bytes(SIGNATURE_CAP as usize)?;
                let shown = signature(&entry, f.payload_offset)?;
                push_unique(&mut cx.saved_model.signatures, shown);
            }
            _ => {}
        }
    }
    Ok(())
}

fn meta_info<R: BufRead + Seek>(w: &mut Walker<R>, cx: &mut Context) -> Result<(), Error> {
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (4, Value::Len(_)) => push_unique(&mut cx.saved_model.tags, text(w)?),
            (5, Value::Len(_)) => push_unique(&mut cx.saved_model.tensorflow_versions, text(w)?),
            _ => {}
        }
    }
    Ok(())
}

/// A signature_def map entry as `name(input, ... -> output, ...)`.
fn signature(entry: &[u8], base: u64) -> Result<String, Error> {
    let mut name = String::new();
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    for field in Fields::new(entry, base) {
        let field = field?;
        match (field.number, field.value) {
            (1, Value::Len(key)) => name = String::from_utf8_lossy(key).into_owned(),
            (2, Value::Len(def)) => {
                for part in Fields::new(def, field.payload_offset) {
                    let part = part?;
                    let list = match (part.number, part.value) {
                        (1, Value::Len(_)) => &mut inputs,
                        (2, Value::Len(_)) => &mut outputs,
                        _ => continue,
                    };
                    if let Value::Len(tensor_entry) = part.value
                        && list.len() < MAX_NAMES_PER_SIGNATURE
                    {
                        list.push(map_key(tensor_entry, part.payload_offset)?);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(format!(
        "{name}({} -> {})",
        inputs.join(", "),
        outputs.join(", ")
    ))
}

fn map_key(entry: &[u8], base: u64) -> Result<String, Error> {
    let mut key = String::new();
    for field in Fields::new(entry, base) {
        let field = field?;
        if let (1, Value::Len(bytes)) = (field.number, field.value) {
            key = String::from_utf8_lossy(bytes).into_owned();
        }
    }
    Ok(key)
}
