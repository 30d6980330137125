//! A reader that remembers a failure to read the input itself, so that decoders
//! reporting it as bad data do not hide an I/O error behind a content finding.
//!
//! Shared by the archive plugins (compressed, sevenz) through `#[path]`.

use std::io::{self, BufRead, Read, Seek, SeekFrom};

pub struct Tracked<R> {
    inner: R,
    failure: Option<String>,
}

impl<R> Tracked<R> {
    pub fn new(inner: R) -> Self {
        Tracked {
            inner,
            failure: None,
        }
    }

    /// The input's own read failure since the last call, if any.
    pub fn take_failure(&mut self) -> Option<String> {
        self.failure.take()
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            self.failure = Some(e.to_string());
        })
    }
}

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.inner.fill_buf() {
            Ok(buf) => Ok(buf),
            Err(e) => {
                self.failure = Some(e.to_string());
                Err(e)
            }
        }
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
    }
}

impl<R: Seek> Seek for Tracked<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.seek(to).inspect_err(|e| {
            self.failure = Some(e.to_string());
        })
    }
}
