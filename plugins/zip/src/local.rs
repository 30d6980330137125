//! Local file headers: where each member's data really starts (after the local
//! name and extra field, as miniz computes it) and where its bytes end.

use std::io::{self, Read, Seek};

use crate::directory::{Entry, Failure};
use crate::records::*;

/// Flag bit: sizes and CRC follow the data in a data descriptor.
pub const FLAG_DESCRIPTOR: u16 = 0x0008;

#[derive(Debug)]
pub struct Local {
    pub name: Vec<u8>,
    pub flags: u16,
    pub method: u16,
    pub data_start: u64,
    /// End of the member's bytes: its data and data descriptor.
    pub span_end: u64,
}

pub fn read<R: Read + Seek>(r: &mut R, entry: &Entry, size: u64) -> Result<Local, Failure> {
    let at = entry.local_offset;
    let broken = |message: String| Failure::Broken {
        message,
        offset: Some(at),
    };
    if at.saturating_add(LOCAL_LEN) > size {
        return Err(broken(format!(
            "local header offset {at} is past the end of the {size}-byte file"
        )));
    }
    let fixed = read_at(r, at, LOCAL_LEN as usize)?;
    let mut f = Fields::new(&fixed);
    if &f.bytes::<4>() != LOCAL_HEADER {
        return Err(broken(format!("no local header signature at offset {at}")));
    }
    f.u16();
    let flags = f.u16();
    let method = f.u16();
    f.u32();
    f.u32();
    let compressed32 = f.u32();
    let uncompressed32 = f.u32();
    let name_len = f.u16() as usize;
    let extra_len = f.u16() as usize;
    let variable =
        read_at(r, at + LOCAL_LEN, name_len + extra_len).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => broken(format!("local header at {at} is truncated")),
            _ => Failure::Io(e),
        })?;
    let (name, extra) = variable.split_at(name_len);
    let data_start = at + LOCAL_LEN + variable.len() as u64;
    let data_end = data_start.saturating_add(entry.compressed);
    if data_end > size {
        return Err(broken(format!(
            "member data ({} bytes from offset {data_start}) runs past the end of the {size}-byte file",
            entry.compressed
        )));
    }
    let mut span_end = data_end;
    if flags & FLAG_DESCRIPTOR != 0 {
        let zip64 = extra_fields(extra).any(|(id, _)| id == ZIP64_EXTRA)
            || compressed32 == U32_SATURATED
            || uncompressed32 == U32_SATURATED
            || entry.compressed >= U32_SATURATED as u64
            || entry.uncompressed >= U32_SATURATED as u64;
        let fields_len = if zip64 { 20 } else { 12 };
        let signed = data_end + 4 <= size && read_at(r, data_end, 4)? == DATA_DESCRIPTOR;
        span_end = (data_end + fields_len + if signed { 4 } else { 0 }).min(size);
    }
    Ok(Local {
        name: name.to_vec(),
        flags,
        method,
        data_start,
        span_end,
    })
}
