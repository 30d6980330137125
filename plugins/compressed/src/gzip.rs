//! gzip member headers and trailers (RFC 1952).

use std::io::{self, BufRead, Read};

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED: u8 = 0xe0;
/// Longest original-name or comment field read.
const MAX_FIELD: u64 = 64 * 1024;

#[derive(Debug, Default)]
pub struct Header {
    /// The original file name, if stored.
    pub name: Option<String>,
}

/// Read a member header; a malformed one is an `InvalidData` error.
pub fn read_header<R: BufRead>(r: &mut R) -> io::Result<Header> {
    let mut fixed = [0u8; 10];
    r.read_exact(&mut fixed)?;
    if fixed[..3] != [0x1f, 0x8b, 0x08] {
        return Err(invalid("not a gzip member header"));
    }
    let flags = fixed[3];
    if flags & RESERVED != 0 {
        return Err(invalid(&format!(
            "gzip header sets reserved flag bits 0x{:02x}",
            flags & RESERVED
        )));
    }
    if flags & FEXTRA != 0 {
        let mut len = [0u8; 2];
        r.read_exact(&mut len)?;
        let len = u16::from_le_bytes(len) as u64;
        let skipped = io::copy(&mut (&mut *r).take(len), &mut io::sink())?;
        if skipped < len {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    let mut header = Header::default();
    if flags & FNAME != 0 {
        let name = zero_terminated(r, "original name")?;
        header.name = Some(String::from_utf8_lossy(&name).into_owned());
    }
    if flags & FCOMMENT != 0 {
        zero_terminated(r, "comment")?;
    }
    if flags & FHCRC != 0 {
        r.read_exact(&mut [0u8; 2])?;
    }
    Ok(header)
}

/// Check the 8-byte trailer against what was decoded; the problem, if any.
pub fn check_trailer<R: Read>(r: &mut R, crc: u32, len: u64) -> io::Result<Option<String>> {
    let mut trailer = [0u8; 8];
    r.read_exact(&mut trailer)?;
    let stored_crc = u32::from_le_bytes(trailer[..4].try_into().expect("4 bytes"));
    let stored_len = u32::from_le_bytes(trailer[4..].try_into().expect("4 bytes"));
    Ok(if stored_crc != crc {
        Some(format!(
            "gzip CRC-32 is 0x{crc:08x} but the trailer records 0x{stored_crc:08x}"
        ))
    } else if stored_len != len as u32 {
        Some(format!(
            "gzip member decompresses to {len} bytes but its trailer records {stored_len} (mod 2^32)"
        ))
    } else {
        None
    })
}

fn zero_terminated<R: BufRead>(r: &mut R, what: &str) -> io::Result<Vec<u8>> {
    let mut field = Vec::new();
    (&mut *r).take(MAX_FIELD + 1).read_until(0, &mut field)?;
    match field.pop() {
        Some(0) => Ok(field),
        _ if field.len() as u64 >= MAX_FIELD => Err(invalid(&format!(
            "gzip {what} field is longer than {MAX_FIELD} bytes"
        ))),
        _ => Err(io::ErrorKind::UnexpectedEof.into()),
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_fields_are_skipped_and_the_name_kept() {
        let mut bytes = vec![
            0x1f,
            0x8b,
            8,
            FEXTRA | FNAME | FCOMMENT | FHCRC,
            0,
            0,
            0,
            0,
            0,
            3,
        ];
        bytes.extend_from_slice(&[3, 0, 1, 2, 3]);
        bytes.extend_from_slice(b"model.pkl\0a comment\0");
        bytes.extend_from_slice(&[0xaa, 0xbb, 0x42]);
        let mut r = bytes.as_slice();
        let header = read_header(&mut r).unwrap();
        assert_eq!(header.name.as_deref(), Some("model.pkl"));
        assert_eq!(r, &[0x42]);
    }

    #[test]
    fn hostile_headers_are_errors() {
        let reserved = [0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3];
        assert!(read_header(&mut &reserved[..]).is_err());
        let mut endless = vec![0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 3];
        endless.resize(endless.len() + 70_000, b'a');
        let err = read_header(&mut endless.as_slice()).unwrap_err();
        assert!(err.to_string().contains("longer than"), "{err}");
        let truncated = [0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 3, b'a'];
        assert_eq!(
            read_header(&mut &truncated[..]).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }
}
