//! The scan: header, metadata, tensor table, data layout, chat templates, string
//! metadata. Only the header, metadata and tensor table are read; tensor data is
//! checked against the file size, never read.

use std::collections::HashMap;
use std::io::{Read, Seek};

use cordon_plugin_sdk::{Check, ScanOutput, Severity};

use crate::kv::{self, Metadata, Value};
use crate::reader::{Problem, Reader};
use crate::tensors::{self, TensorInfo};
use crate::{layout, model, report, rules, strings, templates};

pub const MAGIC: &[u8; 4] = b"GGUF";
/// Alignment when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// Caps on the counts a header may declare (`--plugin-option gguf.max-tensors=N`...).
pub struct Limits {
    pub max_tensors: u64,
    pub max_kv: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_tensors: 1 << 20,
            max_kv: 1 << 20,
        }
    }
}

struct Header {
    version: u32,
    tensors: u64,
    kvs: u64,
}

pub fn analyze<R: Read + Seek>(source: R, size: u64, limits: &Limits, out: &mut ScanOutput) {
    out.meta("format", "gguf");
    let mut r = Reader::new(source, size);
    let header = match header(&mut r, limits) {
        Ok(h) => h,
        Err(problem) => {
            out.push(Check::failed(rules::HEADER, problem.message).offset(problem.offset));
            return;
        }
    };
    out.push(
        Check::passed(
            rules::HEADER,
            format!(
                "GGUF v{}, {} tensors, {} metadata entries",
                header.version, header.tensors, header.kvs
            ),
        )
        .offset(0),
    );
    out.meta("gguf-version", header.version);
    if r.big_endian {
        out.meta("byte-order", "big-endian");
    }

    let meta = kv::read_all(&mut r, header.kvs);
    metadata_checks(&meta, out);
    let alignment = alignment(&meta, out);
    templates::check(&meta, out);
    strings::check(&meta, out);
    model::from_metadata(&meta, out);

    let blocked = [
        rules::TENSOR_INFO,
        rules::DUPLICATE_TENSOR,
        rules::TENSOR_BOUNDS,
        rules::DATA_LAYOUT,
    ];
    if let Some(p) = &meta.stopped {
        report::skipped(
            out,
            &blocked,
            &format!("the metadata could not be parsed past offset {}", p.offset),
        );
        return;
    }
    let table = tensors::read_all(&mut r, header.tensors);
    tensor_checks(&table, out);
    if let Some(p) = &table.stopped {
        report::skipped(
            out,
            &blocked[2..],
            &format!(
                "the tensor table could not be parsed past offset {}",
                p.offset
            ),
        );
        return;
    }
    let data_start = r.pos().div_ceil(alignment).saturating_mul(alignment);
    layout::check(&table.infos, data_start, size, alignment, out);
    model::from_tensors(&table.infos, data_start, size, out);
}

fn header<R: Read + Seek>(r: &mut Reader<R>, limits: &Limits) -> Result<Header, Problem> {
    let magic = r.array::<4>("magic")?;
    if &magic != MAGIC {
        return Err(Problem::new(
            0,
            format!("file starts with {magic:02x?}, not the GGUF magic"),
        ));
    }
    let raw = r.u32("version")?;
    let version = if (1..=3).contains(&raw) {
        raw
    } else if (1..=3).contains(&raw.swap_bytes()) {
        r.big_endian = true;
        raw.swap_bytes()
    } else {
        return Err(Problem::new(
            4,
            format!("unsupported GGUF version {raw} (1 to 3 are defined)"),
        ));
    };
    r.v1 = version == 1;
    let tensors = r.size_value("tensor count")?;
    let kvs = r.size_value("metadata entry count")?;
    let width = r.size_width();
    // The smallest possible entry: a 1-byte key and a 1-byte value; a 1-byte name,
    // one dimension, a type and an offset.
    let kv_min = width + 1 + 4 + 1;
    let tensor_min = width + 1 + 4 + width + 4 + 8;
    for (count, min, what, limit) in [
        (kvs, kv_min, "metadata entries", limits.max_kv),
        (tensors, tensor_min, "tensors", limits.max_tensors),
    ] {
        if count.checked_mul(min).is_none_or(|n| n > r.remaining()) {
            return Err(Problem::new(
                r.pos(),
                format!(
                    "header declares {count} {what}; the {}-byte file cannot hold them",
                    r.size()
                ),
            ));
        }
        if count > limit {
            return Err(Problem::new(
                r.pos(),
                format!("header declares {count} {what}, over the limit of {limit}"),
            ));
        }
    }
    Ok(Header {
        version,
        tensors,
        kvs,
    })
}

fn metadata_checks(meta: &Metadata, out: &mut ScanOutput) {
    let mut failures: Vec<Check> = meta
        .issues
        .iter()
        .map(|p| Check::failed(rules::METADATA, p.message.clone()).offset(p.offset))
        .collect();
    if let Some(p) = &meta.stopped {
        failures.push(Check::failed(rules::METADATA, p.message.clone()).offset(p.offset));
    }
    out.outcome(
        rules::METADATA,
        failures,
        format!("all {} metadata entries parse", meta.kvs.len()),
    );

    let mut seen: HashMap<&str, Vec<u64>> = HashMap::new();
    for kv in &meta.kvs {
        seen.entry(&kv.key).or_default().push(kv.offset);
    }
    let mut duplicates: Vec<_> = seen.into_iter().filter(|(_, at)| at.len() > 1).collect();
    duplicates.sort();
    let failures = duplicates
        .into_iter()
        .map(|(key, at)| {
            Check::failed(
                rules::DUPLICATE_KEY,
                format!("key {key:?} appears {} times", at.len()),
            )
            .offset(at[1])
            .locator(key)
            .evidence("offsets", format!("{at:?}"))
        })
        .collect();
    out.outcome(
        rules::DUPLICATE_KEY,
        failures,
        format!("{} metadata keys, all unique", meta.kvs.len()),
    );
}

/// `general.alignment` if valid, else the default (after recording why).
fn alignment(meta: &Metadata, out: &mut ScanOutput) -> u64 {
    let Some(kv) = meta.kvs.iter().find(|kv| kv.key == "general.alignment") else {
        out.push(Check::passed(
            rules::ALIGNMENT,
            format!("default alignment of {DEFAULT_ALIGNMENT} bytes"),
        ));
        out.meta("alignment", DEFAULT_ALIGNMENT);
        return DEFAULT_ALIGNMENT;
    };
    let problem = match &kv.value {
        Value::Uint(n) if kv.ty != 4 => Some(format!(
            "general.alignment is a {} ({n}), not a uint32",
            kv::type_name(kv.ty)
        )),
        Value::Uint(n) if n.is_power_of_two() => None,
        Value::Uint(n) => Some(format!("general.alignment {n} is not a power of two")),
        _ => Some(format!(
            "general.alignment is a {}, not a uint32",
            kv::type_name(kv.ty)
        )),
    };
    let check = match problem {
        Some(message) => {
            out.push(
                Check::failed(
                    rules::ALIGNMENT,
                    format!("{message}; using {DEFAULT_ALIGNMENT}"),
                )
                .offset(kv.offset)
                .locator("general.alignment"),
            );
            DEFAULT_ALIGNMENT
        }
        None => {
            let n = kv.value.as_u64().expect("checked above");
            out.push(
                Check::passed(rules::ALIGNMENT, format!("alignment of {n} bytes"))
                    .offset(kv.offset),
            );
            n
        }
    };
    out.meta("alignment", check);
    check
}

fn tensor_checks(table: &tensors::Tensors, out: &mut ScanOutput) {
    let mut failures: Vec<Check> = table
        .issues
        .iter()
        .map(|i| {
            Check::failed(
                rules::TENSOR_INFO,
                format!("tensor {:?}: {}", i.tensor, i.message),
            )
            .offset(i.at)
            .locator(i.tensor.as_str())
        })
        .collect();
    if let Some(p) = &table.stopped {
        failures.push(Check::failed(rules::TENSOR_INFO, p.message.clone()).offset(p.offset));
    }
    out.outcome(
        rules::TENSOR_INFO,
        failures,
        format!("all {} tensor infos are well formed", table.infos.len()),
    );

    let mut seen: HashMap<&str, Vec<&TensorInfo>> = HashMap::new();
    for t in &table.infos {
        seen.entry(&t.name).or_default().push(t);
    }
    let mut duplicates: Vec<_> = seen.into_iter().filter(|(_, ts)| ts.len() > 1).collect();
    duplicates.sort_by_key(|(name, _)| *name);
    let failures = duplicates
        .into_iter()
        .map(|(name, ts)| {
            Check::failed(
                rules::DUPLICATE_TENSOR,
                format!("tensor {name:?} appears {} times", ts.len()),
            )
            .offset(ts[1].at)
            .locator(name)
        })
        .collect();
    out.outcome(
        rules::DUPLICATE_TENSOR,
        failures,
        format!("{} tensor names, all unique", table.infos.len()),
    );
}

/// Text-audit levels on the SDK's scale.
pub fn text_severity(level: cordon_text_audit::Level) -> Severity {
    match level {
        cordon_text_audit::Level::Info => Severity::Info,
        cordon_text_audit::Level::Low => Severity::Low,
        cordon_text_audit::Level::Medium => Severity::Medium,
    }
}
