//! A bounded, read-only HDF5 reader: just enough of the format to list a file's
//! groups, links and attributes and to decode string attributes, fetching only
//! the metadata blocks it needs through [`Source`]. Every offset is checked
//! against the file size and every count, size and recursion against a limit.
//!
//! Supported: superblocks v0-v3 (with a user block), object headers v1 and v2
//! with continuation blocks, groups stored as symbol tables (B-tree v1, symbol
//! table nodes, local heap), as link messages or densely (link info, v2 B-tree
//! name index, fractal heap), attributes stored compactly or densely (attribute
//! info, v2 B-tree, fractal heap including huge objects), shared (committed)
//! datatypes, fixed and variable-length strings (global heap). Checksums are
//! not verified, and filtered fractal heaps are refused.

mod attribute;
mod btree1;
mod btree2;
mod cursor;
mod datatype;
mod fractal_heap;
mod global_heap;
mod link;
mod local_heap;
mod object_header;
mod superblock;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use cordon_plugin_sdk::ScanError;

use crate::source::Source;
pub use attribute::Attribute;
pub use cursor::{Cursor, Sizes};
pub use datatype::Datatype;
pub use link::{Link, LinkTarget};
pub use object_header::{Message, ObjectHeader, message};
pub use superblock::{SIGNATURE, Superblock, find_superblock};

/// Largest metadata block read in one piece (object header chunk, heap, B-tree node).
const MAX_BLOCK: u64 = 16 << 20;
/// Largest object (global heap collection, huge heap object) read in one piece.
const MAX_OBJECT: u64 = 64 << 20;
/// Metadata bytes one scan may read in total.
const READ_BUDGET: u64 = 512 << 20;

#[derive(Debug)]
pub enum Error {
    /// The bytes at `at` (absolute offset) do not follow the format.
    Malformed { at: u64, what: String },
    /// A valid feature this reader does not implement.
    Unsupported(String),
    /// A bound of this reader was hit.
    Limit(String),
    /// The host could not give the bytes.
    Io(ScanError),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn malformed(at: u64, what: impl Into<String>) -> Self {
        Error::Malformed {
            at,
            what: what.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed { at, what } => write!(f, "{what} (at offset {at})"),
            Error::Unsupported(what) => write!(f, "unsupported HDF5 feature: {what}"),
            Error::Limit(what) => write!(f, "limit reached: {what}"),
            Error::Io(e) => write!(f, "read error: {e:?}"),
        }
    }
}

/// An open HDF5 file: its superblock and the caches of blocks read so far.
pub struct File<'s> {
    src: &'s dyn Source,
    pub superblock: Superblock,
    read_total: Cell<u64>,
    global_heaps: RefCell<BTreeMap<u64, Rc<Vec<u8>>>>,
}

impl<'s> File<'s> {
    /// Parse the superblock found at absolute offset `at`.
    pub fn open(src: &'s dyn Source, at: u64) -> Result<Self> {
        let superblock = Superblock::read(src, at)?;
        Ok(File {
            src,
            superblock,
            read_total: Cell::new(0),
            global_heaps: RefCell::new(BTreeMap::new()),
        })
    }

    pub fn sizes(&self) -> Sizes {
        self.superblock.sizes
    }

    /// Absolute offset of file address `addr`.
    pub fn absolute(&self, addr: u64) -> Result<u64> {
        self.superblock
            .base
            .checked_add(addr)
            .ok_or_else(|| Error::malformed(0, format!("address {addr} overflows")))
    }

    /// Exactly `len` bytes at file address `addr`.
    pub fn read(&self, addr: u64, len: u64, what: &str) -> Result<Vec<u8>> {
        let bytes = self.read_upto(addr, len, what)?;
        if (bytes.len() as u64) < len {
            return Err(Error::malformed(
                self.absolute(addr)?,
                format!(
                    "{what}: {len} bytes run past the end of the {}-byte file",
                    self.src.size()
                ),
            ));
        }
        Ok(bytes)
    }

    /// Up to `len` bytes at file address `addr` (fewer at the end of the file).
    pub fn read_upto(&self, addr: u64, len: u64, what: &str) -> Result<Vec<u8>> {
        let at = self.absolute(addr)?;
        if at >= self.src.size() {
            return Err(Error::malformed(
                at,
                format!(
                    "{what}: address lies past the end of the {}-byte file",
                    self.src.size()
                ),
            ));
        }
        if len > MAX_OBJECT {
            return Err(Error::Limit(format!(
                "{what}: {len} bytes exceed the {MAX_OBJECT}-byte read limit"
            )));
        }
        let total = self.read_total.get().saturating_add(len);
        if total > READ_BUDGET {
            return Err(Error::Limit(format!(
                "metadata reads exceed {READ_BUDGET} bytes"
            )));
        }
        self.read_total.set(total);
        self.src.read_at(at, len as usize).map_err(Error::Io)
    }

    /// A metadata block: at most [`MAX_BLOCK`] bytes.
    pub fn block(&self, addr: u64, len: u64, what: &str) -> Result<Vec<u8>> {
        if len > MAX_BLOCK {
            return Err(Error::Limit(format!(
                "{what}: {len} bytes exceed the {MAX_BLOCK}-byte block limit"
            )));
        }
        self.read(addr, len, what)
    }

    pub fn cursor<'b>(&self, buf: &'b [u8], addr: u64) -> Cursor<'b> {
        Cursor::new(buf, self.superblock.base.saturating_add(addr), self.sizes())
    }

    /// Bytes of metadata read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read_total.get()
    }
}
