//! Local heaps: the names of a symbol-table group's members.

use super::{Cursor, Error, File, Message, Result};

/// External files listed per dataset.
const MAX_EXTERNAL_FILES: u16 = 1024;

pub struct LocalHeap {
    at: u64,
    data: Vec<u8>,
}

impl LocalHeap {
    /// The NUL-terminated string at `offset` of the data segment.
    pub fn string(&self, offset: u64) -> Result<String> {
        let start = usize::try_from(offset)
            .ok()
            .filter(|o| *o < self.data.len())
            .ok_or_else(|| {
                Error::malformed(
                    self.at,
                    format!(
                        "name offset {offset} outside the {}-byte local heap",
                        self.data.len()
                    ),
                )
            })?;
        let rest = &self.data[start..];
        let end = rest.iter().position(|b| *b == 0).ok_or_else(|| {
            Error::malformed(
                self.at,
                format!("name at heap offset {offset} is not terminated"),
            )
        })?;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    }
}

impl File<'_> {
    pub fn local_heap(&self, addr: u64) -> Result<LocalHeap> {
        let s = self.sizes();
        let head_len = 8 + 2 * u64::from(s.length) + u64::from(s.offset);
        let head = self.read(addr, head_len, "local heap header")?;
        let mut c = self.cursor(&head, addr);
        c.signature(b"HEAP", "local heap")?;
        c.skip(4, "local heap version and reserved")?;
        let size = c.length("local heap data size")?;
        c.length("free list offset")?;
        let data_addr = c
            .addr("local heap data address")?
            .ok_or_else(|| Error::malformed(c.offset(), "local heap data address is undefined"))?;
        Ok(LocalHeap {
            at: self.absolute(data_addr)?,
            data: self.block(data_addr, size, "local heap data")?,
        })
    }

    /// The file names of an external data files message.
    pub fn external_files(&self, message: &Message) -> Result<Vec<String>> {
        let mut c = Cursor::new(&message.data, message.at, self.sizes());
        c.skip(4, "external files version and reserved")?;
        c.u16("allocated slots")?;
        let used = c.u16("used slots")?.min(MAX_EXTERNAL_FILES);
        let heap = c.addr("external files heap address")?.ok_or_else(|| {
            Error::malformed(message.at, "external files heap address is undefined")
        })?;
        let heap = self.local_heap(heap)?;
        let mut names = Vec::new();
        for _ in 0..used {
            let name = c.length("external file name offset")?;
            c.length("external file offset")?;
            c.length("external file size")?;
            names.push(heap.string(name)?);
        }
        Ok(names)
    }
}
