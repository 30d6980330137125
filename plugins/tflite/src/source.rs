//! Random access to the model bytes. Flatbuffers are read field by field, so the
//! plugin fetches fixed-size pages from the host and keeps a bounded cache of them.

use std::cell::RefCell;
use std::collections::HashMap;

use cordon_plugin_sdk::Input;

/// Bytes addressed by offset: the input in the sandbox, a slice in unit tests.
pub trait Source {
    fn size(&self) -> u64;
    /// Exactly `len` bytes at `offset`, or a message saying why not.
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String>;
}

impl Source for &[u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        usize::try_from(offset)
            .ok()
            .and_then(|start| self.get(start..start.checked_add(len)?))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("{len} bytes at offset {offset} run past the end"))
    }
}

const PAGE: u64 = 64 * 1024;
/// At most this many pages (16 MiB) are cached; the cache is dropped when full.
const MAX_PAGES: usize = 256;

pub struct Paged<'a> {
    input: &'a Input<'a>,
    pages: RefCell<HashMap<u64, Vec<u8>>>,
}

impl<'a> Paged<'a> {
    pub fn new(input: &'a Input<'a>) -> Self {
        Paged {
            input,
            pages: RefCell::new(HashMap::new()),
        }
    }

    /// Append bytes `start..` of page `index` (at most `want`) to `out`; returns how many.
    fn copy_from_page(
        &self,
        index: u64,
        start: usize,
        want: usize,
        out: &mut Vec<u8>,
    ) -> Result<usize, String> {
        if !self.pages.borrow().contains_key(&index) {
            let page = self
                .input
                .read_at(index * PAGE, PAGE as usize)
                .map_err(|e| format!("cannot read: {e:?}"))?;
            let mut pages = self.pages.borrow_mut();
            if pages.len() >= MAX_PAGES {
                pages.clear();
            }
            pages.insert(index, page);
        }
        let pages = self.pages.borrow();
        let page = &pages[&index];
        let take = want.min(page.len().saturating_sub(start));
        out.extend_from_slice(&page[start..start + take]);
        Ok(take)
    }
}

impl Source for Paged<'_> {
    fn size(&self) -> u64 {
        self.input.size()
    }

    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let end = offset
            .checked_add(len as u64)
            .filter(|end| *end <= self.size());
        let Some(end) = end else {
            return Err(format!("{len} bytes at offset {offset} run past the end"));
        };
        let mut out = Vec::with_capacity(len);
        let mut at = offset;
        while at < end {
            let take = self.copy_from_page(
                at / PAGE,
                (at % PAGE) as usize,
                (end - at) as usize,
                &mut out,
            )?;
            if take == 0 {
                return Err(format!("short read at offset {at}"));
            }
            at += take as u64;
        }
        Ok(out)
    }
}
