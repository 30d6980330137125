//! Reading the input under scan through the host's `input` resource.

use std::io::{self, BufRead, Read, Seek, SeekFrom};

use crate::__private::RawInput;
use crate::ScanError;

/// Largest single read the host is asked for.
const MAX_READ: u64 = 1 << 20;
/// Buffer size of [`InputReader`].
const READER_BUFFER: usize = 64 * 1024;

/// The file or archive member under scan. Bytes are fetched from the host on demand,
/// so a plugin that reads only a header never pays for the rest of the file.
pub struct Input<'a> {
    raw: &'a RawInput,
    size: u64,
}

impl<'a> Input<'a> {
    #[doc(hidden)]
    pub fn new(raw: &'a RawInput) -> Self {
        Self {
            size: raw.size(),
            raw,
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The file's path, or the member's path inside its archive.
    pub fn name(&self) -> String {
        self.raw.name()
    }

    /// The format the parent archive's plugin said this member is, if any.
    pub fn hint(&self) -> Option<String> {
        self.raw.hint()
    }

    /// Up to `len` bytes from `offset`: fewer only at the end of the input.
    pub fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, ScanError> {
        let mut out = Vec::with_capacity(len.min(self.remaining(offset)));
        while out.len() < len {
            let at = offset + out.len() as u64;
            if at >= self.size {
                break;
            }
            let want = ((len - out.len()) as u64).min(MAX_READ) as u32;
            let chunk = self.raw.read(at, want).map_err(ScanError::Io)?;
            if chunk.is_empty() {
                break;
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Exactly `len` bytes from `offset`, or a `malformed` error naming `what`.
    pub fn read_exact_at(&self, offset: u64, len: usize, what: &str) -> Result<Vec<u8>, ScanError> {
        let bytes = self.read_at(offset, len)?;
        if bytes.len() < len {
            return Err(ScanError::Malformed(format!(
                "truncated {what}: needed {len} bytes at offset {offset}, input has {}",
                self.remaining(offset)
            )));
        }
        Ok(bytes)
    }

    /// A buffered `Read + BufRead + Seek` over the whole input.
    pub fn reader(&self) -> InputReader<'_> {
        InputReader {
            input: self,
            pos: 0,
            buf: Vec::new(),
            buf_pos: 0,
        }
    }

    fn remaining(&self, offset: u64) -> usize {
        usize::try_from(self.size.saturating_sub(offset)).unwrap_or(usize::MAX)
    }
}

/// Buffered sequential reader over an [`Input`].
pub struct InputReader<'a> {
    input: &'a Input<'a>,
    /// Input offset of `buf[0]`.
    pos: u64,
    buf: Vec<u8>,
    buf_pos: usize,
}

impl InputReader<'_> {
    /// Offset of the next byte `read` returns.
    pub fn position(&self) -> u64 {
        self.pos + self.buf_pos as u64
    }
}

impl BufRead for InputReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.buf_pos >= self.buf.len() {
            self.pos += self.buf.len() as u64;
            self.buf = self
                .input
                .read_at(self.pos, READER_BUFFER)
                .map_err(|e| io::Error::other(format!("{e:?}")))?;
            self.buf_pos = 0;
        }
        Ok(&self.buf[self.buf_pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.buf_pos = (self.buf_pos + amt).min(self.buf.len());
    }
}

impl Read for InputReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl Seek for InputReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.input.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.position().checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
        let end = self.pos + self.buf.len() as u64;
        if (self.pos..end).contains(&target) {
            self.buf_pos = (target - self.pos) as usize;
        } else {
            self.pos = target;
            self.buf.clear();
            self.buf_pos = 0;
        }
        Ok(target)
    }
}
