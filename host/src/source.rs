//! Where an input's bytes live: a range of a file on disk, or of a buffer in
//! memory (a decompressed archive member). Reads are positional, and slicing
//! never copies, so stored archive members cost nothing until read.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

#[derive(Clone)]
pub struct Source {
    backing: Backing,
    start: u64,
    len: u64,
}

#[derive(Clone)]
enum Backing {
    File(Arc<File>),
    Memory(Arc<Vec<u8>>),
}

impl Source {
    pub fn file(file: File, len: u64) -> Self {
        Source {
            backing: Backing::File(Arc::new(file)),
            start: 0,
            len,
        }
    }

    pub fn memory(bytes: Vec<u8>) -> Self {
        let len = bytes.len() as u64;
        Source {
            backing: Backing::Memory(Arc::new(bytes)),
            start: 0,
            len,
        }
    }

    pub fn size(&self) -> u64 {
        self.len
    }

    /// `len` bytes at `start` of this source, as a source of their own; `None` when out of bounds.
    pub fn slice(&self, start: u64, len: u64) -> Option<Source> {
        (start.checked_add(len)? <= self.len).then(|| Source {
            backing: self.backing.clone(),
            start: self.start + start,
            len,
        })
    }

    /// Up to `len` bytes from `offset`; fewer only at the end.
    pub fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let available = self.len.saturating_sub(offset);
        let len = len.min(usize::try_from(available).unwrap_or(usize::MAX));
        let at = self.start + offset;
        match &self.backing {
            Backing::Memory(bytes) => Ok(bytes[at as usize..at as usize + len].to_vec()),
            Backing::File(file) => {
                let mut buf = vec![0; len];
                let mut filled = 0;
                while filled < len {
                    match file.read_at(&mut buf[filled..], at + filled as u64) {
                        Ok(0) => break, // the file shrank under us
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                buf.truncate(filled);
                Ok(buf)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_read_their_own_window() {
        let source = Source::memory(b"0123456789".to_vec());
        let inner = source.slice(2, 6).unwrap().slice(1, 3).unwrap();
        assert_eq!(inner.size(), 3);
        assert_eq!(inner.read_at(0, 10).unwrap(), b"345");
        assert_eq!(inner.read_at(2, 10).unwrap(), b"5");
        assert_eq!(inner.read_at(5, 10).unwrap(), b"");
        assert!(source.slice(8, 3).is_none());
        assert!(source.slice(u64::MAX, 2).is_none());
    }

    #[test]
    fn file_slices_match_memory_slices() {
        let mut tmp = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut tmp, b"abcdefgh").unwrap();
        let source = Source::file(tmp, 8);
        assert_eq!(source.slice(3, 4).unwrap().read_at(1, 100).unwrap(), b"efg");
    }
}
