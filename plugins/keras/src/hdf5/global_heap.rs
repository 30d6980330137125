//! Global heap collections, where variable-length data (strings) lives.

use std::rc::Rc;

use super::{Error, File, Result};

impl File<'_> {
    /// Object `index` of the collection at `addr`.
    pub fn global_heap_object(&self, addr: u64, index: u32) -> Result<Vec<u8>> {
        let collection = self.global_heap(addr)?;
        let at = self.absolute(addr)?;
        let length = usize::from(self.sizes().length);
        let mut c = self.cursor(&collection, addr);
        c.signature(b"GCOL", "global heap collection")?;
        c.skip(4, "global heap version and reserved")?;
        c.length("collection size")?;
        while c.remaining() >= 8 + length {
            let object = c.u16("heap object index")?;
            c.skip(6, "reference count and reserved")?;
            let size = c.length("heap object size")?;
            if object == 0 {
                break; // free space: the rest of the collection
            }
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            if size > c.remaining() {
                return Err(Error::malformed(
                    c.offset(),
                    format!("global heap object {object} of {size} bytes overruns its collection"),
                ));
            }
            let data = c.bytes(size, "heap object")?;
            if u32::from(object) == index {
                return Ok(data.to_vec());
            }
            c.align(8, "heap object padding")?;
        }
        Err(Error::malformed(
            at,
            format!("global heap collection has no object {index}"),
        ))
    }

    /// A whole collection, read once.
    fn global_heap(&self, addr: u64) -> Result<Rc<Vec<u8>>> {
        if let Some(hit) = self.global_heaps.borrow().get(&addr) {
            return Ok(hit.clone());
        }
        let length = u64::from(self.sizes().length);
        let head = self.read(addr, 8 + length, "global heap collection header")?;
        let mut c = self.cursor(&head, addr);
        c.signature(b"GCOL", "global heap collection")?;
        c.skip(4, "global heap version and reserved")?;
        let size = c.length("collection size")?;
        if size < 8 + length {
            return Err(Error::malformed(
                self.absolute(addr)?,
                format!("global heap collection size {size} is below its header size"),
            ));
        }
        let data = Rc::new(self.read(addr, size, "global heap collection")?);
        self.global_heaps.borrow_mut().insert(addr, data.clone());
        Ok(data)
    }
}
