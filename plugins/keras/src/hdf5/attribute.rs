//! Attribute messages and the decoding of string values.

use super::datatype::dataspace_elements;
use super::object_header::FLAG_SHARED;
use super::{Cursor, Datatype, Error, File, ObjectHeader, Result, message};

/// Bytes of decoded strings one attribute may produce.
const MAX_STRING_BYTES: usize = 64 << 20;
/// B-tree v2 record type of dense attribute storage's name index.
const ATTRIBUTE_NAME_RECORD: u8 = 8;

#[derive(Debug)]
pub struct Attribute {
    pub name: String,
    /// Absolute offset of the attribute message.
    pub at: u64,
    pub datatype: Datatype,
    pub elements: u64,
    data: Vec<u8>,
}

impl File<'_> {
    /// Every attribute of an object: messages in its header, then dense storage.
    pub fn attributes(&self, header: &ObjectHeader) -> Result<Vec<Attribute>> {
        let mut out = Vec::new();
        for m in header.find(message::ATTRIBUTE) {
            if m.flags & FLAG_SHARED != 0 {
                return Err(Error::Unsupported(
                    "attribute stored in the shared object header message table".into(),
                ));
            }
            out.push(self.attribute(&m.data, m.at)?);
        }
        for m in header.find(message::ATTRIBUTE_INFO) {
            let mut c = Cursor::new(&m.data, m.at, self.sizes());
            c.u8("attribute info version")?;
            let flags = c.u8("attribute info flags")?;
            if flags & 1 != 0 {
                c.skip(2, "maximum creation index")?;
            }
            let heap = c.addr("attribute fractal heap address")?;
            let names = c.addr("attribute name index address")?;
            let (Some(heap), Some(names)) = (heap, names) else {
                continue;
            };
            let heap = self.fractal_heap(heap)?;
            // Record: 8-byte heap ID, message flags, creation order, name hash.
            for record in self.btree2_records(names, ATTRIBUTE_NAME_RECORD)? {
                if record.get(8).is_some_and(|f| f & FLAG_SHARED != 0) {
                    return Err(Error::Unsupported(
                        "dense attribute stored in the shared object header message table".into(),
                    ));
                }
                let id = record.get(..8).unwrap_or_default();
                let bytes = self.heap_object(&heap, id)?;
                out.push(self.attribute(&bytes, heap.at)?);
            }
        }
        Ok(out)
    }

    /// Parse an attribute message (versions 1-3), resolving a committed datatype.
    pub fn attribute(&self, bytes: &[u8], at: u64) -> Result<Attribute> {
        let mut c = Cursor::new(bytes, at, self.sizes());
        let version = c.u8("attribute version")?;
        let flags = c.u8("attribute flags")?;
        let name_len = usize::from(c.u16("attribute name size")?);
        let type_len = usize::from(c.u16("attribute datatype size")?);
        let space_len = usize::from(c.u16("attribute dataspace size")?);
        let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
        match version {
            1 | 2 => {}
            3 => c.skip(1, "attribute name encoding")?,
            v => return Err(Error::malformed(at, format!("attribute version {v}"))),
        }
        let raw_name = c.bytes(name_len, "attribute name")?;
        c.skip(pad(name_len) - name_len, "attribute name padding")?;
        let name_end = raw_name.iter().position(|b| *b == 0).unwrap_or(name_len);
        let name = String::from_utf8_lossy(&raw_name[..name_end]).into_owned();
        let type_at = c.offset();
        let type_bytes = c.bytes(type_len, "attribute datatype")?;
        c.skip(pad(type_len) - type_len, "attribute datatype padding")?;
        let space_at = c.offset();
        let space_bytes = c.bytes(space_len, "attribute dataspace")?;
        c.skip(
            (pad(space_len) - space_len).min(c.remaining()),
            "attribute dataspace padding",
        )?;
        // Version 1 has no flags; in later versions bits 0 and 1 mark shared messages.
        let shared = |bit: u8| version > 1 && flags & bit != 0;
        let datatype = if shared(1) {
            self.shared_message(type_bytes, type_at, message::DATATYPE, |c| {
                Datatype::parse(c)
            })?
        } else {
            Datatype::parse(&mut Cursor::new(type_bytes, type_at, self.sizes()))?
        };
        let elements = if shared(2) {
            self.shared_message(
                space_bytes,
                space_at,
                message::DATASPACE,
                dataspace_elements,
            )?
        } else {
            dataspace_elements(&mut Cursor::new(space_bytes, space_at, self.sizes()))?
        };
        Ok(Attribute {
            name,
            at,
            datatype,
            elements,
            data: c.rest().to_vec(),
        })
    }

    /// Decode a message stored in another object header (a committed datatype).
    fn shared_message<T>(
        &self,
        bytes: &[u8],
        at: u64,
        kind: u16,
        parse: impl Fn(&mut Cursor) -> Result<T>,
    ) -> Result<T> {
        let mut c = Cursor::new(bytes, at, self.sizes());
        let version = c.u8("shared message version")?;
        let kind_of_sharing = c.u8("shared message type")?;
        match (version, kind_of_sharing) {
            (1, _) => c.skip(6, "reserved")?,
            (2, _) | (3, 2) => {}
            (3, t) => {
                return Err(Error::Unsupported(format!(
                    "shared message of type {t} (shared object header message table)"
                )));
            }
            (v, _) => return Err(Error::malformed(at, format!("shared message version {v}"))),
        }
        let addr = c
            .addr("shared message address")?
            .ok_or_else(|| Error::malformed(at, "shared message address is undefined"))?;
        let header = self.object_header(addr)?;
        let message = header.find(kind).next().ok_or_else(|| {
            Error::malformed(
                at,
                format!("shared object has no message of type {kind:#x}"),
            )
        })?;
        parse(&mut Cursor::new(&message.data, message.at, self.sizes()))
    }

    /// The attribute's value as strings, one per element.
    pub fn strings(&self, attr: &Attribute) -> Result<Vec<String>> {
        let count = attr.elements as usize;
        match attr.datatype {
            Datatype::FixedString { size, space_padded } => {
                let size = size as usize;
                let total = count.saturating_mul(size);
                if total > MAX_STRING_BYTES {
                    return Err(Error::Limit(format!(
                        "attribute {:?} holds {total} bytes of strings",
                        attr.name
                    )));
                }
                if attr.data.len() < total {
                    return Err(Error::malformed(
                        attr.at,
                        format!(
                            "attribute {:?}: {count} strings of {size} bytes need {total} bytes, the message has {}",
                            attr.name,
                            attr.data.len()
                        ),
                    ));
                }
                Ok((0..count)
                    .map(|i| fixed_string(&attr.data[i * size..(i + 1) * size], space_padded))
                    .collect())
            }
            Datatype::VlenString => {
                let offset_size = usize::from(self.sizes().offset);
                let width = 8 + offset_size;
                let mut c = Cursor::new(&attr.data, attr.at, self.sizes());
                let mut out = Vec::with_capacity(count.min(1024));
                let mut total = 0usize;
                for _ in 0..count {
                    if c.remaining() < width {
                        return Err(Error::malformed(
                            c.offset(),
                            format!(
                                "attribute {:?}: variable-length element truncated",
                                attr.name
                            ),
                        ));
                    }
                    let len = c.u32("string length")? as usize;
                    let collection = c.addr("global heap collection")?;
                    let index = c.u32("global heap object index")?;
                    total = total.saturating_add(len);
                    if total > MAX_STRING_BYTES {
                        return Err(Error::Limit(format!(
                            "attribute {:?} holds more than {MAX_STRING_BYTES} bytes of strings",
                            attr.name
                        )));
                    }
                    let text = match collection {
                        Some(addr) if len > 0 => {
                            let object = self.global_heap_object(addr, index)?;
                            let bytes = object.get(..len).ok_or_else(|| {
                                Error::malformed(
                                    attr.at,
                                    format!(
                                        "attribute {:?}: string of {len} bytes in a {}-byte heap object",
                                        attr.name,
                                        object.len()
                                    ),
                                )
                            })?;
                            String::from_utf8_lossy(bytes).into_owned()
                        }
                        _ => String::new(),
                    };
                    out.push(text);
                }
                Ok(out)
            }
            Datatype::Other { .. } => Err(Error::Unsupported(format!(
                "attribute {:?} is a {}, not a string",
                attr.name,
                attr.datatype.describe()
            ))),
        }
    }
}

fn fixed_string(bytes: &[u8], space_padded: bool) -> String {
    let end = if space_padded {
        bytes.iter().rposition(|b| *b != b' ').map_or(0, |i| i + 1)
    } else {
        bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len())
    };
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}
