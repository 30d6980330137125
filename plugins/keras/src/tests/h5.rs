//! Builds HDF5 files byte by byte, following the file format specification, so
//! the reader is tested on files whose every field is known.

pub const UNDEFINED: u64 = u64::MAX;

/// A file image: structures are appended (8-byte aligned) or patched in place.
#[derive(Default)]
pub struct Image {
    pub bytes: Vec<u8>,
    /// Absolute offset that addresses are relative to (a user block before the superblock).
    pub base: u64,
}

impl Image {
    /// An image whose superblock will follow a user block of `base` bytes.
    pub fn with_user_block(base: usize) -> Self {
        Image {
            bytes: vec![0; base],
            base: base as u64,
        }
    }

    /// Append `bytes`; returns their file address (relative to the base).
    pub fn push(&mut self, bytes: &[u8]) -> u64 {
        while !self.bytes.len().is_multiple_of(8) {
            self.bytes.push(0);
        }
        let at = self.bytes.len() as u64;
        self.bytes.extend_from_slice(bytes);
        at - self.base
    }

    /// The address the next `push` will return.
    pub fn next(&self) -> u64 {
        self.bytes.len().div_ceil(8) as u64 * 8 - self.base
    }

    pub fn patch(&mut self, addr: u64, bytes: &[u8]) {
        let at = (addr + self.base) as usize;
        self.bytes[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// End-of-file address.
    pub fn eof(&self) -> u64 {
        self.bytes.len() as u64 - self.base
    }
}

fn u16le(v: u16) -> [u8; 2] {
    v.to_le_bytes()
}

fn u32le(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

fn u64le(v: u64) -> [u8; 8] {
    v.to_le_bytes()
}

fn pad8(bytes: &mut Vec<u8>) {
    while !bytes.len().is_multiple_of(8) {
        bytes.push(0);
    }
}

/// Superblock v0 with 8-byte offsets and lengths; the root entry caches its symbol table.
pub fn superblock_v0(root: u64, btree: u64, heap: u64, eof: u64) -> Vec<u8> {
    let mut b = b"\x89HDF\r\n\x1a\n".to_vec();
    b.extend([0, 0, 0, 0, 0, 8, 8, 0]);
    b.extend(u16le(4)); // group leaf node K
    b.extend(u16le(16)); // group internal node K
    b.extend(u32le(0)); // consistency flags
    b.extend(u64le(0)); // base address
    b.extend(u64le(UNDEFINED)); // free-space info
    b.extend(u64le(eof));
    b.extend(u64le(UNDEFINED)); // driver info
    b.extend(u64le(0)); // root link name offset
    b.extend(u64le(root));
    b.extend(u32le(1)); // cache type: symbol table
    b.extend(u32le(0));
    b.extend(u64le(btree));
    b.extend(u64le(heap));
    b
}

/// Superblock v2 with 8-byte offsets and lengths; the checksum is not computed.
pub fn superblock_v2(root: u64, eof: u64) -> Vec<u8> {
    let mut b = b"\x89HDF\r\n\x1a\n".to_vec();
    b.extend([2, 8, 8, 0]);
    b.extend(u64le(0)); // base address
    b.extend(u64le(UNDEFINED)); // superblock extension
    b.extend(u64le(eof));
    b.extend(u64le(root));
    b.extend(u32le(0)); // checksum
    b
}

/// Object header v1; message data is padded to 8 bytes.
pub fn object_header_v1(messages: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (kind, data) in messages {
        let mut data = data.clone();
        pad8(&mut data);
        body.extend(u16le(*kind));
        body.extend(u16le(data.len() as u16));
        body.extend([0, 0, 0, 0]);
        body.extend(data);
    }
    let mut b = vec![1, 0];
    b.extend(u16le(messages.len() as u16));
    b.extend(u32le(1)); // reference count
    b.extend(u32le(body.len() as u32));
    b.extend(u32le(0)); // padding to 16
    b.extend(body);
    b
}

fn v2_messages(messages: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (kind, data) in messages {
        body.push(*kind);
        body.extend(u16le(data.len() as u16));
        body.push(0);
        body.extend(data);
    }
    body
}

/// Object header v2 with a 2-byte chunk size; the checksum is not computed.
pub fn object_header_v2(messages: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let body = v2_messages(messages);
    let mut b = b"OHDR".to_vec();
    b.extend([2, 0x01]); // version, flags: chunk size in 2 bytes
    b.extend(u16le(body.len() as u16));
    b.extend(body);
    b.extend(u32le(0));
    b
}

/// A v2 continuation block and the continuation message data pointing at it.
pub fn continuation_block(messages: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut b = b"OCHK".to_vec();
    b.extend(v2_messages(messages));
    b.extend(u32le(0));
    b
}

pub fn continuation(addr: u64, len: usize) -> Vec<u8> {
    let mut b = u64le(addr).to_vec();
    b.extend(u64le(len as u64));
    b
}

pub fn symbol_table(btree: u64, heap: u64) -> Vec<u8> {
    let mut b = u64le(btree).to_vec();
    b.extend(u64le(heap));
    b
}

pub fn fixed_string_type(size: u32) -> Vec<u8> {
    let mut b = vec![0x13, 0x00, 0, 0];
    b.extend(u32le(size));
    b
}

/// Variable-length UTF-8 string of 1-byte characters.
pub fn vlen_string_type() -> Vec<u8> {
    let mut b = vec![0x19, 0x01, 0x01, 0x00];
    b.extend(u32le(16));
    b.extend([0x10, 0, 0, 0]);
    b.extend(u32le(1));
    b.extend(u16le(0));
    b.extend(u16le(8));
    b
}

pub fn scalar_space() -> Vec<u8> {
    vec![1, 0, 0, 0, 0, 0, 0, 0]
}

pub fn vector_space(n: u64) -> Vec<u8> {
    let mut b = vec![1, 1, 0, 0, 0, 0, 0, 0];
    b.extend(u64le(n));
    b
}

/// Attribute message v1 (name, datatype and dataspace padded to 8 bytes).
pub fn attribute_v1(name: &str, datatype: &[u8], space: &[u8], data: &[u8]) -> Vec<u8> {
    let mut b = vec![1, 0];
    b.extend(u16le(name.len() as u16 + 1));
    b.extend(u16le(datatype.len() as u16));
    b.extend(u16le(space.len() as u16));
    let mut name = name.as_bytes().to_vec();
    name.push(0);
    for mut part in [name, datatype.to_vec(), space.to_vec()] {
        pad8(&mut part);
        b.extend(part);
    }
    b.extend(data);
    b
}

/// Attribute message v3 (no padding, ASCII name).
pub fn attribute_v3(name: &str, datatype: &[u8], space: &[u8], data: &[u8]) -> Vec<u8> {
    let mut b = vec![3, 0];
    b.extend(u16le(name.len() as u16 + 1));
    b.extend(u16le(datatype.len() as u16));
    b.extend(u16le(space.len() as u16));
    b.push(0);
    b.extend(name.as_bytes());
    b.push(0);
    b.extend(datatype);
    b.extend(space);
    b.extend(data);
    b
}

/// A scalar fixed-length string attribute (v1).
pub fn string_attribute(name: &str, value: &str) -> Vec<u8> {
    attribute_v1(
        name,
        &fixed_string_type(value.len() as u32),
        &scalar_space(),
        value.as_bytes(),
    )
}

/// A scalar variable-length string attribute whose value is object `index` of `collection`.
pub fn vlen_attribute(name: &str, len: usize, collection: u64, index: u32) -> Vec<u8> {
    let mut data = u32le(len as u32).to_vec();
    data.extend(u64le(collection));
    data.extend(u32le(index));
    attribute_v1(name, &vlen_string_type(), &scalar_space(), &data)
}

/// A global heap collection holding `objects` as indexes 1, 2, ...
pub fn global_heap(objects: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        body.extend(u16le(i as u16 + 1));
        body.extend(u16le(1));
        body.extend(u32le(0));
        body.extend(u64le(object.len() as u64));
        let mut data = object.to_vec();
        pad8(&mut data);
        body.extend(data);
    }
    body.extend([0u8; 16]); // free space object
    let mut b = b"GCOL".to_vec();
    b.extend([1, 0, 0, 0]);
    b.extend(u64le(16 + body.len() as u64));
    b.extend(body);
    b
}

/// A local heap whose data segment follows its header at `addr`; returns the
/// bytes and each name's offset.
pub fn local_heap(addr: u64, names: &[&str]) -> (Vec<u8>, Vec<u64>) {
    let mut data = vec![0u8; 8]; // offset 0: the empty name
    let mut offsets = Vec::new();
    for name in names {
        offsets.push(data.len() as u64);
        data.extend(name.as_bytes());
        data.push(0);
        pad8(&mut data);
    }
    let mut b = b"HEAP".to_vec();
    b.extend([0, 0, 0, 0]);
    b.extend(u64le(data.len() as u64));
    b.extend(u64le(UNDEFINED)); // no free block
    b.extend(u64le(addr + 32));
    b.extend(data);
    (b, offsets)
}

/// A leaf group B-tree node with one child symbol table node.
pub fn group_btree(snod: u64, last_name: u64) -> Vec<u8> {
    let mut b = b"TREE".to_vec();
    b.extend([0, 0]); // group node, level 0
    b.extend(u16le(1));
    b.extend(u64le(UNDEFINED));
    b.extend(u64le(UNDEFINED));
    b.extend(u64le(0)); // key 0
    b.extend(u64le(snod));
    b.extend(u64le(last_name)); // key 1
    b
}

/// A symbol table node of (name offset, object header address) entries.
pub fn symbol_node(entries: &[(u64, u64)]) -> Vec<u8> {
    let mut b = b"SNOD".to_vec();
    b.extend([1, 0]);
    b.extend(u16le(entries.len() as u16));
    for (name, object) in entries {
        b.extend(u64le(*name));
        b.extend(u64le(*object));
        b.extend(u32le(0));
        b.extend(u32le(0));
        b.extend([0u8; 16]);
    }
    b
}

/// Link message to a hard-linked object.
pub fn hard_link(name: &str, addr: u64) -> Vec<u8> {
    let mut b = vec![1, 0, name.len() as u8];
    b.extend(name.as_bytes());
    b.extend(u64le(addr));
    b
}

/// Link message to `path` in another file.
pub fn external_link(name: &str, file: &str, path: &str) -> Vec<u8> {
    let mut value = vec![0];
    for part in [file, path] {
        value.extend(part.as_bytes());
        value.push(0);
    }
    let mut b = vec![1, 0x08, 64, name.len() as u8];
    b.extend(name.as_bytes());
    b.extend(u16le(value.len() as u16));
    b.extend(value);
    b
}

/// External data files message with one file, named at `name_offset` of `heap`.
pub fn external_files(heap: u64, name_offset: u64) -> Vec<u8> {
    let mut b = vec![1, 0, 0, 0];
    b.extend(u16le(1));
    b.extend(u16le(1));
    b.extend(u64le(heap));
    b.extend(u64le(name_offset));
    b.extend(u64le(0));
    b.extend(u64le(1024));
    b
}

/// Attribute info message pointing at dense storage.
pub fn attribute_info(heap: u64, name_index: u64) -> Vec<u8> {
    let mut b = vec![0, 0];
    b.extend(u64le(heap));
    b.extend(u64le(name_index));
    b
}

/// Fractal heap header: width 4, 512-byte starting blocks, 64 KiB direct blocks,
/// 32-bit heap offsets, 8-byte IDs, root direct block at `root`, huge objects
/// indexed by the v2 B-tree at `huge`.
pub fn fractal_heap(root: u64, huge: u64) -> Vec<u8> {
    let mut b = b"FRHP".to_vec();
    b.push(0);
    b.extend(u16le(8)); // heap ID length
    b.extend(u16le(0)); // no filters
    b.push(0); // flags: no direct block checksums
    b.extend(u32le(4096)); // maximum managed object size
    b.extend(u64le(0)); // next huge object ID
    b.extend(u64le(huge));
    b.extend(u64le(0)); // free space
    b.extend(u64le(UNDEFINED)); // free space manager
    for _ in 0..8 {
        b.extend(u64le(0)); // space and object statistics
    }
    b.extend(u16le(4)); // table width
    b.extend(u64le(512)); // starting block size
    b.extend(u64le(65536)); // maximum direct block size
    b.extend(u16le(32)); // maximum heap size in bits
    b.extend(u16le(1)); // starting root rows
    b.extend(u64le(root));
    b.extend(u16le(0)); // the root is a direct block
    b.extend(u32le(0)); // checksum
    b
}

/// Size of a direct block's header for the heap above (4-byte heap offsets).
pub const DIRECT_BLOCK_HEADER: usize = 4 + 1 + 8 + 4;

/// A 512-byte direct block holding `object` right after its header.
pub fn direct_block(heap: u64, object: &[u8]) -> Vec<u8> {
    let mut b = b"FHDB".to_vec();
    b.push(0);
    b.extend(u64le(heap));
    b.extend(u32le(0)); // block offset in the heap
    b.extend(object);
    b.resize(512, 0);
    b
}

/// Heap ID of a managed object at heap `offset` of `len` bytes (4-byte offsets, 2-byte lengths).
pub fn managed_id(offset: u32, len: u16) -> Vec<u8> {
    let mut id = vec![0];
    id.extend(u32le(offset));
    id.extend(u16le(len));
    id.push(0);
    id
}

/// Record of a huge object's index: address, length, ID.
pub fn huge_record(addr: u64, len: u64, id: u64) -> Vec<u8> {
    let mut r = u64le(addr).to_vec();
    r.extend(u64le(len));
    r.extend(u64le(id));
    r
}

/// v2 B-tree header of `kind` records with its root leaf at `root`.
pub fn btree2_header(kind: u8, record_size: u16, root: u64, records: u16) -> Vec<u8> {
    let mut b = b"BTHD".to_vec();
    b.extend([0, kind]);
    b.extend(u32le(512)); // node size
    b.extend(u16le(record_size));
    b.extend(u16le(0)); // depth
    b.extend([100, 40]);
    b.extend(u64le(root));
    b.extend(u16le(records));
    b.extend(u64le(records as u64));
    b.extend(u32le(0));
    b
}

pub fn btree2_leaf(kind: u8, records: &[Vec<u8>]) -> Vec<u8> {
    let mut b = b"BTLF".to_vec();
    b.extend([0, kind]);
    for r in records {
        b.extend(r);
    }
    b.extend(u32le(0));
    b
}

/// Attribute name index record: heap ID, flags, creation order, hash.
pub fn attribute_record(id: &[u8]) -> Vec<u8> {
    let mut r = id.to_vec();
    r.push(0);
    r.extend(u32le(0));
    r.extend(u32le(0x1234_5678));
    r
}
