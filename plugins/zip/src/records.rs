//! The zip format's fixed-layout records (PKWARE APPNOTE 6.3.10, section 4.3)
//! and the helpers to read them from a `Read + Seek` input.

use std::io::{self, Read, Seek, SeekFrom};

pub const LOCAL_HEADER: &[u8; 4] = b"PK\x03\x04";
pub const CENTRAL_HEADER: &[u8; 4] = b"PK\x01\x02";
pub const END_RECORD: &[u8; 4] = b"PK\x05\x06";
pub const ZIP64_END_RECORD: &[u8; 4] = b"PK\x06\x06";
pub const ZIP64_LOCATOR: &[u8; 4] = b"PK\x06\x07";
pub const DATA_DESCRIPTOR: &[u8; 4] = b"PK\x07\x08";

pub const LOCAL_LEN: u64 = 30;
pub const CENTRAL_LEN: u64 = 46;
pub const END_LEN: u64 = 22;
pub const ZIP64_LOCATOR_LEN: u64 = 20;
pub const ZIP64_END_LEN: u64 = 56;

/// Extra field holding 64-bit sizes and offsets.
pub const ZIP64_EXTRA: u16 = 0x0001;
/// Values saturated to these mean "see the zip64 extra field".
pub const U32_SATURATED: u32 = u32::MAX;
pub const U16_SATURATED: u16 = u16::MAX;

/// Little-endian fields read in order from a buffer known to be long enough.
pub struct Fields<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes, pos: 0 }
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let out = self.bytes[self.pos..self.pos + N]
            .try_into()
            .expect("buffer holds the record");
        self.pos += N;
        out
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes())
    }

    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }
}

/// `(id, data)` pairs of an extra field block, stopping at the first malformed one.
pub fn extra_fields(extra: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = extra;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let id = u16::from_le_bytes([rest[0], rest[1]]);
        let len = u16::from_le_bytes([rest[2], rest[3]]) as usize;
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((id, data))
    })
}

/// Exactly `len` bytes at `offset`; a short read is `UnexpectedEof`.
pub fn read_at<R: Read + Seek>(r: &mut R, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0; len];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

/// Human name of a compression method id (APPNOTE 4.4.5).
pub fn method_name(method: u16) -> &'static str {
    match method {
        0 => "stored",
        1 => "shrunk",
        2..=5 => "reduced",
        6 => "imploded",
        8 => "deflate",
        9 => "deflate64",
        10 => "PKWARE DCL implode",
        12 => "bzip2",
        14 => "lzma",
        18 => "IBM TERSE",
        19 => "IBM LZ77",
        20 | 93 => "zstd",
        94 => "mp3",
        95 => "xz",
        96 => "jpeg",
        97 => "wavpack",
        98 => "ppmd",
        99 => "AES-encrypted",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_fields_stop_at_a_truncated_field() {
        let extra = [1, 0, 2, 0, 0xaa, 0xbb, 7, 0, 9, 0, 1];
        let fields: Vec<_> = extra_fields(&extra).collect();
        assert_eq!(fields, vec![(1, &[0xaa, 0xbb][..])]);
    }
}
