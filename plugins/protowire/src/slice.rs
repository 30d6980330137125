//! Zero-copy reading of a message held in memory.

use crate::{Error, Field, MAX_VARINT_BYTES, Value, WireType, split_tag, varint_step};

/// The fields of a message in a byte slice, in order. Length-delimited values are
/// sub-slices of the input. Iteration stops after the first error.
pub struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
    /// Input offset of `data[0]`, so offsets in fields and errors are the file's.
    base: u64,
    failed: bool,
}

impl<'a> Fields<'a> {
    /// The fields of `data`, a whole message starting at input offset `base`.
    pub fn new(data: &'a [u8], base: u64) -> Self {
        Fields {
            data,
            pos: 0,
            base,
            failed: false,
        }
    }

    fn offset(&self, pos: usize) -> u64 {
        self.base + pos as u64
    }

    fn varint(&self, pos: usize) -> Result<(u64, usize), Error> {
        read_varint(&self.data[pos..], self.offset(pos))
    }

    fn fixed<const N: usize>(&self, pos: usize) -> Result<[u8; N], Error> {
        self.data
            .get(pos..pos + N)
            .and_then(|b| b.try_into().ok())
            .ok_or(Error::Truncated {
                offset: self.offset(self.data.len()),
            })
    }

    fn field(&mut self) -> Result<Field<&'a [u8]>, Error> {
        let offset = self.offset(self.pos);
        let (tag, n) = self.varint(self.pos)?;
        let (number, wire) = split_tag(tag, offset)?;
        let mut pos = self.pos + n;
        let mut payload_offset = self.offset(pos);
        let value = match wire {
            WireType::Varint => {
                let (v, n) = self.varint(pos)?;
                pos += n;
                Value::Varint(v)
            }
            WireType::Fixed64 => {
                let v = u64::from_le_bytes(self.fixed(pos)?);
                pos += 8;
                Value::Fixed64(v)
            }
            WireType::Fixed32 => {
                let v = u32::from_le_bytes(self.fixed(pos)?);
                pos += 4;
                Value::Fixed32(v)
            }
            WireType::Len => {
                let (len, n) = self.varint(pos)?;
                let remaining = self.data.len() - pos - n;
                if len > remaining as u64 {
                    return Err(Error::Length {
                        offset: self.offset(pos),
                        len,
                        remaining: remaining as u64,
                    });
                }
                pos += n;
                payload_offset = self.offset(pos);
                let payload = &self.data[pos..pos + len as usize];
                pos += len as usize;
                Value::Len(payload)
            }
        };
        self.pos = pos;
        Ok(Field {
            number,
            offset,
            payload_offset,
            value,
        })
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<&'a [u8]>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let field = self.field();
        self.failed = field.is_err();
        Some(field)
    }
}

/// The values of a packed repeated varint field (`repeated int64 x = 1 [packed = true]`).
/// Iteration stops after the first error.
pub struct PackedVarints<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    failed: bool,
}

impl<'a> PackedVarints<'a> {
    /// The varints of `payload`, found at input offset `base`.
    pub fn new(payload: &'a [u8], base: u64) -> Self {
        PackedVarints {
            data: payload,
            pos: 0,
            base,
            failed: false,
        }
    }
}

impl Iterator for PackedVarints<'_> {
    type Item = Result<u64, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let value = read_varint(&self.data[self.pos..], self.base + self.pos as u64);
        match value {
            Ok((v, n)) => {
                self.pos += n;
                Some(Ok(v))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// A varint at the start of `data` (found at input offset `offset`) and its length.
fn read_varint(data: &[u8], offset: u64) -> Result<(u64, usize), Error> {
    let mut value = 0;
    for (i, &byte) in data.iter().take(MAX_VARINT_BYTES).enumerate() {
        if varint_step(&mut value, i, byte, offset)? {
            return Ok((value, i + 1));
        }
    }
    if data.len() >= MAX_VARINT_BYTES {
        Err(Error::Varint { offset })
    } else {
        Err(Error::Truncated {
            offset: offset + data.len() as u64,
        })
    }
}
