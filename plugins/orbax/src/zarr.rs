//! Zarr array metadata: dtype, shape and chunks, compressor, filters and codecs
//! (v2 `.zarray` and v3 `zarr.json`).

use cordon_plugin_sdk::{Check, ScanOutput, Severity};
use serde_json::Value;

use crate::rules;
use cordon_plugin_sdk::Findings;

/// numcodecs ids a stock installation provides (v2 compressor and filters).
const V2_CODECS: &[&str] = &[
    "blosc",
    "zlib",
    "gzip",
    "bz2",
    "lzma",
    "zstd",
    "lz4",
    "delta",
    "fixedscaleoffset",
    "quantize",
    "packbits",
    "categorize",
    "astype",
    "shuffle",
    "bitround",
    "crc32",
    "crc32c",
    "adler32",
    "fletcher32",
    "jenkins_lookup3",
    "json2",
    "msgpack2",
    "vlen-utf8",
    "vlen-bytes",
    "vlen-array",
    "zfpy",
    "pcodec",
];
/// Codec names of the Zarr v3 core specification and its registered extensions.
const V3_CODECS: &[&str] = &[
    "bytes",
    "endian",
    "transpose",
    "gzip",
    "blosc",
    "zstd",
    "crc32c",
    "sharding_indexed",
    "vlen-utf8",
    "vlen-bytes",
];
const V3_TYPES: &[&str] = &[
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "bfloat16",
    "complex64",
    "complex128",
    "string",
    "bytes",
];

pub fn check(doc: &Value, f: &mut Findings, out: &mut ScanOutput) {
    let is_v3 = doc.get("zarr_format").and_then(Value::as_u64) == Some(3);
    let is_array = doc.get("shape").is_some();
    if is_array {
        if is_v3 {
            v3(doc, f, out);
        } else {
            v2(doc, f, out);
        }
    }
    let skipped = if is_array {
        None
    } else {
        Some("not array metadata")
    };
    for (rule, passed) in [
        (rules::ZARR_DTYPE, "dtype is a plain numeric or string type"),
        (rules::ZARR_CODEC, "only standard codecs"),
        (rules::ZARR_SHAPE, "shape and chunks are consistent"),
    ] {
        match skipped {
            Some(why) => out.push(Check::skipped(rule, why)),
            None => f.finish(out, rule, passed),
        }
    }
}

fn v2(doc: &Value, f: &mut Findings, out: &mut ScanOutput) {
    let dtype = doc.get("dtype").unwrap_or(&Value::Null);
    v2_dtype(dtype, f, out);
    out.meta("zarr-dtype", compact(dtype));
    shape(doc.get("shape"), doc.get("chunks"), f, out);
    if let Some(c) = doc.get("compressor").filter(|c| !c.is_null()) {
        codec(c.get("id"), "/compressor/id", V2_CODECS, f, out);
        out.meta(
            "zarr-compressor",
            compact(c.get("id").unwrap_or(&Value::Null)),
        );
    }
    match doc.get("filters") {
        Some(Value::Array(filters)) => {
            for (i, filter) in filters.iter().enumerate() {
                codec(
                    filter.get("id"),
                    &format!("/filters/{i}/id"),
                    V2_CODECS,
                    f,
                    out,
                );
            }
        }
        None | Some(Value::Null) => {}
        Some(other) => fail_codec(
            f,
            out,
            format!("filters is {}, not a list", compact(other)),
            "/filters",
            Severity::Medium,
        ),
    }
}

fn v2_dtype(dtype: &Value, f: &mut Findings, out: &mut ScanOutput) {
    match dtype {
        Value::String(s) => {
            let kind = s.chars().nth(1);
            let order = s.chars().next();
            if kind == Some('O') {
                let check = Check::failed(
                    rules::ZARR_DTYPE,
                    format!(
                        "object dtype `{s}`: elements are Python objects decoded by an object codec"
                    ),
                )
                .locator("/dtype");
                f.fail(out, rules::ZARR_DTYPE, check);
            } else if !matches!(order, Some('<' | '>' | '|'))
                || !matches!(
                    kind,
                    Some('b' | 'i' | 'u' | 'f' | 'c' | 'm' | 'M' | 'S' | 'U' | 'V')
                )
            {
                let check = Check::failed(
                    rules::ZARR_DTYPE,
                    format!("dtype `{s}` is not a NumPy type string"),
                )
                .severity(Severity::Low)
                .locator("/dtype");
                f.fail(out, rules::ZARR_DTYPE, check);
            }
        }
        // Structured dtypes: [[name, type(, shape)], ...]
        Value::Array(fields) => {
            for field in fields {
                v2_dtype(field.get(1).unwrap_or(&Value::Null), f, out);
            }
        }
        other => {
            let check = Check::failed(
                rules::ZARR_DTYPE,
                format!("dtype is {}, not a type string", compact(other)),
            )
            .severity(Severity::Low)
            .locator("/dtype");
            f.fail(out, rules::ZARR_DTYPE, check);
        }
    }
}

fn v3(doc: &Value, f: &mut Findings, out: &mut ScanOutput) {
    let dtype = doc.get("data_type").unwrap_or(&Value::Null);
    out.meta("zarr-dtype", compact(dtype));
    if !dtype
        .as_str()
        .is_some_and(|t| V3_TYPES.contains(&t) || t.starts_with('r'))
    {
        let check = Check::failed(
            rules::ZARR_DTYPE,
            format!("data_type {} is not a Zarr v3 core type", compact(dtype)),
        )
        .severity(Severity::Low)
        .locator("/data_type");
        f.fail(out, rules::ZARR_DTYPE, check);
    }
    let chunks = doc.pointer("/chunk_grid/configuration/chunk_shape");
    shape(doc.get("shape"), chunks, f, out);
    if let Some(Value::Array(codecs)) = doc.get("codecs") {
        for (i, c) in codecs.iter().enumerate() {
            codec(
                c.get("name"),
                &format!("/codecs/{i}/name"),
                V3_CODECS,
                f,
                out,
            );
        }
    }
}

fn codec(
    id: Option<&Value>,
    pointer: &str,
    known: &[&str],
    f: &mut Findings,
    out: &mut ScanOutput,
) {
    let Some(name) = id.and_then(Value::as_str) else {
        return fail_codec(
            f,
            out,
            format!("codec without a string id at {pointer}"),
            pointer,
            Severity::Medium,
        );
    };
    let bare = name.strip_prefix("numcodecs.").unwrap_or(name);
    if bare == "pickle" {
        fail_codec(
            f,
            out,
            "`pickle` codec: reading the array unpickles its chunks".into(),
            pointer,
            Severity::High,
        );
    } else if !(known.contains(&bare)
        || name.starts_with("numcodecs.") && V2_CODECS.contains(&bare))
    {
        fail_codec(
            f,
            out,
            format!(
                "codec `{name}` is not standard; it needs a plugin installed where the array is read"
            ),
            pointer,
            Severity::Medium,
        );
    }
}

fn fail_codec(
    f: &mut Findings,
    out: &mut ScanOutput,
    message: String,
    pointer: &str,
    severity: Severity,
) {
    let check = Check::failed(rules::ZARR_CODEC, message)
        .severity(severity)
        .locator(pointer);
    f.fail(out, rules::ZARR_CODEC, check);
}

fn shape(shape: Option<&Value>, chunks: Option<&Value>, f: &mut Findings, out: &mut ScanOutput) {
    let dims = |v: Option<&Value>, min: u64| -> Option<Vec<u64>> {
        v?.as_array()?
            .iter()
            .map(|d| d.as_u64().filter(|d| *d >= min))
            .collect()
    };
    let problem = match (dims(shape, 0), dims(chunks, 1)) {
        (None, _) => Some(format!(
            "shape {} is not a list of non-negative integers",
            compact(shape.unwrap_or(&Value::Null))
        )),
        (_, None) => Some(format!(
            "chunks {} is not a list of positive integers",
            compact(chunks.unwrap_or(&Value::Null))
        )),
        (Some(s), Some(c)) if s.len() != c.len() => Some(format!(
            "shape has rank {} but chunks rank {}",
            s.len(),
            c.len()
        )),
        (Some(s), Some(_)) => {
            out.meta("zarr-shape", format!("{s:?}"));
            match s.iter().try_fold(1u64, |a, d| a.checked_mul(*d)) {
                None => Some(format!("shape {s:?} has more than 2^64 elements")),
                Some(_) => None,
            }
        }
    };
    if let Some(message) = problem {
        let check = Check::failed(rules::ZARR_SHAPE, message).locator("/shape");
        f.fail(out, rules::ZARR_SHAPE, check);
    }
}

/// A JSON value as short text for messages and metadata.
fn compact(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
