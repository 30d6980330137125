//! A group's members: symbol table, link messages or dense link storage.

use super::{Cursor, Error, File, ObjectHeader, Result, message};

/// Members listed per group.
pub const MAX_LINKS: usize = 1_000_000;
/// B-tree v2 record type of a dense group's name index.
const LINK_NAME_RECORD: u8 = 5;

#[derive(Clone, Debug, PartialEq)]
pub enum LinkTarget {
    /// An object in this file, by object header address.
    Hard(u64),
    /// A path inside this file.
    Soft(String),
    /// An object in another file.
    External { file: String, path: String },
    /// A user-defined link type.
    UserDefined(u8),
}

#[derive(Clone, Debug)]
pub struct Link {
    pub name: String,
    pub target: LinkTarget,
}

impl File<'_> {
    /// Every member of the group whose header is `header` (none if it is not a group).
    pub fn links(&self, header: &ObjectHeader) -> Result<Vec<Link>> {
        let mut links = Vec::new();
        for m in header.find(message::SYMBOL_TABLE) {
            let mut c = Cursor::new(&m.data, m.at, self.sizes());
            let btree = c.addr("symbol table B-tree address")?;
            let heap = c.addr("symbol table heap address")?;
            let (Some(btree), Some(heap)) = (btree, heap) else {
                return Err(Error::malformed(m.at, "symbol table address is undefined"));
            };
            links.extend(self.symbol_table_links(btree, heap)?);
        }
        for m in header.find(message::LINK) {
            links.push(self.link_message(&m.data, m.at)?);
        }
        for m in header.find(message::LINK_INFO) {
            let mut c = Cursor::new(&m.data, m.at, self.sizes());
            c.u8("link info version")?;
            let flags = c.u8("link info flags")?;
            if flags & 1 != 0 {
                c.skip(8, "maximum creation index")?;
            }
            let heap = c.addr("link fractal heap address")?;
            let names = c.addr("link name index address")?;
            if let (Some(heap), Some(names)) = (heap, names) {
                let heap = self.fractal_heap(heap)?;
                for record in self.btree2_records(names, LINK_NAME_RECORD)? {
                    // Record: 4-byte name hash, then the heap ID.
                    let object = self.heap_object(&heap, record.get(4..).unwrap_or_default())?;
                    links.push(self.link_message(&object, heap.at)?);
                    if links.len() > MAX_LINKS {
                        return Err(Error::Limit(format!(
                            "group has more than {MAX_LINKS} members"
                        )));
                    }
                }
            }
        }
        Ok(links)
    }

    fn link_message(&self, bytes: &[u8], at: u64) -> Result<Link> {
        let mut c = Cursor::new(bytes, at, self.sizes());
        let version = c.u8("link version")?;
        if version != 1 {
            return Err(Error::malformed(
                at,
                format!("link message version {version}"),
            ));
        }
        let flags = c.u8("link flags")?;
        let kind = if flags & 0x08 != 0 {
            c.u8("link type")?
        } else {
            0
        };
        if flags & 0x04 != 0 {
            c.skip(8, "link creation order")?;
        }
        if flags & 0x10 != 0 {
            c.skip(1, "link name character set")?;
        }
        let name_len = c.uint(1 << (flags & 3), "link name length")?;
        let name_len = usize::try_from(name_len).unwrap_or(usize::MAX);
        let name = String::from_utf8_lossy(c.bytes(name_len, "link name")?).into_owned();
        let target = match kind {
            0 => LinkTarget::Hard(c.addr("link target address")?.ok_or_else(|| {
                Error::malformed(at, format!("hard link {name:?} has no address"))
            })?),
            1 => {
                let len = usize::from(c.u16("soft link length")?);
                LinkTarget::Soft(
                    String::from_utf8_lossy(c.bytes(len, "soft link value")?).into_owned(),
                )
            }
            64 => {
                let len = usize::from(c.u16("external link length")?);
                let value = c.bytes(len, "external link value")?;
                // One version/flags byte, then "file\0path\0".
                let mut parts = value.get(1..).unwrap_or_default().split(|b| *b == 0);
                let mut next =
                    || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
                LinkTarget::External {
                    file: next(),
                    path: next(),
                }
            }
            other => LinkTarget::UserDefined(other),
        };
        Ok(Link { name, target })
    }
}
