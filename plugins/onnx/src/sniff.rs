//! Deciding whether the input is an ONNX ModelProto, reading only its first fields.

use std::io::{BufRead, Seek};
use std::ops::RangeInclusive;

use cordon_plugin_sdk::ScanError;
use cordon_protowire::{Error, Value, Walker};

/// ModelProto's fields and whether each is length-delimited (else a varint).
const MODEL_FIELDS: &[(u32, bool)] = &[
    (1, false),
    (2, true),
    (3, true),
    (4, true),
    (5, false),
    (6, true),
    (7, true),
    (8, true),
    (14, true),
    (20, true),
    (25, true),
    (26, true),
];

/// IR version 3 (ONNX 1.0, 2017) introduced operator sets; the upper bound is generous.
const IR_VERSIONS: RangeInclusive<u64> = 3..=64;

/// Writers serialize fields in number order: ir_version, producer..., then the graph.
const FIELDS_BEFORE_GRAPH: usize = 16;

/// `Ok` when the input is a ModelProto, else `Unsupported` with the reason.
///
/// A file named `.onnx` only needs a first field that ModelProto defines; damage
/// further on is for the scan to report. Any other file must start with a plausible
/// ir_version and reach the graph through ModelProto fields only.
pub fn recognise<R: BufRead + Seek>(mut w: Walker<R>, named_onnx: bool) -> Result<(), ScanError> {
    for index in 0..FIELDS_BEFORE_GRAPH {
        let field = match w.next_field() {
            Ok(Some(field)) => field,
            Ok(None) if index == 0 => return Err(unsupported("the input is empty")),
            Ok(None) => return Err(unsupported("no graph field")),
            Err(Error::Io { offset, message }) => {
                return Err(ScanError::Io(format!("at offset {offset}: {message}")));
            }
            Err(e) => return Err(unsupported(&format!("not a protobuf message: {e}"))),
        };
        let length_delimited = matches!(field.value, Value::Len(_));
        if !MODEL_FIELDS.contains(&(field.number, length_delimited)) {
            return Err(unsupported(&format!(
                "field {} at offset {} is not a ModelProto field",
                field.number, field.offset
            )));
        }
        if named_onnx {
            return Ok(());
        }
        if index == 0 {
            match field.value {
                Value::Varint(v) if field.number == 1 && IR_VERSIONS.contains(&v) => {}
                _ => return Err(unsupported("does not start with a plausible ir_version")),
            }
        }
        if field.number == 7 {
            return Ok(());
        }
    }
    Err(unsupported("no graph among the first fields"))
}

fn unsupported(why: &str) -> ScanError {
    ScanError::Unsupported(format!("not an ONNX model: {why}"))
}
