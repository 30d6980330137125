//! Version 1 B-trees of group nodes and the symbol table nodes they point to:
//! how groups written with the original file format list their members.

use std::collections::BTreeSet;

use super::link::MAX_LINKS;
use super::local_heap::LocalHeap;
use super::{Error, File, Link, LinkTarget, Result};

/// Tree nodes and symbol table nodes visited per group.
const MAX_NODES: usize = 100_000;
/// Tree depth.
const MAX_DEPTH: u8 = 64;

impl File<'_> {
    /// Members of a group stored as a symbol table.
    pub fn symbol_table_links(&self, btree: u64, heap: u64) -> Result<Vec<Link>> {
        let heap = self.local_heap(heap)?;
        let mut links = Vec::new();
        let mut seen = BTreeSet::new();
        self.group_node(btree, None, &heap, &mut seen, &mut links)?;
        Ok(links)
    }

    fn group_node(
        &self,
        addr: u64,
        expected_level: Option<u8>,
        heap: &LocalHeap,
        seen: &mut BTreeSet<u64>,
        links: &mut Vec<Link>,
    ) -> Result<()> {
        let at = self.absolute(addr)?;
        if !seen.insert(addr) {
            return Err(Error::malformed(at, "group B-tree node is reached twice"));
        }
        if seen.len() > MAX_NODES {
            return Err(Error::Limit(format!(
                "group B-tree has more than {MAX_NODES} nodes"
            )));
        }
        let s = self.sizes();
        let (o, l) = (u64::from(s.offset), u64::from(s.length));
        let head = self.read(addr, 8 + 2 * o, "group B-tree node")?;
        let mut c = self.cursor(&head, addr);
        c.signature(b"TREE", "group B-tree node")?;
        let node_type = c.u8("B-tree node type")?;
        let level = c.u8("B-tree node level")?;
        let entries = u64::from(c.u16("B-tree entries used")?);
        if node_type != 0 {
            return Err(Error::malformed(
                at,
                format!("group B-tree node of type {node_type}"),
            ));
        }
        if level > MAX_DEPTH || expected_level.is_some_and(|e| e != level) {
            return Err(Error::malformed(
                at,
                format!("group B-tree node at unexpected level {level}"),
            ));
        }
        // Keys and children alternate: key0 child0 key1 ... child(n-1) key(n).
        let body_len = entries * (l + o) + l;
        let body = self.block(addr + 8 + 2 * o, body_len, "group B-tree entries")?;
        let mut c = self.cursor(&body, addr + 8 + 2 * o);
        for _ in 0..entries {
            c.length("B-tree key")?;
            let child = c
                .addr("B-tree child")?
                .ok_or_else(|| Error::malformed(c.offset(), "B-tree child address is undefined"))?;
            if level == 0 {
                self.symbol_node(child, heap, seen, links)?;
            } else {
                self.group_node(child, Some(level - 1), heap, seen, links)?;
            }
        }
        Ok(())
    }

    fn symbol_node(
        &self,
        addr: u64,
        heap: &LocalHeap,
        seen: &mut BTreeSet<u64>,
        links: &mut Vec<Link>,
    ) -> Result<()> {
        let at = self.absolute(addr)?;
        if !seen.insert(addr) {
            return Err(Error::malformed(at, "symbol table node is reached twice"));
        }
        let s = self.sizes();
        let o = u64::from(s.offset);
        let head = self.read(addr, 8, "symbol table node")?;
        let mut c = self.cursor(&head, addr);
        c.signature(b"SNOD", "symbol table node")?;
        c.skip(2, "symbol table node version and reserved")?;
        let count = u64::from(c.u16("number of symbols")?);
        let entry_len = 2 * o + 24;
        let body = self.block(addr + 8, count * entry_len, "symbol table entries")?;
        let mut c = self.cursor(&body, addr + 8);
        for _ in 0..count {
            let name_offset = c.addr("link name offset")?.unwrap_or(u64::MAX);
            let object = c.addr("object header address")?;
            let cache_type = c.u32("cache type")?;
            c.skip(4, "reserved")?;
            let scratch = c.bytes(16, "scratch pad")?;
            let name = heap.string(name_offset)?;
            let target = match (cache_type, object) {
                // A soft link keeps the offset of its value in the heap.
                (2, _) => LinkTarget::Soft(heap.string(u64::from(u32::from_le_bytes(
                    scratch[..4].try_into().expect("4 bytes"),
                )))?),
                (_, Some(addr)) => LinkTarget::Hard(addr),
                (_, None) => {
                    return Err(Error::malformed(
                        c.offset(),
                        format!("member {name:?} has no object header address"),
                    ));
                }
            };
            if links.len() >= MAX_LINKS {
                return Err(Error::Limit(format!(
                    "group has more than {MAX_LINKS} members"
                )));
            }
            links.push(Link { name, target });
        }
        Ok(())
    }
}
