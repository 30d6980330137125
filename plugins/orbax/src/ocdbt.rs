//! TensorStore OCDBT manifest (`manifest.ocdbt`): header, length, version,
//! CRC-32C, and for uncompressed manifests the configuration and the data file
//! table, whose paths must stay inside the database directory.

use cordon_plugin_sdk::{Check, ScanOutput};

use crate::rules;
use crate::values;
use cordon_plugin_sdk::Findings;

pub const MAGIC: u32 = 0x0cdb_3a2a;
/// The spec's bound on a data file path.
const MAX_PATH: usize = 65535;
/// Bytes of reconstructed paths kept at most: prefix sharing lets a small table
/// describe far more.
const MAX_PATH_BYTES: usize = 16 << 20;

pub fn check(bytes: &[u8], f: &mut Findings, out: &mut ScanOutput) {
    out.meta("orbax-file", "ocdbt-manifest");
    match parse(bytes, f, out) {
        Ok(summary) => out.push(Check::passed(rules::OCDBT_MANIFEST, summary)),
        Err(e) => out.push(Check::failed(rules::OCDBT_MANIFEST, e)),
    }
    f.finish(
        out,
        rules::PATH_ESCAPE,
        "data file paths stay inside the database",
    );
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("truncated {what} at offset {}", self.pos))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn varint(&mut self, what: &str) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1, what)?[0];
            value |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!("{what}: varint longer than 10 bytes"))
    }
}

fn parse(bytes: &[u8], f: &mut Findings, out: &mut ScanOutput) -> Result<String, String> {
    let mut c = Cursor { bytes, pos: 0 };
    let magic = u32::from_be_bytes(c.take(4, "magic")?.try_into().expect("4 bytes"));
    if magic != MAGIC {
        return Err(format!("magic is 0x{magic:08x}, not 0x{MAGIC:08x}"));
    }
    let length = u64::from_le_bytes(c.take(8, "length")?.try_into().expect("8 bytes"));
    if length != bytes.len() as u64 {
        return Err(format!(
            "header declares {length} bytes but the file has {}",
            bytes.len()
        ));
    }
    let version = c.varint("version")?;
    if version != 0 {
        return Err(format!("version {version} is not 0"));
    }
    let compression = c.varint("compression format")?;
    if bytes.len() < c.pos + 4 {
        return Err("no room for the CRC-32C footer".into());
    }
    let body_end = bytes.len() - 4;
    let stored = u32::from_le_bytes(bytes[body_end..].try_into().expect("4 bytes"));
    let computed = crc32c(&bytes[..body_end]);
    if stored != computed {
        return Err(format!(
            "CRC-32C is 0x{stored:08x} but the content hashes to 0x{computed:08x}"
        ));
    }
    match compression {
        0 => {}
        1 => {
            out.push(Check::skipped(
                rules::OCDBT_MANIFEST,
                "body is zstd-compressed: configuration and data file table not inspected",
            ));
            return Ok("magic, length, version and CRC-32C are valid".into());
        }
        n => return Err(format!("unknown compression format {n}")),
    }
    let mut body = Cursor {
        bytes: &bytes[..body_end],
        pos: c.pos,
    };
    body.take(16, "uuid")?;
    let kind = body.varint("manifest kind")?;
    body.varint("max_inline_value_bytes")?;
    body.varint("max_decoded_node_bytes")?;
    body.take(1, "version_tree_arity_log2")?;
    match body.varint("compression method")? {
        0 => {}
        1 => {
            body.take(4, "zstd level")?;
        }
        n => return Err(format!("unknown node compression method {n}")),
    }
    match kind {
        0 => {
            let files = data_files(&mut body)?;
            out.meta("ocdbt-data-files", files.len());
            for path in &files {
                if let Some((severity, why)) = values::path_escape(path) {
                    let check =
                        Check::failed(rules::PATH_ESCAPE, format!("data file path {why}: {path}"))
                            .severity(severity)
                            .evidence("path", path);
                    f.fail(out, rules::PATH_ESCAPE, check);
                }
            }
            Ok(format!(
                "header, CRC-32C, configuration and {} data file paths are valid (version tree entries not parsed)",
                files.len()
            ))
        }
        1 => Ok(
            "header, CRC-32C and configuration are valid (numbered manifest: no version tree here)"
                .into(),
        ),
        n => Err(format!("unknown manifest kind {n}")),
    }
}

/// The prefix-compressed data file table: full paths.
fn data_files(c: &mut Cursor) -> Result<Vec<String>, String> {
    let n = c.varint("data file count")?;
    // Each file needs at least two length bytes, so the count is bounded by the input.
    if n.saturating_mul(2) > (c.bytes.len() - c.pos) as u64 {
        return Err(format!(
            "data file table claims {n} files, more than the manifest can hold"
        ));
    }
    let n = n as usize;
    let prefixes = (0..n.saturating_sub(1))
        .map(|_| c.varint("path prefix length"))
        .collect::<Result<Vec<_>, _>>()?;
    let suffixes = (0..n)
        .map(|_| c.varint("path suffix length"))
        .collect::<Result<Vec<_>, _>>()?;
    (0..n).try_for_each(|_| c.varint("base path length").map(drop))?;
    let mut paths: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut total = 0usize;
    for i in 0..n {
        let prefix = if i == 0 { 0 } else { prefixes[i - 1] as usize };
        let mut path = match paths.last() {
            Some(prev) if prefix <= prev.len() => prev[..prefix].to_vec(),
            None => Vec::new(),
            Some(prev) => {
                return Err(format!(
                    "path {i} shares {prefix} bytes with a {}-byte path",
                    prev.len()
                ));
            }
        };
        let suffix =
            usize::try_from(suffixes[i]).map_err(|_| "path suffix too long".to_string())?;
        path.extend_from_slice(c.take(suffix, "path suffix")?);
        if path.len() > MAX_PATH {
            return Err(format!("path {i} is longer than {MAX_PATH} bytes"));
        }
        total += path.len();
        if total > MAX_PATH_BYTES {
            return Err(format!(
                "data file paths add up to more than {MAX_PATH_BYTES} bytes"
            ));
        }
        paths.push(path);
    }
    Ok(paths
        .into_iter()
        .map(|p| String::from_utf8_lossy(&p).into_owned())
        .collect())
}

/// CRC-32C (Castagnoli), bitwise: manifests are small.
pub fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
