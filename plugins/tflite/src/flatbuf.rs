//! A bounded flatbuffer reader: every offset is checked against the input size
//! before it is followed, vtables are validated, and strings are cut at a cap.
//! The TFLite schema has no recursive tables, so no recursion is needed at all.

use crate::source::Source;

pub type Parsed<T> = Result<T, String>;

/// Strings longer than this are truncated when read (names, custom codes).
pub const MAX_STRING: u32 = 4096;

pub struct Flatbuf<'a> {
    src: &'a dyn Source,
}

/// A table: its position and its vtable's field slots.
#[derive(Clone, Copy)]
pub struct Table {
    pub pos: u64,
    vtable: u64,
    vtable_len: u16,
}

/// A vector: where its elements start and how many there are.
#[derive(Clone, Copy)]
pub struct Vector {
    pub start: u64,
    pub len: u32,
}

impl<'a> Flatbuf<'a> {
    pub fn new(src: &'a dyn Source) -> Self {
        Flatbuf { src }
    }

    pub fn size(&self) -> u64 {
        self.src.size()
    }

    fn bytes<const N: usize>(&self, at: u64) -> Parsed<[u8; N]> {
        let v = self.src.read(at, N)?;
        Ok(v.try_into().expect("read returns exactly N bytes"))
    }

    /// `len` raw bytes at `at` (callers bound `len`).
    pub fn slice(&self, at: u64, len: usize) -> Parsed<Vec<u8>> {
        self.src.read(at, len)
    }

    pub fn u8(&self, at: u64) -> Parsed<u8> {
        Ok(self.bytes::<1>(at)?[0])
    }

    pub fn u16(&self, at: u64) -> Parsed<u16> {
        Ok(u16::from_le_bytes(self.bytes(at)?))
    }

    pub fn u32(&self, at: u64) -> Parsed<u32> {
        Ok(u32::from_le_bytes(self.bytes(at)?))
    }

    pub fn i32(&self, at: u64) -> Parsed<i32> {
        Ok(i32::from_le_bytes(self.bytes(at)?))
    }

    pub fn u64(&self, at: u64) -> Parsed<u64> {
        Ok(u64::from_le_bytes(self.bytes(at)?))
    }

    /// Follow the `uoffset` stored at `at`.
    fn follow(&self, at: u64) -> Parsed<u64> {
        let target = at + self.u32(at)? as u64;
        if target >= self.size() {
            return Err(format!("offset at {at} points to {target}, past the end"));
        }
        Ok(target)
    }

    /// The root table (offset at byte 0).
    pub fn root(&self) -> Parsed<Table> {
        let pos = self.follow(0)?;
        self.table(pos)
    }

    pub fn table(&self, pos: u64) -> Parsed<Table> {
        let vtable = pos as i64 - self.i32(pos)? as i64;
        if vtable < 0 || vtable as u64 + 4 > self.size() {
            return Err(format!("table at {pos} has its vtable outside the file"));
        }
        let vtable = vtable as u64;
        let vtable_len = self.u16(vtable)?;
        let table_len = self.u16(vtable + 2)?;
        if vtable_len < 4 || vtable_len % 2 != 0 || vtable + vtable_len as u64 > self.size() {
            return Err(format!(
                "vtable at {vtable} has an invalid length {vtable_len}"
            ));
        }
        if pos + table_len as u64 > self.size() {
            return Err(format!(
                "table at {pos} ({table_len} bytes) runs past the end"
            ));
        }
        Ok(Table {
            pos,
            vtable,
            vtable_len,
        })
    }

    /// Position of field `id`, if present.
    fn field(&self, t: Table, id: u16) -> Parsed<Option<u64>> {
        let slot = 4 + 2 * id as u64;
        if slot + 2 > t.vtable_len as u64 {
            return Ok(None);
        }
        let off = self.u16(t.vtable + slot)?;
        Ok((off != 0).then_some(t.pos + off as u64))
    }

    pub fn is_set(&self, t: Table, id: u16) -> Parsed<bool> {
        Ok(self.field(t, id)?.is_some())
    }

    pub fn scalar_u32(&self, t: Table, id: u16, default: u32) -> Parsed<u32> {
        match self.field(t, id)? {
            Some(at) => self.u32(at),
            None => Ok(default),
        }
    }

    pub fn scalar_i32(&self, t: Table, id: u16, default: i32) -> Parsed<i32> {
        match self.field(t, id)? {
            Some(at) => self.i32(at),
            None => Ok(default),
        }
    }

    pub fn scalar_u8(&self, t: Table, id: u16, default: u8) -> Parsed<u8> {
        match self.field(t, id)? {
            Some(at) => self.u8(at),
            None => Ok(default),
        }
    }

    pub fn scalar_u64(&self, t: Table, id: u16, default: u64) -> Parsed<u64> {
        match self.field(t, id)? {
            Some(at) => self.u64(at),
            None => Ok(default),
        }
    }

    /// A vector field whose `len` elements of `elem` bytes must fit in the file.
    pub fn vector(&self, t: Table, id: u16, elem: u64) -> Parsed<Option<Vector>> {
        let Some(at) = self.field(t, id)? else {
            return Ok(None);
        };
        let pos = self.follow(at)?;
        let len = self.u32(pos)?;
        let start = pos + 4;
        if start + len as u64 * elem > self.size() {
            return Err(format!(
                "vector at {pos} claims {len} elements of {elem} bytes, past the end of the file"
            ));
        }
        Ok(Some(Vector { start, len }))
    }

    /// Element `i` of a vector of tables.
    pub fn table_at(&self, v: Vector, i: u32) -> Parsed<Table> {
        let pos = self.follow(v.start + 4 * i as u64)?;
        self.table(pos)
    }

    pub fn string(&self, t: Table, id: u16) -> Parsed<Option<String>> {
        let Some(at) = self.field(t, id)? else {
            return Ok(None);
        };
        let pos = self.follow(at)?;
        let len = self.u32(pos)?;
        if pos + 4 + len as u64 > self.size() {
            return Err(format!("string at {pos} of {len} bytes runs past the end"));
        }
        let bytes = self.src.read(pos + 4, len.min(MAX_STRING) as usize)?;
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }
}
