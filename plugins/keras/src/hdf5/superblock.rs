//! The superblock: where the file starts, its address sizes and its root group.

use super::{Cursor, Error, Result, Sizes};
use crate::source::Source;
use cordon_plugin_sdk::ScanError;

pub const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// The superblock is searched at 0, 512, 1024, 2048... (after a user block).
const FIRST_USER_BLOCK: u64 = 512;

#[derive(Debug)]
pub struct Superblock {
    pub version: u8,
    /// Absolute offset that file addresses are relative to: like the HDF5 library,
    /// the superblock's own position, whatever its base address field says.
    pub base: u64,
    pub sizes: Sizes,
    /// Address of the root group's object header.
    pub root: u64,
    /// End-of-file address the superblock declares, if defined.
    pub eof: Option<u64>,
}

/// Absolute offset of the first superblock signature, if any.
pub fn find_superblock(src: &dyn Source) -> std::result::Result<Option<u64>, ScanError> {
    let mut at: u64 = 0;
    while at.saturating_add(8) <= src.size() {
        if src.read_at(at, 8)? == SIGNATURE {
            return Ok(Some(at));
        }
        at = if at == 0 { FIRST_USER_BLOCK } else { at * 2 };
    }
    Ok(None)
}

impl Superblock {
    pub fn read(src: &dyn Source, at: u64) -> Result<Self> {
        // The largest superblock (v1 with 8-byte offsets) is 8+16+4*8+40 = 96 bytes; v0-v1 have
        // a symbol table entry that can take up to 2*16+24 bytes with 16-byte offsets.
        let buf = src.read_at(at, 128).map_err(Error::Io)?;
        let probe = Sizes {
            offset: 8,
            length: 8,
        };
        let mut c = Cursor::new(&buf, at, probe);
        c.skip(8, "superblock signature")?;
        let version = c.u8("superblock version")?;
        match version {
            0 | 1 => Self::read_v0(&buf, at, version),
            2 | 3 => Self::read_v2(&buf, at, version),
            v => Err(Error::Unsupported(format!("superblock version {v}"))),
        }
    }

    fn sizes(at: u64, offset: u8, length: u8) -> Result<Sizes> {
        for (what, n) in [("offsets", offset), ("lengths", length)] {
            if ![2, 4, 8].contains(&n) {
                return Err(Error::malformed(
                    at,
                    format!("size of {what} is {n}; 2, 4 or 8 expected"),
                ));
            }
        }
        Ok(Sizes { offset, length })
    }

    fn read_v0(buf: &[u8], at: u64, version: u8) -> Result<Self> {
        let probe = Sizes {
            offset: 8,
            length: 8,
        };
        let mut c = Cursor::new(buf, at, probe);
        c.skip(9, "superblock signature")?;
        c.skip(3, "free-space, root group and reserved versions")?;
        c.skip(1, "shared header message version")?;
        let offset = c.u8("size of offsets")?;
        let length = c.u8("size of lengths")?;
        let sizes = Self::sizes(at, offset, length)?;
        c.skip(1, "reserved")?;
        c.skip(4, "group node K values")?;
        c.skip(4, "file consistency flags")?;
        if version == 1 {
            c.skip(4, "indexed storage K and reserved")?;
        }
        let rest = c.rest();
        let mut c = Cursor::new(rest, at + (buf.len() - rest.len()) as u64, sizes);
        c.addr("base address")?;
        c.addr("free-space info address")?;
        let eof = c.addr("end of file address")?;
        c.addr("driver information block address")?;
        c.addr("root link name offset")?;
        let root = c
            .addr("root object header address")?
            .ok_or_else(|| Error::malformed(c.offset(), "root group address is undefined"))?;
        Ok(Superblock {
            version,
            base: at,
            sizes,
            root,
            eof,
        })
    }

    fn read_v2(buf: &[u8], at: u64, version: u8) -> Result<Self> {
        let probe = Sizes {
            offset: 8,
            length: 8,
        };
        let mut c = Cursor::new(buf, at, probe);
        c.skip(9, "superblock signature")?;
        let offset = c.u8("size of offsets")?;
        let length = c.u8("size of lengths")?;
        let sizes = Self::sizes(at, offset, length)?;
        c.skip(1, "file consistency flags")?;
        let rest = c.rest();
        let mut c = Cursor::new(rest, at + (buf.len() - rest.len()) as u64, sizes);
        c.addr("base address")?;
        c.addr("superblock extension address")?;
        let eof = c.addr("end of file address")?;
        let root = c
            .addr("root object header address")?
            .ok_or_else(|| Error::malformed(c.offset(), "root group address is undefined"))?;
        Ok(Superblock {
            version,
            base: at,
            sizes,
            root,
            eof,
        })
    }
}
