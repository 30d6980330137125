//! TensorProto: decoding the fields that describe a tensor's data without reading
//! the data, then checking its size and where external data points.
//!
//! Field numbers, from onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto):
//! dims = 1, data_type = 2, segment = 3, float_data = 4, int32_data = 5,
//! string_data = 6, int64_data = 7, name = 8, raw_data = 9, double_data = 10,
//! uint64_data = 11, external_data = 13 (StringStringEntryProto: key = 1, value = 2),
//! data_location = 14 (EXTERNAL = 1).

use std::io::{BufRead, Seek};

use cordon_plugin_sdk::{Check, Severity};
use cordon_protowire::{Error, Fields, PackedVarints, Value, Walker};

use crate::rules;
use crate::walk::{LEAF_CAP, text};
use cordon_plugin_sdk::Deferred;

/// More dimensions than any runtime accepts; a packed dims field above this is not decoded.
const MAX_PACKED_DIMS_BYTES: u64 = 1024;
/// External data entries kept per tensor (ONNX defines four keys).
const MAX_EXTERNAL_ENTRIES: usize = 16;
const DATA_LOCATION_EXTERNAL: u64 = 1;
const STRING: u64 = 8;

/// The typed value fields, one per family of data types (onnx.proto says which).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Typed {
    Float,
    Int32,
    String,
    Int64,
    Double,
    Uint64,
}

impl Typed {
    fn of_field(number: u32) -> Option<Self> {
        Some(match number {
            4 => Typed::Float,
            5 => Typed::Int32,
            6 => Typed::String,
            7 => Typed::Int64,
            10 => Typed::Double,
            11 => Typed::Uint64,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Typed::Float => "float_data",
            Typed::Int32 => "int32_data",
            Typed::String => "string_data",
            Typed::Int64 => "int64_data",
            Typed::Double => "double_data",
            Typed::Uint64 => "uint64_data",
        }
    }
}

/// Where a data source holds the tensor's values.
#[derive(Debug)]
enum Data {
    Raw(u64),
    Typed(Typed, u64),
}

/// What one TensorProto says about its data.
#[derive(Debug, Default)]
pub struct Tensor {
    pub name: String,
    data_type: Option<u64>,
    dims: Vec<u64>,
    /// A dims field that could not be decoded.
    bad_dims: Option<String>,
    segmented: bool,
    raw: Option<u64>,
    typed: Vec<(Typed, u64)>,
    external: Vec<(String, String)>,
    external_location: bool,
    /// An external_data entry too large to read.
    oversized_entry: Option<u64>,
}

impl Tensor {
    /// Number of elements, when the dims are valid and the product fits in 64 bits.
    pub fn elements(&self) -> Option<u64> {
        if self.bad_dims.is_some() {
            return None;
        }
        self.dims.iter().try_fold(1u64, |acc, d| {
            i64::try_from(*d).ok()?;
            acc.checked_mul(*d)
        })
    }

    pub fn is_external(&self) -> bool {
        self.external_location || !self.external.is_empty() || self.oversized_entry.is_some()
    }

    fn data(&self) -> Vec<Data> {
        let mut data: Vec<Data> = self.raw.map(Data::Raw).into_iter().collect();
        data.extend(self.typed.iter().map(|(t, n)| Data::Typed(*t, *n)));
        data
    }
}

/// Decode the TensorProto the walker is inside, skipping its data payloads.
pub fn decode<R: BufRead + Seek>(w: &mut Walker<R>) -> Result<Tensor, Error> {
    let mut t = Tensor::default();
    while let Some(f) = w.next_field()? {
        match (f.number, f.value) {
            (1, Value::Varint(d)) => t.dims.push(d),
            (1, Value::Len(len)) if len > MAX_PACKED_DIMS_BYTES => {
                t.bad_dims = Some(format!("packed dims field of {len} bytes"));
            }
            (1, Value::Len(_)) => {
                let payload = w.bytes(MAX_PACKED_DIMS_BYTES as usize)?;
                for d in PackedVarints::new(&payload, f.payload_offset) {
                    match d {
                        Ok(d) => t.dims.push(d),
                        Err(e) => t.bad_dims = Some(format!("packed dims: {e}")),
                    }
                }
            }
            (2, Value::Varint(v)) => t.data_type = Some(v),
            (3, Value::Len(_)) => t.segmented = true,
            (8, Value::Len(_)) => t.name = text(w)?,
            (9, Value::Len(len)) => t.raw = Some(len),
            (13, Value::Len(len)) if len > LEAF_CAP => t.oversized_entry = Some(len),
            (13, Value::Len(_)) => {
                let entry = w.bytes(LEAF_CAP as usize)?;
                if t.external.len() < MAX_EXTERNAL_ENTRIES {
                    t.external.push(string_pair(&entry, f.payload_offset)?);
                }
            }
            (14, Value::Varint(v)) => t.external_location = v == DATA_LOCATION_EXTERNAL,
            (n, value) => {
                if let Some(typed) = Typed::of_field(n) {
                    let count = match (typed, value) {
                        (Typed::Float, Value::Fixed32(_))
                        | (Typed::Double, Value::Fixed64(_))
                        | (Typed::String, Value::Len(_))
                        | (Typed::Int32 | Typed::Int64 | Typed::Uint64, Value::Varint(_)) => 1,
                        // Packed: fixed-width values by length, varints by counting them.
                        (Typed::Float, Value::Len(len)) => len / 4,
                        (Typed::Double, Value::Len(len)) => len / 8,
                        (Typed::Int32 | Typed::Int64 | Typed::Uint64, Value::Len(_)) => {
                            w.count_varints()?
                        }
                        // A wire type protobuf itself would treat as an unknown field.
                        _ => continue,
                    };
                    match t.typed.iter_mut().find(|(k, _)| *k == typed) {
                        Some((_, n)) => *n += count,
                        None => t.typed.push((typed, count)),
                    }
                }
            }
        }
    }
    Ok(t)
}

/// A StringStringEntryProto (key = 1, value = 2) held in memory.
pub fn string_pair(entry: &[u8], base: u64) -> Result<(String, String), Error> {
    let (mut key, mut value) = (String::new(), String::new());
    for field in Fields::new(entry, base) {
        let field = field?;
        match (field.number, field.value) {
            (1, Value::Len(bytes)) => key = String::from_utf8_lossy(bytes).into_owned(),
            (2, Value::Len(bytes)) => value = String::from_utf8_lossy(bytes).into_owned(),
            _ => {}
        }
    }
    Ok((key, value))
}

/// Check where the tensor's data is and whether there is as much as its shape says.
pub fn check(t: &Tensor, locator: &str, offset: u64, findings: &mut Deferred) {
    if t.is_external() {
        check_external(t, locator, offset, findings);
        return;
    }
    if t.segmented {
        // A segment holds a slice of a larger tensor: its size cannot be checked alone.
        return;
    }
    if let Some(problem) = size_problem(t) {
        findings.push(
            Check::failed(
                rules::TENSOR_SIZE,
                format!("tensor {}: {problem}", shown(t, locator)),
            )
            .locator(locator)
            .offset(offset)
            .evidence("data_type", t.data_type.map_or("none".into(), type_name))
            .evidence("dims", format!("{:?}", t.dims)),
        );
    }
}

fn shown(t: &Tensor, locator: &str) -> String {
    if t.name.is_empty() {
        locator.to_string()
    } else {
        format!("{:?}", t.name)
    }
}

fn check_external(t: &Tensor, locator: &str, offset: u64, findings: &mut Deferred) {
    let failed = |message: String| {
        Check::failed(rules::EXTERNAL_DATA, message)
            .locator(locator)
            .offset(offset)
    };
    if let Some(len) = t.oversized_entry {
        findings.push(
            Check::error(
                rules::EXTERNAL_DATA,
                format!(
                    "tensor {}: an external_data entry of {len} bytes is too large to inspect",
                    shown(t, locator)
                ),
            )
            .locator(locator)
            .offset(offset),
        );
    }
    let location = t.external.iter().rev().find(|(k, _)| k == "location");
    match location {
        None if t.oversized_entry.is_none() => findings.push(
            failed(format!(
                "tensor {} is stored externally but names no location",
                shown(t, locator)
            ))
            .severity(Severity::Medium),
        ),
        None => {}
        Some((_, path)) => {
            if let Some(problem) = path_escape(path) {
                findings.push(
                    failed(format!(
                        "tensor {} reads its data from {path:?}, which {problem}",
                        shown(t, locator)
                    ))
                    .evidence("location", path)
                    .evidence("problem", problem),
                );
            }
        }
    }
    // A declared length must match the shape, like raw_data.
    let declared = t.external.iter().rev().find(|(k, _)| k == "length");
    if let (Some((_, length)), Some(expected)) = (declared, expected_raw_bytes(t))
        && length.trim().parse::<u64>().ok() != Some(expected)
    {
        findings.push(
            Check::failed(
                rules::TENSOR_SIZE,
                format!(
                    "tensor {}: external data length {length:?} but the shape needs {expected} bytes",
                    shown(t, locator)
                ),
            )
            .locator(locator)
            .offset(offset),
        );
    }
}

/// Why an external data location may resolve outside the model's directory.
pub fn path_escape(location: &str) -> Option<&'static str> {
    let bytes = location.as_bytes();
    if location.is_empty() {
        Some("is empty")
    } else if location.contains('\0') {
        Some("contains a NUL byte")
    } else if location.starts_with(['/', '\\']) {
        Some("is an absolute path")
    } else if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        Some("starts with a drive letter")
    } else if location.contains("://") {
        Some("is a URL")
    } else if location.starts_with('~') {
        Some("starts in a home directory")
    } else if location.split(['/', '\\']).any(|part| part == "..") {
        Some("climbs out of the directory with '..'")
    } else {
        None
    }
}

/// Bytes raw_data must hold, for fixed-size types with valid dims.
fn expected_raw_bytes(t: &Tensor) -> Option<u64> {
    let bits = element_bits(t.data_type?)?;
    let bits = u128::from(t.elements()?) * u128::from(bits);
    u64::try_from(bits.div_ceil(8)).ok()
}

fn size_problem(t: &Tensor) -> Option<String> {
    if let Some(problem) = &t.bad_dims {
        return Some(problem.clone());
    }
    let Some(elements) = t.elements() else {
        return Some(format!(
            "dims {:?} are negative or multiply past 2^64 elements",
            t.dims.iter().map(|d| *d as i64).collect::<Vec<_>>()
        ));
    };
    let data_type = t.data_type.unwrap_or(0);
    if data_type != STRING && element_bits(data_type).is_none() {
        return Some(format!("data_type {data_type} is not an ONNX tensor type"));
    }
    let data = t.data();
    match data.as_slice() {
        [] if elements == 0 => None,
        [] => Some(format!("declares {elements} elements but holds no data")),
        [Data::Raw(len)] => {
            let expected = expected_raw_bytes(t);
            match expected {
                None => Some(format!(
                    "{} tensor stored in raw_data",
                    type_name(data_type)
                )),
                Some(expected) if expected != *len => Some(format!(
                    "raw_data holds {len} bytes but {elements} {} elements need {expected}",
                    type_name(data_type)
                )),
                Some(_) => None,
            }
        }
        [Data::Typed(field, count)] => {
            let Some(expected) = expected_typed_values(data_type, *field, elements) else {
                return Some(format!(
                    "{} tensor holds its data in {}, a field its type does not use",
                    type_name(data_type),
                    field.name()
                ));
            };
            (expected != *count).then(|| {
                format!(
                    "{} holds {count} values but {elements} {} elements need {expected}",
                    field.name(),
                    type_name(data_type)
                )
            })
        }
        several => Some(format!(
            "holds data in {} fields at once",
            several
                .iter()
                .map(|d| match d {
                    Data::Raw(_) => "raw_data",
                    Data::Typed(field, _) => field.name(),
                })
                .collect::<Vec<_>>()
                .join(" and ")
        )),
    }
}

/// Values the typed `field` must hold for `elements` of `data_type`, `None` when the
/// type does not use that field (onnx.proto's comments on each field).
fn expected_typed_values(data_type: u64, field: Typed, elements: u64) -> Option<u64> {
    let complex = matches!(data_type, 14 | 15);
    let fits = match field {
        Typed::Float => matches!(data_type, 1 | 14),
        Typed::Double => matches!(data_type, 11 | 15),
        Typed::Int64 => data_type == 7,
        Typed::Uint64 => matches!(data_type, 12 | 13),
        Typed::String => data_type == STRING,
        Typed::Int32 => matches!(data_type, 2..=6 | 9 | 10 | 16..=26),
    };
    if !fits {
        return None;
    }
    // Sub-byte types pack two (4-bit) or four (2-bit) elements per int32 value.
    let per_value = match element_bits(data_type) {
        Some(bits) if bits < 8 && field == Typed::Int32 => u64::from(8 / bits),
        _ => 1,
    };
    Some(if complex {
        elements.saturating_mul(2)
    } else {
        elements.div_ceil(per_value)
    })
}

/// Size in bits of each fixed-size TensorProto.DataType; `None` for STRING and unknown types.
fn element_bits(data_type: u64) -> Option<u32> {
    Some(match data_type {
        25 | 26 => 2,
        21..=23 => 4,
        2 | 3 | 9 | 17..=20 | 24 => 8,
        4 | 5 | 10 | 16 => 16,
        1 | 6 | 12 => 32,
        7 | 11 | 13 | 14 => 64,
        15 => 128,
        _ => return None,
    })
}

/// Short lowercase name of a TensorProto.DataType.
pub fn type_name(data_type: u64) -> String {
    const NAMES: [&str; 27] = [
        "undefined",
        "float32",
        "uint8",
        "int8",
        "uint16",
        "int16",
        "int32",
        "int64",
        "string",
        "bool",
        "float16",
        "float64",
        "uint32",
        "uint64",
        "complex64",
        "complex128",
        "bfloat16",
        "float8e4m3fn",
        "float8e4m3fnuz",
        "float8e5m2",
        "float8e5m2fnuz",
        "uint4",
        "int4",
        "float4e2m1",
        "float8e8m0",
        "uint2",
        "int2",
    ];
    usize::try_from(data_type)
        .ok()
        .and_then(|i| NAMES.get(i))
        .map_or_else(|| format!("type{data_type}"), |n| n.to_string())
}
