//! Cordon plugin for safetensors files: validates the JSON header and the layout
//! of the tensor data it describes, searches the `__metadata__` strings for code,
//! commands, credentials and URLs, and reports what the model is. Reads only the
//! header: a 20 GB file costs its header's bytes.

mod header;
mod hints;
mod layout;
mod metadata;
mod rules;

use cordon_plugin_sdk::{
    Check, FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

/// Headers above this size are refused before being read (the format's own loader uses 100 MB).
pub const MAX_HEADER_BYTES: u64 = 100_000_000;

struct Safetensors;

impl Plugin for Safetensors {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "safetensors".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "safetensors header, tensor table, data layout and metadata strings"
                .into(),
            formats: vec![FormatClaim::new("safetensors", &["safetensors"]).sniff()],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let size = input.size();
        let prefix = input.read_at(0, 9)?;
        if !looks_like_safetensors(&prefix) {
            return Err(ScanError::Unsupported(
                "no 8-byte header length followed by '{'".into(),
            ));
        }
        let mut out = ScanOutput::default();
        out.meta("format", "safetensors");
        let Some(header_len) = header_length(&prefix, size, &mut out) else {
            return Ok(out);
        };
        let bytes = input.read_exact_at(8, header_len as usize, "safetensors header")?;
        analyze_header(&bytes, size, &mut out);
        Ok(out)
    }
}

register_plugin!(Safetensors);

/// Eight bytes of little-endian length, then a JSON object.
fn looks_like_safetensors(prefix: &[u8]) -> bool {
    prefix.len() == 9 && prefix[8] == b'{'
}

/// Validate the length prefix; `None` when the header cannot be read.
fn header_length(prefix: &[u8], size: u64, out: &mut ScanOutput) -> Option<u64> {
    let len = u64::from_le_bytes(prefix[..8].try_into().expect("8 bytes"));
    let problem = if len > MAX_HEADER_BYTES {
        Some(format!(
            "header length {len} exceeds the {MAX_HEADER_BYTES}-byte limit"
        ))
    } else if len > size - 8 {
        Some(format!(
            "header length {len} runs past the end of the {size}-byte file"
        ))
    } else {
        None
    };
    let check = match problem {
        Some(message) => Check::failed(rules::HEADER_LENGTH, message),
        None => Check::passed(rules::HEADER_LENGTH, format!("header is {len} bytes")),
    };
    out.push(check.offset(0).evidence("header_length", len));
    (len <= MAX_HEADER_BYTES && len <= size - 8).then_some(len)
}

/// Everything after the length prefix: JSON, tensor table, data layout.
pub fn analyze_header(bytes: &[u8], file_size: u64, out: &mut ScanOutput) {
    let header = match header::parse(bytes) {
        Ok(header) => {
            out.push(
                Check::passed(rules::HEADER_JSON, "header is a valid UTF-8 JSON object").offset(8),
            );
            header
        }
        Err(e) => {
            out.push(
                Check::failed(
                    rules::HEADER_JSON,
                    format!("header is not a valid JSON object: {e}"),
                )
                .offset(8),
            );
            return;
        }
    };
    header::check_duplicates(&header, out);
    metadata::check(&header, out);
    let tensors = header::tensors(&header, out);
    if let Some(family) = hints::architecture(tensors.iter().map(|t| t.name.as_str())) {
        out.meta("architecture-hint", family);
    }
    let data_len = file_size - 8 - bytes.len() as u64;
    layout::check(&tensors, data_len, 8 + bytes.len() as u64, out);
}

#[cfg(test)]
mod tests;
