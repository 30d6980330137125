//! Where an input's bytes live: a range of a file on disk, or a buffer in memory
//! (a decompressed archive member). Reads are positional, so one open file serves
//! every plugin and member without seeking or mapping.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

#[derive(Clone)]
pub enum Source {
    File {
        file: Arc<File>,
        start: u64,
        len: u64,
    },
    Memory(Arc<Vec<u8>>),
}

impl Source {
    pub fn file(file: File, len: u64) -> Self {
        Source::File {
            file: Arc::new(file),
            start: 0,
            len,
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            Source::File { len, .. } => *len,
            Source::Memory(bytes) => bytes.len() as u64,
        }
    }

    /// `len` bytes at `start` of this source, as a source of their own; `None` when out of bounds.
    pub fn slice(&self, start: u64, len: u64) -> Option<Source> {
        if start.checked_add(len)? > self.len() {
            return None;
        }
        Some(match self {
            Source::File {
                file, start: base, ..
            } => Source::File {
                file: file.clone(),
                start: base + start,
                len,
            },
            Source::Memory(bytes) => Source::Memory(Arc::new(
                bytes[start as usize..(start + len) as usize].to_vec(),
            )),
        })
    }

    /// Up to `len` bytes from `offset`; fewer only at the end.
    pub fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let available = self.len().saturating_sub(offset);
        let len = len.min(usize::try_from(available).unwrap_or(usize::MAX));
        match self {
            Source::Memory(bytes) => Ok(bytes[offset as usize..offset as usize + len].to_vec()),
            Source::File { file, start, .. } => {
                let mut buf = vec![0; len];
                let mut filled = 0;
                while filled < len {
                    match file.read_at(&mut buf[filled..], start + offset + filled as u64) {
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
