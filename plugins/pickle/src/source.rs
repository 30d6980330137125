//! Buffered, offset-tracking byte source over any `Read`, with a byte budget.
//! Large payloads can be skipped without being stored.

use std::io::{self, Read};

const CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The input ended inside an opcode.
    Eof,
    /// The byte budget (`Limits::max_bytes`) is exhausted.
    Budget,
    Io(String),
}

/// A line read with a cap on how much of it is kept.
pub(crate) struct Line {
    /// The first bytes of the line, without the newline.
    pub bytes: Vec<u8>,
    /// Full length of the line, without the newline.
    pub len: u64,
}

impl Line {
    pub fn complete(&self) -> bool {
        self.bytes.len() as u64 == self.len
    }
}

pub(crate) struct Source<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    max_bytes: u64,
    inner_eof: bool,
}

impl<R: Read> Source<R> {
    pub fn new(inner: R, max_bytes: u64) -> Self {
        Source {
            inner,
            buf: vec![0; CHUNK].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
            max_bytes,
            inner_eof: false,
        }
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Reads more data after the unread bytes, moving them to the front.
    fn refill(&mut self) -> Result<(), ReadError> {
        if self.inner_eof {
            return Ok(());
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            return Ok(());
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.inner_eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ReadError::Io(e.to_string())),
            }
        }
    }

    /// The buffered unread bytes, refilling when empty; empty only at EOF.
    /// Errors when the next byte would exceed the byte budget.
    fn available(&mut self) -> Result<&[u8], ReadError> {
        if self.pos == self.end {
            self.refill()?;
        }
        if self.pos == self.end {
            return Ok(&[]);
        }
        let allowed = self.max_bytes.saturating_sub(self.offset());
        if allowed == 0 {
            return Err(ReadError::Budget);
        }
        let n = (self.end - self.pos).min(usize::try_from(allowed).unwrap_or(usize::MAX));
        Ok(&self.buf[self.pos..self.pos + n])
    }

    pub fn byte(&mut self) -> Result<u8, ReadError> {
        let b = *self.available()?.first().ok_or(ReadError::Eof)?;
        self.pos += 1;
        Ok(b)
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], ReadError> {
        let mut out = [0; N];
        let mut filled = 0;
        while filled < N {
            let avail = self.available()?;
            if avail.is_empty() {
                return Err(ReadError::Eof);
            }
            let n = avail.len().min(N - filled);
            out[filled..filled + n].copy_from_slice(&avail[..n]);
            filled += n;
            self.pos += n;
        }
        Ok(out)
    }

    /// Appends exactly `n` bytes to `out`, growing it as data arrives so a
    /// lying length prefix cannot force a huge allocation.
    pub fn read_into(&mut self, out: &mut Vec<u8>, n: u64) -> Result<(), ReadError> {
        let mut left = n;
        while left > 0 {
            let avail = self.available()?;
            if avail.is_empty() {
                return Err(ReadError::Eof);
            }
            let take = avail.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            out.extend_from_slice(&avail[..take]);
            self.pos += take;
            left -= take as u64;
        }
        Ok(())
    }

    /// Discards exactly `n` bytes.
    pub fn skip(&mut self, n: u64) -> Result<(), ReadError> {
        let mut left = n;
        while left > 0 {
            let avail = self.available()?.len();
            if avail == 0 {
                return Err(ReadError::Eof);
            }
            let take = avail.min(usize::try_from(left).unwrap_or(usize::MAX));
            self.pos += take;
            left -= take as u64;
        }
        Ok(())
    }

    /// Reads up to and including a newline, keeping at most `keep` bytes.
    pub fn line(&mut self, keep: usize) -> Result<Line, ReadError> {
        let mut line = Line {
            bytes: Vec::new(),
            len: 0,
        };
        loop {
            let avail = self.available()?;
            if avail.is_empty() {
                return Err(ReadError::Eof);
            }
            let (chunk, done) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            let room = keep.saturating_sub(line.bytes.len()).min(chunk);
            line.bytes.extend_from_slice(&avail[..room]);
            line.len += chunk as u64;
            self.pos += chunk + usize::from(done);
            if done {
                return Ok(line);
            }
        }
    }

    /// Up to `n` upcoming bytes without consuming them (fewer only at EOF).
    /// `n` must not exceed the buffer size.
    pub fn peek(&mut self, n: usize) -> Result<&[u8], ReadError> {
        debug_assert!(n <= CHUNK);
        while self.end - self.pos < n && !self.inner_eof {
            self.refill()?;
        }
        let end = self.end.min(self.pos + n);
        Ok(&self.buf[self.pos..end])
    }

    /// Consumes everything left, returning how many bytes that was.
    pub fn drain(&mut self) -> Result<u64, ReadError> {
        let mut total = 0;
        loop {
            let n = self.available()?.len();
            if n == 0 {
                return Ok(total);
            }
            self.pos += n;
            total += n as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most 3 bytes per call, to exercise refills.
    struct Dribble<'a>(&'a [u8]);

    impl Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(out.len()).min(3);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn reads_across_refills_and_tracks_offsets() {
        let mut src = Source::new(Dribble(b"abcdefgh\nrest"), u64::MAX);
        assert_eq!(src.byte().unwrap(), b'a');
        assert_eq!(src.array::<4>().unwrap(), *b"bcde");
        assert_eq!(src.offset(), 5);
        let line = src.line(2).unwrap();
        assert_eq!(line.bytes, b"fg");
        assert_eq!(line.len, 3);
        assert!(!line.complete());
        assert_eq!(src.peek(3).unwrap(), b"res");
        assert_eq!(src.offset(), 9);
        src.skip(2).unwrap();
        let mut out = Vec::new();
        src.read_into(&mut out, 2).unwrap();
        assert_eq!(out, b"st");
        assert_eq!(src.byte(), Err(ReadError::Eof));
        assert_eq!(src.drain().unwrap(), 0);
    }

    #[test]
    fn byte_budget_stops_reads_but_not_eof_detection() {
        let mut src = Source::new(&b"abcd"[..], 2);
        assert_eq!(src.array::<2>().unwrap(), *b"ab");
        assert_eq!(src.byte(), Err(ReadError::Budget));
        let mut exact = Source::new(&b"ab"[..], 2);
        exact.skip(2).unwrap();
        assert_eq!(exact.byte(), Err(ReadError::Eof));
    }

    #[test]
    fn truncated_reads_report_eof() {
        let mut src = Source::new(&b"abc"[..], u64::MAX);
        assert_eq!(src.skip(4), Err(ReadError::Eof));
        let mut src = Source::new(&b"no newline"[..], u64::MAX);
        assert!(matches!(src.line(100), Err(ReadError::Eof)));
    }
}
