//! Parsing the JSON header into its entries, keeping duplicates so they can be reported.

use std::collections::HashMap;
use std::fmt;

use cordon_plugin_sdk::{Check, ScanOutput};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::rules;

/// Cap on per-tensor failure records; the rest are counted in a summary check.
const MAX_REPORTED: usize = 50;

/// Top-level header entries in file order, duplicates included.
pub struct Header(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Header;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Header(entries))
            }
        }
        d.deserialize_map(Entries)
    }
}

impl Header {
    /// The `__metadata__` entry, if any (the first, when duplicated).
    pub fn metadata(&self) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k == "__metadata__")
            .map(|(_, v)| v)
    }
}

pub fn parse(bytes: &[u8]) -> Result<Header, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    // Writers pad the header with trailing spaces to align the data.
    serde_json::from_str(text.trim_end_matches(' ')).map_err(|e| e.to_string())
}

pub fn check_duplicates(header: &Header, out: &mut ScanOutput) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (name, _) in &header.0 {
        *seen.entry(name).or_default() += 1;
    }
    let mut duplicates: Vec<_> = seen.into_iter().filter(|(_, n)| *n > 1).collect();
    duplicates.sort();
    if duplicates.is_empty() {
        out.push(Check::passed(
            rules::DUPLICATE_TENSOR,
            format!("{} header entries, all names unique", header.0.len()),
        ));
    }
    for (name, count) in duplicates {
        out.push(
            Check::failed(
                rules::DUPLICATE_TENSOR,
                format!("entry {name:?} appears {count} times"),
            )
            .locator(name)
            .evidence("occurrences", count),
        );
    }
}

/// A tensor entry that passed the entry and size checks.
pub struct Tensor {
    pub name: String,
    pub begin: u64,
    pub end: u64,
}

/// Validate every tensor entry and return the well-formed ones.
pub fn tensors(header: &Header, out: &mut ScanOutput) -> Vec<Tensor> {
    let mut valid = Vec::new();
    let mut entry_failures = Vec::new();
    let mut size_failures = Vec::new();
    let mut parameters: u128 = 0;
    let mut dtypes: Vec<&str> = Vec::new();
    for (name, value) in header.0.iter().filter(|(k, _)| k != "__metadata__") {
        match entry(value) {
            Err(problem) => entry_failures.push((name, problem)),
            Ok(e) => {
                let count: Option<u64> =
                    e.shape.iter().try_fold(1u64, |acc, d| acc.checked_mul(*d));
                let expected = count
                    .and_then(|c| c.checked_mul(e.bits))
                    .map(|bits| (bits, bits.div_ceil(8)));
                match expected {
                    Some((bits, bytes)) if bits % 8 == 0 && bytes == e.end - e.begin => {
                        parameters += u128::from(count.unwrap_or(0));
                        if !dtypes.contains(&e.dtype) {
                            dtypes.push(e.dtype);
                        }
                        valid.push(Tensor {
                            name: name.clone(),
                            begin: e.begin,
                            end: e.end,
                        });
                    }
                    _ => size_failures.push((
                        name,
                        format!(
                            "{} {:?} needs {} bytes but data_offsets span {}",
                            e.dtype,
                            e.shape,
                            expected.map_or("more than 2^64".to_string(), |(_, b)| b.to_string()),
                            e.end - e.begin
                        ),
                    )),
                }
            }
        }
    }
    report(
        out,
        rules::TENSOR_ENTRY,
        &entry_failures,
        "tensor entries have a known dtype, a shape and ordered data_offsets",
    );
    report(
        out,
        rules::TENSOR_SIZE,
        &size_failures,
        "tensor byte lengths match shape x dtype",
    );
    out.meta("tensor-count", valid.len());
    out.meta("parameter-count", parameters);
    out.meta("dtypes", dtypes.join(","));
    valid
}

fn report(out: &mut ScanOutput, rule: &str, failures: &[(&String, String)], passed: &str) {
    if failures.is_empty() {
        out.push(Check::passed(rule, format!("all {passed}")));
        return;
    }
    for (name, problem) in failures.iter().take(MAX_REPORTED) {
        out.push(Check::failed(rule, format!("tensor {name:?}: {problem}")).locator(name.as_str()));
    }
    if failures.len() > MAX_REPORTED {
        out.push(
            Check::failed(
                rule,
                format!(
                    "{} more tensors fail this check",
                    failures.len() - MAX_REPORTED
                ),
            )
            .evidence("total", failures.len()),
        );
    }
}

struct Entry<'a> {
    dtype: &'a str,
    bits: u64,
    shape: Vec<u64>,
    begin: u64,
    end: u64,
}

fn entry(value: &Value) -> Result<Entry<'_>, String> {
    let obj = value.as_object().ok_or("entry is not an object")?;
    let dtype = obj
        .get("dtype")
        .and_then(Value::as_str)
        .ok_or("missing string dtype")?;
    let bits = dtype_bits(dtype).ok_or_else(|| format!("unknown dtype {dtype:?}"))?;
    let shape = obj
        .get("shape")
        .and_then(Value::as_array)
        .ok_or("missing shape array")?
        .iter()
        .map(|d| {
            d.as_u64()
                .ok_or("shape has a non-integer or negative dimension")
        })
        .collect::<Result<Vec<_>, _>>()?;
    let offsets = obj
        .get("data_offsets")
        .and_then(Value::as_array)
        .ok_or("missing data_offsets array")?;
    let [begin, end] = offsets.as_slice() else {
        return Err(format!(
            "data_offsets has {} values, expected 2",
            offsets.len()
        ));
    };
    let (begin, end) = begin
        .as_u64()
        .zip(end.as_u64())
        .ok_or("data_offsets are not non-negative integers")?;
    if begin > end {
        return Err(format!("data_offsets [{begin}, {end}] are reversed"));
    }
    Ok(Entry {
        dtype,
        bits,
        shape,
        begin,
        end,
    })
}

/// Size in bits of each dtype the format defines.
fn dtype_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 8,
        "U16" | "I16" | "F16" | "BF16" => 16,
        "U32" | "I32" | "F32" => 32,
        "U64" | "I64" | "F64" | "C64" => 64,
        _ => return None,
    })
}
