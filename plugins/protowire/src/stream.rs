//! Walking a message streamed from a `BufRead + Seek` source.

use std::io::{BufRead, Read, Seek, SeekFrom};

use crate::{
    DEFAULT_MAX_DEPTH, Error, Field, MAX_VARINT_BYTES, Value, WireType, split_tag, varint_step,
};

/// A cursor over a protobuf message in a seekable stream.
///
/// [`Walker::next_field`] returns the next field of the current message. A
/// length-delimited field's payload is pending until the caller consumes it with
/// exactly one of [`Walker::message`], [`Walker::bytes`] or [`Walker::count_varints`];
/// otherwise the next call to `next_field` skips it with a seek, unread.
///
/// After an error the walker's position is unspecified: stop walking.
pub struct Walker<R> {
    src: R,
    pos: u64,
    /// End offsets of the input and of each message entered, innermost last; never empty.
    ends: Vec<u64>,
    /// Payload length of the length-delimited field just returned, not consumed yet.
    pending: Option<u64>,
    max_depth: usize,
}

impl<R: BufRead + Seek> Walker<R> {
    /// Walk the `len`-byte message that `src` holds from its current position,
    /// which counts as offset 0.
    pub fn new(src: R, len: u64) -> Self {
        Walker {
            src,
            pos: 0,
            ends: vec![len],
            pending: None,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// Refuse to enter messages nested deeper than `limit`.
    pub fn with_max_depth(mut self, limit: usize) -> Self {
        self.max_depth = limit;
        self
    }

    /// Offset of the next byte to read.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Number of messages entered with [`Walker::message`] and not yet left.
    pub fn depth(&self) -> usize {
        self.ends.len() - 1
    }

    fn end(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// The next field of the current message, or `None` at its end.
    pub fn next_field(&mut self) -> Result<Option<Field<u64>>, Error> {
        if let Some(len) = self.pending.take() {
            self.seek_to(self.pos + len)?;
        }
        if self.pos >= self.end() {
            return Ok(None);
        }
        let offset = self.pos;
        let (number, wire) = split_tag(self.varint()?, offset)?;
        let mut payload_offset = self.pos;
        let value = match wire {
            WireType::Varint => Value::Varint(self.varint()?),
            WireType::Fixed64 => Value::Fixed64(u64::from_le_bytes(self.array()?)),
            WireType::Fixed32 => Value::Fixed32(u32::from_le_bytes(self.array()?)),
            WireType::Len => {
                let len = self.varint()?;
                let remaining = self.end() - self.pos;
                if len > remaining {
                    return Err(Error::Length {
                        offset: payload_offset,
                        len,
                        remaining,
                    });
                }
                payload_offset = self.pos;
                self.pending = Some(len);
                Value::Len(len)
            }
        };
        Ok(Some(Field {
            number,
            offset,
            payload_offset,
            value,
        }))
    }

    /// Walk the pending payload as a nested message with `walk`, then continue
    /// after it whatever `walk` left unread.
    pub fn message<T>(
        &mut self,
        walk: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let len = self.take_pending()?;
        if self.depth() >= self.max_depth {
            return Err(Error::Depth {
                offset: self.pos,
                limit: self.max_depth,
            });
        }
        let end = self.pos + len;
        self.ends.push(end);
        let result = walk(self);
        if result.is_ok() {
            self.pending = None;
            self.seek_to(end)?;
        }
        self.ends.pop();
        result
    }

    /// The first `cap` bytes of the pending payload; the rest is skipped.
    pub fn bytes(&mut self, cap: usize) -> Result<Vec<u8>, Error> {
        let len = self.take_pending()?;
        let want = len.min(cap as u64);
        let mut out = Vec::with_capacity(want as usize);
        let read = (&mut self.src).take(want).read_to_end(&mut out);
        read.map_err(|e| io_error(self.pos, e))?;
        if (out.len() as u64) < want {
            return Err(Error::Truncated {
                offset: self.pos + out.len() as u64,
            });
        }
        self.pos += want;
        if len > want {
            self.seek_to(self.pos + (len - want))?;
        }
        Ok(out)
    }

    /// The number of varints in the pending payload, a packed repeated field,
    /// read through without buffering it.
    pub fn count_varints(&mut self) -> Result<u64, Error> {
        let len = self.take_pending()?;
        let end = self.pos + len;
        let mut count = 0;
        let mut inside_varint = false;
        while self.pos < end {
            let pos = self.pos;
            let buf = self.src.fill_buf().map_err(|e| io_error(pos, e))?;
            if buf.is_empty() {
                return Err(Error::Truncated { offset: self.pos });
            }
            let n = buf.len().min((end - self.pos) as usize);
            count += buf[..n].iter().filter(|b| **b < 0x80).count() as u64;
            inside_varint = buf[n - 1] >= 0x80;
            self.src.consume(n);
            self.pos += n as u64;
        }
        if inside_varint {
            return Err(Error::Truncated { offset: end });
        }
        Ok(count)
    }

    fn take_pending(&mut self) -> Result<u64, Error> {
        self.pending
            .take()
            .ok_or(Error::NoPayload { offset: self.pos })
    }

    fn seek_to(&mut self, to: u64) -> Result<(), Error> {
        if to != self.pos {
            self.src
                .seek(SeekFrom::Current((to - self.pos) as i64))
                .map_err(|e| io_error(self.pos, e))?;
            self.pos = to;
        }
        Ok(())
    }

    fn byte(&mut self) -> Result<u8, Error> {
        if self.pos >= self.end() {
            return Err(Error::Truncated { offset: self.pos });
        }
        let pos = self.pos;
        let buf = self.src.fill_buf().map_err(|e| io_error(pos, e))?;
        let Some(&byte) = buf.first() else {
            return Err(Error::Truncated { offset: self.pos });
        };
        self.src.consume(1);
        self.pos += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<u64, Error> {
        let offset = self.pos;
        let mut value = 0;
        for i in 0..MAX_VARINT_BYTES {
            if varint_step(&mut value, i, self.byte()?, offset)? {
                return Ok(value);
            }
        }
        Err(Error::Varint { offset })
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0; N];
        for byte in &mut out {
            *byte = self.byte()?;
        }
        Ok(out)
    }
}

fn io_error(offset: u64, e: std::io::Error) -> Error {
    Error::Io {
        offset,
        message: e.to_string(),
    }
}
