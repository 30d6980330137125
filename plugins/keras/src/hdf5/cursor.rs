//! Little-endian field decoding over a block read from the file.

use super::{Error, Result};

/// Sizes of file addresses ("offsets") and lengths, from the superblock.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub offset: u8,
    pub length: u8,
}

/// A read position in `buf`, which starts at absolute file offset `at`.
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    at: u64,
    sizes: Sizes,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8], at: u64, sizes: Sizes) -> Self {
        Cursor {
            buf,
            pos: 0,
            at,
            sizes,
        }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Absolute file offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.at + self.pos as u64
    }

    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error::malformed(
                self.offset(),
                format!(
                    "{what}: needs {n} bytes, {} left in the block",
                    self.remaining()
                ),
            ));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }

    pub fn skip(&mut self, n: usize, what: &str) -> Result<()> {
        self.bytes(n, what).map(|_| ())
    }

    /// Skip to the next multiple of `align` counted from the block start.
    pub fn align(&mut self, align: usize, what: &str) -> Result<()> {
        let pad = (align - self.pos % align) % align;
        self.skip(pad.min(self.remaining()), what)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.bytes(1, what)?[0])
    }

    pub fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(self.uint(2, what)? as u16)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(self.uint(4, what)? as u32)
    }

    /// An unsigned little-endian integer of `n` bytes; bytes past the eighth must be zero.
    pub fn uint(&mut self, n: usize, what: &str) -> Result<u64> {
        let at = self.offset();
        let bytes = self.bytes(n, what)?;
        if bytes.iter().skip(8).any(|b| *b != 0) {
            return Err(Error::malformed(at, format!("{what}: value above 2^64")));
        }
        Ok(bytes
            .iter()
            .take(8)
            .rev()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// A file address; `None` for the undefined address (all bits set).
    pub fn addr(&mut self, what: &str) -> Result<Option<u64>> {
        let n = usize::from(self.sizes.offset);
        let at = self.offset();
        let undefined = self
            .buf
            .get(self.pos..self.pos + n)
            .is_some_and(|b| b.iter().all(|x| *x == 0xff));
        let value = self.uint(n, what);
        if undefined {
            return Ok(None);
        }
        value
            .map(Some)
            .map_err(|_| Error::malformed(at, format!("{what}: address above 2^64")))
    }

    pub fn length(&mut self, what: &str) -> Result<u64> {
        self.uint(usize::from(self.sizes.length), what)
    }

    /// Check a 4-byte signature.
    pub fn signature(&mut self, expected: &[u8; 4], what: &str) -> Result<()> {
        let at = self.offset();
        let got = self.bytes(4, what)?;
        if got != expected {
            return Err(Error::malformed(
                at,
                format!(
                    "{what}: signature {:?} where {:?} was expected",
                    String::from_utf8_lossy(got),
                    String::from_utf8_lossy(expected)
                ),
            ));
        }
        Ok(())
    }
}
