//! Version 2 B-trees: the name indexes of dense groups and dense attribute
//! storage, and the index of a fractal heap's huge objects. Only iteration over
//! every record is needed.

use std::collections::BTreeSet;

use super::{Error, File, Result};

/// Records read per tree.
const MAX_RECORDS: usize = 1_000_000;
/// Nodes visited per tree.
const MAX_NODES: usize = 100_000;
/// Tree depth.
const MAX_DEPTH: u16 = 32;
/// Signature, version, type and checksum of every node.
const NODE_OVERHEAD: u64 = 10;

/// Per depth: how many bytes encode a child's record count and its subtree's.
struct Layout {
    record_size: u64,
    count_size: usize,
    /// Indexed by depth: size of a subtree's total record count (0 at depth 0).
    total_sizes: Vec<usize>,
}

/// Bytes needed to encode `n`, as the HDF5 library computes it.
fn encoded_size(n: u64) -> usize {
    (n.max(1).ilog2() / 8 + 1) as usize
}

impl Layout {
    fn new(node_size: u64, record_size: u64, depth: u16, offset_size: u64) -> Option<Self> {
        let leaf_max = node_size.checked_sub(NODE_OVERHEAD)? / record_size;
        let count_size = encoded_size(leaf_max);
        let mut total_sizes = vec![0usize];
        let mut cumulative = u128::from(leaf_max);
        for d in 1..=depth {
            let pointer = offset_size + count_size as u64 + total_sizes[usize::from(d) - 1] as u64;
            let max = node_size.checked_sub(NODE_OVERHEAD + pointer)? / (record_size + pointer);
            cumulative = (u128::from(max) + 1)
                .saturating_mul(cumulative)
                .saturating_add(u128::from(max));
            total_sizes.push(encoded_size(u64::try_from(cumulative).unwrap_or(u64::MAX)));
        }
        Some(Layout {
            record_size,
            count_size,
            total_sizes,
        })
    }
}

impl File<'_> {
    /// Every record of the tree whose header is at `addr`, which must be of `record_type`.
    pub fn btree2_records(&self, addr: u64, record_type: u8) -> Result<Vec<Vec<u8>>> {
        let at = self.absolute(addr)?;
        let s = self.sizes();
        let head = self.read(
            addr,
            22 + u64::from(s.offset) + u64::from(s.length),
            "v2 B-tree header",
        )?;
        let mut c = self.cursor(&head, addr);
        c.signature(b"BTHD", "v2 B-tree header")?;
        c.u8("v2 B-tree version")?;
        let kind = c.u8("v2 B-tree type")?;
        let node_size = u64::from(c.u32("v2 B-tree node size")?);
        let record_size = u64::from(c.u16("v2 B-tree record size")?);
        let depth = c.u16("v2 B-tree depth")?;
        c.skip(2, "split and merge percents")?;
        let root = c.addr("v2 B-tree root address")?;
        let root_count = c.u16("v2 B-tree root record count")?;
        if kind != record_type {
            return Err(Error::malformed(
                at,
                format!("v2 B-tree of type {kind} where type {record_type} was expected"),
            ));
        }
        if depth > MAX_DEPTH {
            return Err(Error::Limit(format!(
                "v2 B-tree depth {depth} exceeds {MAX_DEPTH}"
            )));
        }
        let layout = (record_size > 0)
            .then(|| Layout::new(node_size, record_size, depth, u64::from(s.offset)))
            .flatten()
            .ok_or_else(|| {
                Error::malformed(
                    at,
                    format!("v2 B-tree nodes of {node_size} bytes cannot hold {record_size}-byte records"),
                )
            })?;
        let mut records = Vec::new();
        if let Some(root) = root {
            let mut seen = BTreeSet::new();
            self.btree2_node(
                root,
                depth,
                u64::from(root_count),
                &layout,
                &mut seen,
                &mut records,
            )?;
        }
        Ok(records)
    }

    fn btree2_node(
        &self,
        addr: u64,
        depth: u16,
        count: u64,
        layout: &Layout,
        seen: &mut BTreeSet<u64>,
        records: &mut Vec<Vec<u8>>,
    ) -> Result<()> {
        let at = self.absolute(addr)?;
        if !seen.insert(addr) {
            return Err(Error::malformed(at, "v2 B-tree node is reached twice"));
        }
        if seen.len() > MAX_NODES {
            return Err(Error::Limit(format!(
                "v2 B-tree has more than {MAX_NODES} nodes"
            )));
        }
        if records.len() as u64 + count > MAX_RECORDS as u64 {
            return Err(Error::Limit(format!(
                "v2 B-tree has more than {MAX_RECORDS} records"
            )));
        }
        let o = u64::from(self.sizes().offset);
        let pointer = if depth == 0 {
            0
        } else {
            o + layout.count_size as u64 + layout.total_sizes[usize::from(depth) - 1] as u64
        };
        let children = if depth == 0 { 0 } else { count + 1 };
        let len = 6 + count * layout.record_size + children * pointer;
        let node = self.block(addr, len, "v2 B-tree node")?;
        let mut c = self.cursor(&node, addr);
        c.signature(if depth == 0 { b"BTLF" } else { b"BTIN" }, "v2 B-tree node")?;
        c.skip(2, "node version and type")?;
        for _ in 0..count {
            records.push(
                c.bytes(layout.record_size as usize, "v2 B-tree record")?
                    .to_vec(),
            );
        }
        for _ in 0..children {
            let child = c.addr("v2 B-tree child address")?.ok_or_else(|| {
                Error::malformed(c.offset(), "v2 B-tree child address is undefined")
            })?;
            let child_count = c.uint(layout.count_size, "v2 B-tree child record count")?;
            c.skip(
                layout.total_sizes[usize::from(depth) - 1],
                "v2 B-tree subtree record count",
            )?;
            self.btree2_node(child, depth - 1, child_count, layout, seen, records)?;
        }
        Ok(())
    }
}
