//! Object headers (v1 and v2) and their messages, following continuation blocks.

use std::collections::BTreeSet;

use super::{Cursor, Error, File, Result};

/// Message types this reader looks at.
pub mod message {
    pub const DATASPACE: u16 = 0x01;
    pub const LINK_INFO: u16 = 0x02;
    pub const DATATYPE: u16 = 0x03;
    pub const LINK: u16 = 0x06;
    pub const EXTERNAL_FILES: u16 = 0x07;
    pub const LAYOUT: u16 = 0x08;
    pub const ATTRIBUTE: u16 = 0x0C;
    pub const CONTINUATION: u16 = 0x10;
    pub const SYMBOL_TABLE: u16 = 0x11;
    pub const ATTRIBUTE_INFO: u16 = 0x15;
}

/// Continuation blocks followed per object header.
const MAX_CONTINUATIONS: usize = 1024;
/// Messages kept per object header.
const MAX_MESSAGES: usize = 65_536;
/// Message flag: the message is stored elsewhere and this is a reference to it.
pub const FLAG_SHARED: u8 = 0x02;

#[derive(Debug)]
pub struct Message {
    pub kind: u16,
    pub flags: u8,
    /// Absolute offset of the message data.
    pub at: u64,
    pub data: Vec<u8>,
}

#[derive(Debug)]
pub struct ObjectHeader {
    pub messages: Vec<Message>,
}

impl ObjectHeader {
    pub fn find(&self, kind: u16) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(move |m| m.kind == kind)
    }
}

impl File<'_> {
    pub fn object_header(&self, addr: u64) -> Result<ObjectHeader> {
        let prefix = self.read_upto(addr, 64, "object header")?;
        let mut header = ObjectHeader {
            messages: Vec::new(),
        };
        let chunk = if prefix.starts_with(b"OHDR") {
            self.v2_prefix(&prefix, addr)?
        } else {
            self.v1_prefix(&prefix, addr)?
        };
        let v2 = prefix.starts_with(b"OHDR");
        // v2 flag bit 2: each message header carries a creation order.
        let head_len = match (v2, prefix.get(5).is_some_and(|f| f & 0x04 != 0)) {
            (false, _) => 8,
            (true, true) => 6,
            (true, false) => 4,
        };
        let mut pending = vec![chunk];
        let mut seen = BTreeSet::new();
        while let Some((chunk_addr, len, skip)) = pending.pop() {
            if !seen.insert(chunk_addr) {
                return Err(Error::malformed(
                    self.absolute(chunk_addr)?,
                    "object header continuation loops back",
                ));
            }
            if seen.len() > MAX_CONTINUATIONS {
                return Err(Error::Limit(format!(
                    "object header at {addr} has more than {MAX_CONTINUATIONS} continuation blocks"
                )));
            }
            let block = self.block(chunk_addr, len, "object header chunk")?;
            let mut c = self.cursor(&block, chunk_addr);
            if skip > 0 {
                if v2 && chunk_addr != addr {
                    c.signature(b"OCHK", "object header continuation block")?;
                } else {
                    c.skip(skip, "object header prefix")?;
                }
            }
            let end = if v2 && chunk_addr != addr {
                block.len().saturating_sub(4)
            } else {
                block.len()
            };
            self.messages(&mut c, end, head_len, &mut header, &mut pending)?;
        }
        Ok(header)
    }

    /// The first chunk of a v1 header: (address, length, bytes to skip).
    fn v1_prefix(&self, prefix: &[u8], addr: u64) -> Result<(u64, u64, usize)> {
        let mut c = self.cursor(prefix, addr);
        let version = c.u8("object header version")?;
        if version != 1 {
            return Err(Error::malformed(
                c.offset() - 1,
                format!("object header version {version}; 1 or an OHDR signature expected"),
            ));
        }
        c.skip(1, "reserved")?;
        c.u16("number of header messages")?;
        c.u32("object reference count")?;
        let size = c.u32("object header size")?;
        // Messages start after the 12-byte prefix padded to 16.
        Ok((addr, 16 + u64::from(size), 16))
    }

    /// The first chunk of a v2 header, from the signature to the checksum.
    fn v2_prefix(&self, prefix: &[u8], addr: u64) -> Result<(u64, u64, usize)> {
        let mut c = self.cursor(prefix, addr);
        c.signature(b"OHDR", "object header")?;
        let version = c.u8("object header version")?;
        if version != 2 {
            return Err(Error::malformed(
                c.offset() - 1,
                format!("OHDR version {version}; 2 expected"),
            ));
        }
        let flags = c.u8("object header flags")?;
        if flags & 0x20 != 0 {
            c.skip(16, "object times")?;
        }
        if flags & 0x10 != 0 {
            c.skip(4, "attribute phase change values")?;
        }
        let size = c.uint(1 << (flags & 3), "size of chunk 0")?;
        let skip = c.pos();
        // The prefix, the messages, then a 4-byte checksum that is not parsed.
        Ok((addr, skip as u64 + size, skip))
    }

    /// Parse messages from `c` up to `end`, queueing continuation blocks.
    fn messages(
        &self,
        c: &mut Cursor,
        end: usize,
        head_len: usize,
        header: &mut ObjectHeader,
        pending: &mut Vec<(u64, u64, usize)>,
    ) -> Result<()> {
        let v2 = head_len != 8;
        while c.pos() + head_len <= end {
            let (kind, size, flags) = if v2 {
                let kind = u16::from(c.u8("message type")?);
                let size = c.u16("message size")?;
                let flags = c.u8("message flags")?;
                if head_len == 6 {
                    c.u16("message creation order")?;
                }
                (kind, size, flags)
            } else {
                let kind = c.u16("message type")?;
                let size = c.u16("message size")?;
                let flags = c.u8("message flags")?;
                c.skip(3, "reserved")?;
                (kind, size, flags)
            };
            let at = c.offset();
            if c.pos() + usize::from(size) > end {
                return Err(Error::malformed(
                    at,
                    format!("message of type {kind:#x} ({size} bytes) overruns its header chunk"),
                ));
            }
            let data = c.bytes(usize::from(size), "message data")?;
            if kind == message::CONTINUATION {
                let mut m = self.cursor(data, 0);
                let addr = m
                    .addr("continuation address")?
                    .ok_or_else(|| Error::malformed(at, "continuation address is undefined"))?;
                let len = m.length("continuation length")?;
                pending.push((addr, len, if v2 { 4 } else { 0 }));
            } else if kind != 0 {
                if header.messages.len() >= MAX_MESSAGES {
                    return Err(Error::Limit(format!(
                        "object header has more than {MAX_MESSAGES} messages"
                    )));
                }
                header.messages.push(Message {
                    kind,
                    flags,
                    at,
                    data: data.to_vec(),
                });
            }
        }
        Ok(())
    }
}
