//! Bounds-checked, endian-aware reads of GGUF primitives. Every read is checked
//! against the file size before anything is allocated, so a hostile length costs
//! one [`Problem`], never a huge allocation.

use std::io::{Read, Seek, SeekFrom};

/// Why parsing had to stop, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub offset: u64,
    pub message: String,
}

impl Problem {
    pub fn new(offset: u64, message: impl Into<String>) -> Self {
        Problem {
            offset,
            message: message.into(),
        }
    }
}

pub type Parsed<T> = Result<T, Problem>;

/// A GGUF string: its length, and its text when it was short enough to keep.
#[derive(Debug, Clone)]
pub struct GgufStr {
    /// File offset of the first byte of the text.
    pub at: u64,
    pub len: u64,
    pub text: Option<String>,
    /// False when the kept bytes were not UTF-8 (`text` is then a lossy copy).
    pub utf8: bool,
}

pub struct Reader<R> {
    inner: R,
    pos: u64,
    size: u64,
    pub big_endian: bool,
    /// Version 1 stores lengths, counts and dimensions as 32-bit values.
    pub v1: bool,
}

impl<R: Read + Seek> Reader<R> {
    pub fn new(inner: R, size: u64) -> Self {
        Reader {
            inner,
            pos: 0,
            size,
            big_endian: false,
            v1: false,
        }
    }

    pub fn pos(&self) -> u64 {
        self.pos
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn remaining(&self) -> u64 {
        self.size.saturating_sub(self.pos)
    }

    fn ensure(&self, n: u64, what: &str) -> Parsed<()> {
        if n > self.remaining() {
            return Err(Problem::new(
                self.pos,
                format!(
                    "{what} needs {n} bytes at offset {} but only {} remain",
                    self.pos,
                    self.remaining()
                ),
            ));
        }
        Ok(())
    }

    fn io(&self, what: &str, e: std::io::Error) -> Problem {
        Problem::new(
            self.pos,
            format!("cannot read {what} at offset {}: {e}", self.pos),
        )
    }

    pub fn array<const N: usize>(&mut self, what: &str) -> Parsed<[u8; N]> {
        self.ensure(N as u64, what)?;
        let mut buf = [0u8; N];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| self.io(what, e))?;
        self.pos += N as u64;
        if self.big_endian {
            buf.reverse();
        }
        Ok(buf)
    }

    pub fn u8(&mut self, what: &str) -> Parsed<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u32(&mut self, what: &str) -> Parsed<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub fn u64(&mut self, what: &str) -> Parsed<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A length, count or dimension: 32 bits in version 1, 64 after.
    pub fn size_value(&mut self, what: &str) -> Parsed<u64> {
        if self.v1 {
            self.u32(what).map(u64::from)
        } else {
            self.u64(what)
        }
    }

    /// Move forward `n` bytes without reading them.
    pub fn skip(&mut self, n: u64, what: &str) -> Parsed<()> {
        self.ensure(n, what)?;
        let target = self.pos + n;
        self.inner
            .seek(SeekFrom::Start(target))
            .map_err(|e| self.io(what, e))?;
        self.pos = target;
        Ok(())
    }

    /// A GGUF string, kept when at most `keep` bytes long, otherwise skipped.
    pub fn string(&mut self, keep: u64, what: &str) -> Parsed<GgufStr> {
        let len = self.size_value(&format!("length of {what}"))?;
        self.ensure(len, what)?;
        let at = self.pos;
        if len > keep {
            self.skip(len, what)?;
            return Ok(GgufStr {
                at,
                len,
                text: None,
                utf8: true,
            });
        }
        let mut bytes = vec![0u8; len as usize];
        self.inner
            .read_exact(&mut bytes)
            .map_err(|e| self.io(what, e))?;
        self.pos += len;
        let (text, utf8) = match String::from_utf8(bytes) {
            Ok(text) => (text, true),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), false),
        };
        Ok(GgufStr {
            at,
            len,
            text: Some(text),
            utf8,
        })
    }

    /// Bytes of a GGUF string's length field.
    pub fn size_width(&self) -> u64 {
        if self.v1 { 4 } else { 8 }
    }
}
