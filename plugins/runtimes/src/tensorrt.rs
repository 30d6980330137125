//! TensorRT serialized engines (`.engine`, `.plan`, `.trt`): no published format,
//! so the engine itself is recorded as not inspectable, and its first MiBs are
//! searched for native libraries it names or embeds.

use cordon_plugin_sdk::{Check, ScanOutput, Severity};

use crate::rules;
use cordon_plugin_sdk::Capped;

/// Bytes searched for library names and embedded executables.
pub const SCAN_BYTES: usize = 4 << 20;
const MIN_RUN: usize = 6;
const MAX_NAME: usize = 256;

pub fn analyze(head: &[u8], size: u64, out: &mut ScanOutput) {
    out.meta("format", "tensorrt-engine");
    out.meta("engine-bytes", size);
    out.push(Check::skipped(
        rules::TENSORRT_OPAQUE,
        "cannot inspect: compiled GPU code and plugin libraries (TensorRT engines have no published format)",
    ));
    let names = library_names(head);
    if !names.is_empty() {
        out.meta(
            "plugin-libraries",
            names
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    let scanned = head.len();
    let mut capped = Capped::new(rules::TENSORRT_LIBRARY, out);
    for offset in embedded_images(head) {
        capped.push(
            Check::failed(
                rules::TENSORRT_LIBRARY,
                "native executable image embedded in the engine",
            )
            .severity(Severity::High)
            .offset(offset as u64),
        );
    }
    for (offset, name) in names {
        capped.push(
            Check::failed(
                rules::TENSORRT_LIBRARY,
                format!("engine names native library `{name}`"),
            )
            .offset(offset as u64)
            .evidence("library", name),
        );
    }
    capped.finish(format!(
        "no library name or executable image in the first {scanned} bytes"
    ));
}

/// Offsets (after the start) of ELF headers and PE `MZ..PE\0\0` images.
fn embedded_images(data: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    for i in 1..data.len().saturating_sub(4) {
        if data[i..].starts_with(b"\x7fELF") && matches!(data.get(i + 4), Some(1 | 2)) {
            found.push(i);
        } else if data[i..].starts_with(b"MZ") {
            let pe = data
                .get(i + 0x3c..i + 0x40)
                .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize);
            if pe.and_then(|p| data.get(i.checked_add(p)?..i + p + 4)) == Some(b"PE\0\0") {
                found.push(i);
            }
        }
    }
    found
}

/// Printable strings that name a shared library (`lib*.so*`, `*.dll`, `*.dylib`).
fn library_names(data: &[u8]) -> Vec<(usize, String)> {
    let mut names = Vec::new();
    let mut start = 0;
    for (i, &b) in data.iter().chain(std::iter::once(&0)).enumerate() {
        if b.is_ascii_graphic() {
            continue;
        }
        let run = &data[start..i];
        if (MIN_RUN..=MAX_NAME).contains(&run.len()) {
            let text = String::from_utf8_lossy(run);
            let lower = text.to_ascii_lowercase();
            let base = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
            if (base.starts_with("lib") && (base.ends_with(".so") || base.contains(".so.")))
                || base.ends_with(".dll")
                || base.ends_with(".dylib")
            {
                names.push((start, text.into_owned()));
            }
        }
        start = i + 1;
    }
    names
}
