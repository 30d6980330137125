//! ExecuTorch programs (`.pte`): a FlatBuffers `Program` (schema/program.fbs) with
//! file identifier `ETxx` at offset 4, optionally followed at offset 8 by the
//! extended header `eh00` (u32 length, u64 program_size, u64 segment_base_offset;
//! runtime/executor/program.cpp, extended_header.h). The root table's first field
//! is `version: uint`; execution plans and delegates are not decoded.

use cordon_plugin_sdk::{Check, ScanOutput};

use crate::rules;
use cordon_plugin_sdk::Capped;

pub const HEAD_BYTES: usize = 64 << 10;

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        data.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        data.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// `ET` and two ASCII digits at offset 4.
pub fn identifier(head: &[u8]) -> Option<&str> {
    let id = head.get(4..8)?;
    (id.starts_with(b"ET") && id[2..].iter().all(u8::is_ascii_digit))
        .then(|| std::str::from_utf8(id).expect("ascii"))
}

/// Checks the header in `head` (the file's first bytes) of a `size`-byte program.
pub fn analyze(head: &[u8], size: u64, out: &mut ScanOutput) {
    out.meta("format", "executorch");
    let id = identifier(head).unwrap_or("");
    out.meta("file-identifier", id);
    let mut capped = Capped::new(rules::EXECUTORCH_STRUCTURE, out);
    let root = u32_at(head, 0).unwrap_or(0);
    if u64::from(root) + 4 > size || root < 8 {
        capped.push(
            Check::failed(
                rules::EXECUTORCH_STRUCTURE,
                format!("root table offset {root} is outside the {size}-byte file"),
            )
            .offset(0),
        );
    } else if let Some(version) = program_version(head, root as usize) {
        capped.out().meta("version", version);
    }
    if head.get(8..12) == Some(b"eh00") {
        let program = u64_at(head, 16).unwrap_or(u64::MAX);
        let segments = u64_at(head, 24).unwrap_or(u64::MAX);
        capped.out().meta("program-bytes", program);
        if program > size {
            capped.push(
                Check::failed(
                    rules::EXECUTORCH_STRUCTURE,
                    format!("extended header program_size {program} exceeds the {size}-byte file"),
                )
                .offset(16),
            );
        }
        if segments > size {
            capped.push(
                Check::failed(
                    rules::EXECUTORCH_STRUCTURE,
                    format!(
                        "segment_base_offset {segments} is past the end of the {size}-byte file"
                    ),
                )
                .offset(24),
            );
        }
    }
    capped.finish(format!(
        "identifier {id}, root table and extended header within the file"
    ));
    out.push(Check::skipped(
        rules::EXECUTORCH_DELEGATES,
        "cannot inspect: execution plans and backend delegate payloads are not decoded",
    ));
}

/// `Program.version` (field 0, a uint32 scalar); `None` when it lies beyond `head`.
fn program_version(head: &[u8], table: usize) -> Option<u32> {
    let soffset = i64::from(u32_at(head, table)? as i32);
    let vtable = usize::try_from(table as i64 - soffset).ok()?;
    let vtable_len = u16::from_le_bytes(head.get(vtable..vtable + 2)?.try_into().ok()?);
    if vtable_len < 6 {
        return Some(0);
    }
    let field = u16::from_le_bytes(head.get(vtable + 4..vtable + 6)?.try_into().ok()?) as usize;
    if field == 0 {
        return Some(0);
    }
    u32_at(head, table.checked_add(field)?)
}
