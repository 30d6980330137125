//! Graph inputs and outputs rendered compactly, e.g. `pixels: float32[batch,3,224,224]`.
//!
//! Field numbers, from onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto):
//! ValueInfoProto: name = 1, type = 2. TypeProto: tensor_type = 1, sequence_type = 4,
//! map_type = 5, opaque_type = 7, sparse_tensor_type = 8, optional_type = 9.
//! TypeProto.Tensor and .SparseTensor: elem_type = 1, shape = 2. Sequence and Optional:
//! elem_type = 1 (a TypeProto). Map: key_type = 1, value_type = 2 (a TypeProto).
//! TensorShapeProto: dim = 1; Dimension: dim_value = 1, dim_param = 2.

use cordon_protowire::{Error, Fields, Value};

use crate::tensor::type_name;

/// Types nest (sequences of maps of sequences...); deeper levels are shown as `…`.
const MAX_TYPE_DEPTH: usize = 8;
const MAX_DIMS_SHOWN: usize = 16;
const MAX_NAME_CHARS: usize = 128;

/// `name: type` of a ValueInfoProto held in memory at input offset `base`.
pub fn value_info(bytes: &[u8], base: u64) -> Result<String, Error> {
    let mut name = String::new();
    let mut ty = String::from("?");
    for field in Fields::new(bytes, base) {
        let field = field?;
        match (field.number, field.value) {
            (1, Value::Len(b)) => name = short(b),
            (2, Value::Len(b)) => ty = type_proto(b, field.payload_offset, 0)?,
            _ => {}
        }
    }
    Ok(format!("{name}: {ty}"))
}

fn short(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .take(MAX_NAME_CHARS)
        .collect()
}

fn type_proto(bytes: &[u8], base: u64, depth: usize) -> Result<String, Error> {
    if depth >= MAX_TYPE_DEPTH {
        return Ok("…".into());
    }
    let mut ty = String::from("?");
    for field in Fields::new(bytes, base) {
        let field = field?;
        let (Value::Len(b), at) = (field.value, field.payload_offset) else {
            continue;
        };
        ty = match field.number {
            1 => tensor_type(b, at)?,
            8 => format!("sparse {}", tensor_type(b, at)?),
            4 => format!("seq({})", element(b, at, depth)?),
            9 => format!("optional({})", element(b, at, depth)?),
            5 => map_type(b, at, depth)?,
            7 => "opaque".into(),
            _ => continue,
        };
    }
    Ok(ty)
}

/// The TypeProto in field 1 of a Sequence or Optional.
fn element(bytes: &[u8], base: u64, depth: usize) -> Result<String, Error> {
    let mut ty = String::from("?");
    for field in Fields::new(bytes, base) {
        let field = field?;
        if let (1, Value::Len(b)) = (field.number, field.value) {
            ty = type_proto(b, field.payload_offset, depth + 1)?;
        }
    }
    Ok(ty)
}

fn map_type(bytes: &[u8], base: u64, depth: usize) -> Result<String, Error> {
    let (mut key, mut value) = (String::from("?"), String::from("?"));
    for field in Fields::new(bytes, base) {
        let field = field?;
        match (field.number, field.value) {
            (1, Value::Varint(t)) => key = type_name(t),
            (2, Value::Len(b)) => value = type_proto(b, field.payload_offset, depth + 1)?,
            _ => {}
        }
    }
    Ok(format!("map({key},{value})"))
}

/// `float32[batch,3]`; without a shape field the rank is unknown and only the type shows.
fn tensor_type(bytes: &[u8], base: u64) -> Result<String, Error> {
    let mut elem = String::from("?");
    let mut dims: Option<Vec<String>> = None;
    for field in Fields::new(bytes, base) {
        let field = field?;
        match (field.number, field.value) {
            (1, Value::Varint(t)) => elem = type_name(t),
            (2, Value::Len(b)) => dims = Some(shape(b, field.payload_offset)?),
            _ => {}
        }
    }
    Ok(match dims {
        Some(dims) => format!("{elem}[{}]", dims.join(",")),
        None => elem,
    })
}

fn shape(bytes: &[u8], base: u64) -> Result<Vec<String>, Error> {
    let mut dims = Vec::new();
    for field in Fields::new(bytes, base) {
        let field = field?;
        let (1, Value::Len(b)) = (field.number, field.value) else {
            continue;
        };
        if dims.len() == MAX_DIMS_SHOWN {
            dims.push("…".into());
            break;
        }
        let mut dim = String::from("?");
        for part in Fields::new(b, field.payload_offset) {
            let part = part?;
            match (part.number, part.value) {
                (1, Value::Varint(v)) => dim = (v as i64).to_string(),
                (2, Value::Len(name)) => dim = short(name),
                _ => {}
            }
        }
        dims.push(dim);
    }
    Ok(dims)
}
