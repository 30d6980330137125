//! Fractal heaps: where dense groups keep their link messages and dense
//! attribute storage keeps attribute messages. Objects are found from their heap
//! IDs: managed objects through the doubling table of direct and indirect blocks,
//! huge objects directly or through their v2 B-tree, tiny objects inside the ID.

use super::{Cursor, Error, File, Result};

/// Indirect blocks followed from the root to a direct block.
const MAX_INDIRECTION: usize = 16;
/// B-tree v2 record type of a heap's huge objects (not filtered, indirectly addressed).
const HUGE_OBJECT_RECORD: u8 = 1;

pub struct FractalHeap {
    /// Absolute offset of the header.
    pub at: u64,
    id_len: usize,
    filtered: bool,
    huge_index: Option<u64>,
    width: u64,
    start_block: u64,
    max_direct: u64,
    root: Option<u64>,
    root_rows: u64,
    /// Bytes of a managed object's offset and length in its heap ID.
    offset_size: usize,
    length_size: usize,
}

impl FractalHeap {
    /// Heap-space size of the blocks in doubling-table row `row`.
    fn row_block_size(&self, row: u64) -> Option<u64> {
        match row {
            0 => Some(self.start_block),
            r => self.start_block.checked_shl(u32::try_from(r - 1).ok()?),
        }
    }

    /// Heap offset, relative to its indirect block, where row `row` starts.
    fn row_start(&self, row: u64) -> Option<u64> {
        match row {
            0 => Some(0),
            r => self.row_block_size(r)?.checked_mul(self.width),
        }
    }

    /// Rows of direct blocks in an indirect block.
    fn direct_rows(&self) -> u64 {
        u64::from(self.max_direct.ilog2() - self.start_block.ilog2()) + 2
    }

    /// Rows of an indirect block that spans `size` bytes of heap space.
    fn rows_spanning(&self, size: u64) -> u64 {
        u64::from(
            size.ilog2()
                .saturating_sub((self.start_block * self.width).ilog2()),
        ) + 1
    }
}

impl File<'_> {
    pub fn fractal_heap(&self, addr: u64) -> Result<FractalHeap> {
        let at = self.absolute(addr)?;
        let buf = self.read_upto(addr, 256, "fractal heap header")?;
        let mut c = self.cursor(&buf, addr);
        c.signature(b"FRHP", "fractal heap header")?;
        c.u8("fractal heap version")?;
        let id_len = usize::from(c.u16("heap ID length")?);
        let filter_len = c.u16("I/O filter information length")?;
        c.u8("fractal heap flags")?;
        let max_managed = u64::from(c.u32("maximum managed object size")?);
        c.length("next huge object ID")?;
        let huge_index = c.addr("huge object B-tree address")?;
        c.length("free space in managed blocks")?;
        c.addr("free space manager address")?;
        for what in [
            "managed space",
            "allocated managed space",
            "allocation iterator offset",
        ] {
            c.length(what)?;
        }
        for what in [
            "managed objects",
            "huge object size",
            "huge objects",
            "tiny object size",
            "tiny objects",
        ] {
            c.length(what)?;
        }
        let width = u64::from(c.u16("table width")?);
        let start_block = c.length("starting block size")?;
        let max_direct = c.length("maximum direct block size")?;
        let heap_bits = c.u16("maximum heap size")?;
        c.u16("starting rows of the root indirect block")?;
        let root = c.addr("root block address")?;
        let root_rows = u64::from(c.u16("rows of the root indirect block")?);
        let power_of_two = |n: u64| n > 0 && n.is_power_of_two();
        if !power_of_two(width)
            || !power_of_two(start_block)
            || !power_of_two(max_direct)
            || max_direct < start_block
            || start_block.checked_mul(width).is_none()
            || !(1..=64).contains(&heap_bits)
            || id_len < 2
            || root_rows > 64
        {
            return Err(Error::malformed(
                at,
                "fractal heap header has an impossible doubling table",
            ));
        }
        let direct_offset_size = (max_direct.ilog2() as usize).div_ceil(8);
        Ok(FractalHeap {
            at,
            id_len,
            filtered: filter_len > 0,
            huge_index,
            width,
            start_block,
            max_direct,
            root,
            root_rows,
            offset_size: usize::from(heap_bits).div_ceil(8),
            length_size: direct_offset_size.min(max_managed.max(1).ilog2() as usize / 8 + 1),
        })
    }

    /// The object a heap ID names.
    pub fn heap_object(&self, heap: &FractalHeap, id: &[u8]) -> Result<Vec<u8>> {
        let id = id.get(..heap.id_len).ok_or_else(|| {
            Error::malformed(
                heap.at,
                format!("heap ID of {} bytes, {} expected", id.len(), heap.id_len),
            )
        })?;
        let mut c = Cursor::new(id, heap.at, self.sizes());
        let flags = c.u8("heap ID flags")?;
        if flags >> 6 != 0 {
            return Err(Error::malformed(
                heap.at,
                format!("heap ID version {}", flags >> 6),
            ));
        }
        match (flags >> 4) & 3 {
            0 => {
                let offset = c.uint(heap.offset_size, "managed object offset")?;
                let len = c.uint(heap.length_size, "managed object length")?;
                self.managed_object(heap, offset, len)
            }
            1 => self.huge_object(heap, &mut c),
            2 => {
                // Tiny objects live in the ID; IDs over 17 bytes use a 12-bit length.
                let extended = heap.id_len > 17;
                let mut len = usize::from(flags & 0x0f);
                if extended {
                    len = (len << 8) | usize::from(c.u8("tiny object length")?);
                }
                Ok(c.bytes(len + 1, "tiny object")?.to_vec())
            }
            t => Err(Error::malformed(heap.at, format!("heap ID of type {t}"))),
        }
    }

    fn managed_object(&self, heap: &FractalHeap, offset: u64, len: u64) -> Result<Vec<u8>> {
        if heap.filtered {
            return Err(Error::Unsupported(
                "fractal heap with I/O filters (compressed blocks)".into(),
            ));
        }
        let root = heap.root.ok_or_else(|| {
            Error::malformed(heap.at, "managed object in a heap without a root block")
        })?;
        let (block, block_offset, block_size) = if heap.root_rows == 0 {
            (root, 0, heap.start_block)
        } else {
            self.find_direct_block(heap, root, heap.root_rows, 0, offset)?
        };
        let within = offset - block_offset;
        let header = 5 + u64::from(self.sizes().offset) + heap.offset_size as u64;
        if within < header || within.checked_add(len).is_none_or(|end| end > block_size) {
            return Err(Error::malformed(
                self.absolute(block)?,
                format!(
                    "heap object at offset {offset} ({len} bytes) lies outside its direct block"
                ),
            ));
        }
        let head = self.read(block, 4, "fractal heap direct block")?;
        if head != b"FHDB" {
            return Err(Error::malformed(
                self.absolute(block)?,
                "fractal heap direct block has no FHDB signature",
            ));
        }
        self.read(block + within, len, "fractal heap object")
    }

    /// Walk indirect blocks down to the direct block holding heap offset `offset`:
    /// (address, heap offset of the block, block size).
    fn find_direct_block(
        &self,
        heap: &FractalHeap,
        mut iblock: u64,
        mut rows: u64,
        mut iblock_offset: u64,
        offset: u64,
    ) -> Result<(u64, u64, u64)> {
        let o = u64::from(self.sizes().offset);
        let header = 5 + o + heap.offset_size as u64;
        let outside =
            |at: u64| Error::malformed(at, format!("heap offset {offset} lies outside the heap"));
        for _ in 0..MAX_INDIRECTION {
            let at = self.absolute(iblock)?;
            let rel = offset
                .checked_sub(iblock_offset)
                .ok_or_else(|| outside(at))?;
            let first_row = heap.width * heap.start_block;
            let row = if rel < first_row {
                0
            } else {
                u64::from((rel / first_row).ilog2()) + 1
            };
            let block_size = heap.row_block_size(row).ok_or_else(|| outside(at))?;
            let row_start = heap.row_start(row).ok_or_else(|| outside(at))?;
            if row >= rows {
                return Err(outside(at));
            }
            let column = (rel - row_start) / block_size;
            let index = row * heap.width + column;
            let direct_entries = rows.min(heap.direct_rows()) * heap.width;
            let entry_at = if row < heap.direct_rows() {
                header + index * o
            } else {
                header + direct_entries * o + (index - direct_entries) * o
            };
            let head = self.read(iblock, 4, "fractal heap indirect block")?;
            if head != b"FHIB" {
                return Err(Error::malformed(
                    at,
                    "fractal heap indirect block has no FHIB signature",
                ));
            }
            let entry = self.read(iblock + entry_at, o, "fractal heap block entry")?;
            let child = self
                .cursor(&entry, iblock + entry_at)
                .addr("fractal heap child block")?
                .ok_or_else(|| outside(at))?;
            let child_offset = iblock_offset + row_start + column * block_size;
            if row < heap.direct_rows() {
                return Ok((child, child_offset, block_size));
            }
            iblock = child;
            rows = heap.rows_spanning(block_size);
            iblock_offset = child_offset;
        }
        Err(Error::Limit(format!(
            "fractal heap nests indirect blocks deeper than {MAX_INDIRECTION}"
        )))
    }

    fn huge_object(&self, heap: &FractalHeap, c: &mut Cursor) -> Result<Vec<u8>> {
        if heap.filtered {
            return Err(Error::Unsupported(
                "huge object in a fractal heap with I/O filters".into(),
            ));
        }
        let s = self.sizes();
        let (addr, len) = if usize::from(s.offset) + usize::from(s.length) < heap.id_len {
            // The ID holds the object's address and length.
            (
                c.addr("huge object address")?,
                c.length("huge object length")?,
            )
        } else {
            let key = c.uint((heap.id_len - 1).min(8), "huge object ID")?;
            let index = heap.huge_index.ok_or_else(|| {
                Error::malformed(
                    heap.at,
                    "huge object ID in a heap without a huge object index",
                )
            })?;
            let mut found = None;
            for record in self.btree2_records(index, HUGE_OBJECT_RECORD)? {
                let mut r = Cursor::new(&record, heap.at, s);
                let addr = r.addr("huge object address")?;
                let len = r.length("huge object length")?;
                if r.length("huge object ID")? == key {
                    found = Some((addr, len));
                    break;
                }
            }
            found.ok_or_else(|| {
                Error::malformed(heap.at, format!("huge object {key} is not in its index"))
            })?
        };
        let addr =
            addr.ok_or_else(|| Error::malformed(heap.at, "huge object address is undefined"))?;
        self.read(addr, len, "huge heap object")
    }
}
