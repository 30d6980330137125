//! CatBoost binary models (`.cbm`): `CBM1`, a little-endian `u32` core size, then a
//! FlatBuffers `TModelCore` (catboost/libs/model/flatbuffers/model.fbs). Cordon
//! checks the framing and reads the core's first field, `FormatVersion`; the
//! trees and the `InfoMap` of training parameters are not decoded.

use cordon_plugin_sdk::{Check, ScanOutput};

use crate::{rules, strings};

pub const MAGIC: &[u8] = b"CBM1";
/// Bytes of the core read to find its format version.
pub const MAX_CORE_READ: usize = 16 << 20;

/// Checks `head` (the header and the core, or its first [`MAX_CORE_READ`] bytes)
/// of a `size`-byte file.
pub fn analyze(head: &[u8], size: u64, out: &mut ScanOutput) {
    out.meta("library", "catboost");
    out.meta("format", "catboost-cbm");
    let Some(core_size) = head
        .get(4..8)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    else {
        out.push(Check::failed(rules::STRUCTURE, "truncated header: no core size").offset(4));
        return;
    };
    out.meta("core-bytes", core_size);
    let available = size.saturating_sub(8);
    if u64::from(core_size) > available || core_size < 8 {
        out.push(
            Check::failed(
                rules::STRUCTURE,
                format!(
                    "core size {core_size} does not fit the {available} bytes after the header"
                ),
            )
            .offset(4),
        );
    } else {
        match format_version(&head[8..]) {
            Some(version) => {
                out.meta("version", strings::excerpt(&version));
                out.push(Check::passed(
                    rules::STRUCTURE,
                    format!(
                        "{core_size}-byte core within the file, format `{}`",
                        strings::excerpt(&version)
                    ),
                ));
            }
            None if head.len() - 8 < core_size as usize => out.push(Check::passed(
                rules::STRUCTURE,
                format!(
                    "{core_size}-byte core within the file (too large to locate its format version)"
                ),
            )),
            None => out.push(
                Check::failed(
                    rules::STRUCTURE,
                    "the core's FlatBuffers root table is out of bounds",
                )
                .offset(8),
            ),
        }
    }
    out.push(Check::skipped(
        rules::OPAQUE,
        "cannot inspect the model core: trees, features and training parameters (InfoMap) are not decoded",
    ));
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        data.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// `TModelCore.FormatVersion` (field 0, a string) from a FlatBuffers buffer,
/// every offset checked; `Some("")` when the field is absent.
fn format_version(core: &[u8]) -> Option<String> {
    let table = u32_at(core, 0)? as usize;
    let soffset = i64::from(u32_at(core, table)? as i32);
    let vtable = usize::try_from(table as i64 - soffset).ok()?;
    let vtable_len = u16::from_le_bytes(core.get(vtable..vtable + 2)?.try_into().ok()?);
    if vtable_len < 6 {
        return Some(String::new());
    }
    let field = u16::from_le_bytes(core.get(vtable + 4..vtable + 6)?.try_into().ok()?) as usize;
    if field == 0 {
        return Some(String::new());
    }
    let at = table.checked_add(field)?;
    let string = at.checked_add(u32_at(core, at)? as usize)?;
    let len = u32_at(core, string)? as usize;
    let bytes = core.get(string + 4..(string + 4).checked_add(len)?)?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}
