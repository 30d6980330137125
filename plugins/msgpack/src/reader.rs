//! Bounded reads of msgpack primitives over any `Read + Seek`: every length is
//! checked against the bytes left before anything is read or allocated.

use std::io::{Read, Seek, SeekFrom};

pub struct Reader<R> {
    inner: R,
    pos: u64,
    end: u64,
}

impl<R: Read + Seek> Reader<R> {
    pub fn new(inner: R, size: u64) -> Self {
        Reader {
            inner,
            pos: 0,
            end: size,
        }
    }

    pub fn pos(&self) -> u64 {
        self.pos
    }

    pub fn remaining(&self) -> u64 {
        self.end.saturating_sub(self.pos)
    }

    fn ensure(&self, n: u64, what: &str) -> Result<(), String> {
        if n > self.remaining() {
            return Err(format!(
                "{what} needs {n} bytes at offset {} but only {} remain",
                self.pos,
                self.remaining()
            ));
        }
        Ok(())
    }

    /// `n` bytes; callers keep `n` small (headers, names).
    pub fn bytes(&mut self, n: u64, what: &str) -> Result<Vec<u8>, String> {
        self.ensure(n, what)?;
        let mut buf = vec![0; n as usize];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| format!("cannot read {what} at offset {}: {e}", self.pos))?;
        self.pos += n;
        Ok(buf)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.bytes(1, what)?[0])
    }

    /// A big-endian unsigned integer of `n` (1, 2, 4 or 8) bytes.
    pub fn uint(&mut self, n: u64, what: &str) -> Result<u64, String> {
        Ok(self
            .bytes(n, what)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | *b as u64))
    }

    pub fn skip(&mut self, n: u64, what: &str) -> Result<(), String> {
        self.ensure(n, what)?;
        self.seek(self.pos + n)
    }

    pub fn seek(&mut self, to: u64) -> Result<(), String> {
        self.inner
            .seek(SeekFrom::Start(to))
            .map_err(|e| format!("cannot seek to {to}: {e}"))?;
        self.pos = to;
        Ok(())
    }

    /// Limit reads to the next `len` bytes (an ext payload); returns the old end.
    pub fn narrow(&mut self, len: u64) -> u64 {
        std::mem::replace(&mut self.end, self.pos + len)
    }

    pub fn widen(&mut self, end: u64) {
        self.end = end;
    }
}
