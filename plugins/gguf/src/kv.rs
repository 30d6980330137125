//! Metadata key-value pairs: every GGUF value type, with arrays and strings
//! bounded by the file and nesting bounded by [`MAX_ARRAY_DEPTH`].

use std::io::{Read, Seek};

use crate::reader::{GgufStr, Parsed, Problem, Reader};

/// The specification's limit on key length.
pub const MAX_KEY_BYTES: u64 = 65_535;
/// Scalar strings up to this size are kept for analysis (chat templates fit).
pub const KEEP_STRING: u64 = 1 << 20;
/// Total bytes of strings kept per file.
const KEEP_TOTAL: u64 = 64 << 20;
/// Arrays of arrays are allowed; arrays of arrays of arrays are not.
pub const MAX_ARRAY_DEPTH: u32 = 2;

pub const STRING: u32 = 8;
pub const ARRAY: u32 = 9;

/// Names of value types, by id.
pub const TYPE_NAMES: [&str; 13] = [
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array",
    "uint64", "int64", "float64",
];

/// Size of fixed-width value types, by id.
fn fixed_size(ty: u32) -> Option<u64> {
    Some(match ty {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        10..=12 => 8,
        _ => return None,
    })
}

pub fn type_name(ty: u32) -> String {
    TYPE_NAMES
        .get(ty as usize)
        .map_or_else(|| format!("unknown type {ty}"), |n| n.to_string())
}

#[derive(Debug, Clone)]
pub enum Value {
    Uint(u64),
    Int(i64),
    /// Floats and booleans: validated, not kept.
    Other,
    Str(GgufStr),
    /// Elements are validated and skipped, not kept.
    Array {
        len: u64,
    },
}

impl Value {
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Uint(v) => Some(*v),
            Value::Int(v) => u64::try_from(*v).ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => s.text.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Kv {
    pub key: String,
    pub offset: u64,
    pub ty: u32,
    pub value: Value,
}

/// Every pair read, the problems that did not stop parsing, and the one that did.
#[derive(Default)]
pub struct Metadata {
    pub kvs: Vec<Kv>,
    pub issues: Vec<Problem>,
    pub stopped: Option<Problem>,
}

impl Metadata {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.kvs.iter().find(|kv| kv.key == key).map(|kv| &kv.value)
    }
}

pub fn read_all<R: Read + Seek>(r: &mut Reader<R>, count: u64) -> Metadata {
    let mut meta = Metadata::default();
    let mut kept = 0u64;
    for index in 0..count {
        match pair(r, index, &mut kept, &mut meta.issues) {
            Ok(kv) => meta.kvs.push(kv),
            Err(problem) => {
                meta.stopped = Some(problem);
                break;
            }
        }
    }
    meta
}

fn pair<R: Read + Seek>(
    r: &mut Reader<R>,
    index: u64,
    kept: &mut u64,
    issues: &mut Vec<Problem>,
) -> Parsed<Kv> {
    let offset = r.pos();
    let key = r.string(MAX_KEY_BYTES, &format!("key of metadata entry {index}"))?;
    let name = match (&key.text, key.utf8) {
        (Some(k), true) if !k.is_empty() && k.is_ascii() => k.clone(),
        (Some(k), _) => {
            let problem = if k.is_empty() {
                "is empty".to_string()
            } else {
                format!("{k:?} is not ASCII")
            };
            issues.push(Problem::new(
                offset,
                format!("key of metadata entry {index} {problem}"),
            ));
            k.clone()
        }
        (None, _) => {
            issues.push(Problem::new(offset, format!("key of metadata entry {index} is {} bytes, over the {MAX_KEY_BYTES}-byte limit", key.len)));
            format!("<entry {index}>")
        }
    };
    let ty = r.u32(&format!("value type of {name:?}"))?;
    let keep = if *kept < KEEP_TOTAL { KEEP_STRING } else { 0 };
    let value = value(r, ty, &name, keep, 0, issues)?;
    if let Value::Str(s) = &value {
        *kept += s.text.as_ref().map_or(0, |t| t.len() as u64);
    }
    Ok(Kv {
        key: name,
        offset,
        ty,
        value,
    })
}

fn value<R: Read + Seek>(
    r: &mut Reader<R>,
    ty: u32,
    key: &str,
    keep: u64,
    depth: u32,
    issues: &mut Vec<Problem>,
) -> Parsed<Value> {
    let what = format!("value of {key:?}");
    Ok(match ty {
        0 => Value::Uint(r.u8(&what)?.into()),
        1 => Value::Int((r.u8(&what)? as i8).into()),
        2 => Value::Uint(u16::from_le_bytes(r.array(&what)?).into()),
        3 => Value::Int(i16::from_le_bytes(r.array(&what)?).into()),
        4 => Value::Uint(r.u32(&what)?.into()),
        5 => Value::Int(i32::from_le_bytes(r.array(&what)?).into()),
        6 => {
            r.array::<4>(&what)?;
            Value::Other
        }
        7 => {
            let at = r.pos();
            let b = r.u8(&what)?;
            if b > 1 {
                issues.push(Problem::new(at, format!("bool {what} is {b}, not 0 or 1")));
            }
            Value::Other
        }
        STRING => Value::Str(r.string(keep, &what)?),
        ARRAY => array(r, key, depth + 1)?,
        10 => Value::Uint(r.u64(&what)?),
        11 => Value::Int(i64::from_le_bytes(r.array(&what)?)),
        12 => {
            r.array::<8>(&what)?;
            Value::Other
        }
        other => {
            return Err(Problem::new(
                r.pos() - 4,
                format!("{what} has unknown type {other}; the rest of the file cannot be parsed"),
            ));
        }
    })
}

/// Validate an array's elements and skip them; only its type and length are kept.
fn array<R: Read + Seek>(r: &mut Reader<R>, key: &str, depth: u32) -> Parsed<Value> {
    let at = r.pos();
    if depth > MAX_ARRAY_DEPTH {
        return Err(Problem::new(
            at,
            format!("array in {key:?} nested deeper than {MAX_ARRAY_DEPTH} levels"),
        ));
    }
    let elem = r.u32(&format!("element type of array {key:?}"))?;
    let len = r.size_value(&format!("length of array {key:?}"))?;
    let what = format!("{len} elements of array {key:?}");
    // Smallest possible element, to refuse impossible lengths before iterating.
    let min = match elem {
        STRING => r.size_width(),
        ARRAY => 4 + r.size_width(),
        ty => fixed_size(ty).ok_or_else(|| Problem::new(at, format!("array {key:?} has unknown element type {ty}; the rest of the file cannot be parsed")))?,
    };
    let needed = len.checked_mul(min).filter(|n| *n <= r.remaining());
    let Some(needed) = needed else {
        return Err(Problem::new(
            at,
            format!(
                "array {key:?} claims {len} {} elements, more than the {} bytes left in the file",
                type_name(elem),
                r.remaining()
            ),
        ));
    };
    match elem {
        STRING => {
            for i in 0..len {
                r.string(0, &format!("element {i} of array {key:?}"))?;
            }
        }
        ARRAY => {
            for _ in 0..len {
                array(r, key, depth + 1)?;
            }
        }
        _ => r.skip(needed, &what)?,
    }
    Ok(Value::Array { len })
}
