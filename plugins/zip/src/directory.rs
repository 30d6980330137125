//! Locating the end of central directory record (zip64 included) and reading the
//! central directory, as PyTorch's reader (miniz) and Python's `zipfile` do.

use std::io::{self, Read, Seek, SeekFrom};

use cordon_plugin_sdk::Check;

use crate::common::findings::Findings;
use crate::records::*;
use crate::rules;

/// Central directory entries read at most; the rest are reported, not inspected.
pub const MAX_ENTRIES: usize = 1_000_000;
/// Total bytes of entry names kept in memory at most.
pub const MAX_NAME_BYTES: usize = 64 << 20;
/// The end record sits in the last 22 bytes plus at most a 65,535-byte comment.
const END_SEARCH: u64 = END_LEN + u16::MAX as u64;

/// Why the archive could not be read at all.
#[derive(Debug)]
pub enum Failure {
    /// No end record and no zip signature: some other format.
    NotZip,
    /// Structurally broken; `message` says where.
    Broken {
        message: String,
        offset: Option<u64>,
    },
    /// The input itself could not be read.
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn broken(message: impl Into<String>, offset: u64) -> Failure {
    Failure::Broken {
        message: message.into(),
        offset: Some(offset),
    }
}

/// A short read inside a record is damage, not an I/O failure.
fn truncated(what: &str, offset: u64) -> impl FnOnce(io::Error) -> Failure {
    move |e| match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            broken(format!("{what} at offset {offset} is truncated"), offset)
        }
        _ => Failure::Io(e),
    }
}

#[derive(Debug)]
pub struct EndRecord {
    pub offset: u64,
    pub comment_len: u16,
    pub entries: u64,
    pub cd_size: u64,
    pub cd_offset: u64,
    /// Zip64 end record and locator spans, when present.
    pub zip64: Option<Zip64Spans>,
}

#[derive(Debug)]
pub struct Zip64Spans {
    pub record: (u64, u64),
    pub locator: (u64, u64),
}

/// One central directory entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: Vec<u8>,
    pub made_by: u16,
    pub flags: u16,
    pub method: u16,
    pub crc: u32,
    pub compressed: u64,
    pub uncompressed: u64,
    /// Where the local header is in the file (prepended bytes accounted for).
    pub local_offset: u64,
    pub external_attrs: u32,
    /// Where this entry's record is in the central directory.
    pub record_offset: u64,
}

impl Entry {
    pub fn display_name(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }

    /// Unix permission bits, when the entry was made on a Unix-like system.
    pub fn unix_mode(&self) -> Option<u32> {
        const UNIX: u16 = 3;
        const MACOS: u16 = 19;
        matches!(self.made_by >> 8, UNIX | MACOS).then_some(self.external_attrs >> 16)
    }

    pub fn is_symlink(&self) -> bool {
        self.unix_mode().is_some_and(|m| m & 0o170000 == 0o120000)
    }

    /// A Windows reparse point (junction or symlink): DOS attribute 0x400 on an
    /// entry made on MS-DOS, NTFS or VFAT.
    pub fn is_reparse_point(&self) -> bool {
        const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;
        matches!(self.made_by >> 8, 0 | 10 | 11 | 14)
            && self.external_attrs & FILE_ATTRIBUTE_REPARSE_POINT != 0
    }
}

pub struct Directory {
    pub end: EndRecord,
    /// Bytes in front of the archive that its offsets do not count (self-extracting
    /// stubs, polyglots); Python's `zipfile` shifts every offset by this, miniz does not.
    pub shift: u64,
    pub cd_start: u64,
    pub cd_end: u64,
    pub entries: Vec<Entry>,
}

/// Read the end record and the central directory; problems that still let the
/// archive be read are recorded in `findings`.
pub fn read<R: Read + Seek>(
    r: &mut R,
    size: u64,
    findings: &mut Findings,
) -> Result<Directory, Failure> {
    let Some(end_offset) = find_end_record(r, size)? else {
        let head = read_at(r, 0, 4.min(size as usize))?;
        if head == LOCAL_HEADER || head == END_RECORD {
            return Err(Failure::Broken {
                message: format!(
                    "no end of central directory record in the last {END_SEARCH} bytes: the archive is truncated or has more than 64 KiB appended, and zip readers refuse it"
                ),
                offset: None,
            });
        }
        return Err(Failure::NotZip);
    };
    let end = read_end_record(r, end_offset)?;
    let cd_limit = end.zip64.as_ref().map_or(end.offset, |z| z.record.0);
    let Some(shift) = end
        .cd_size
        .checked_add(end.cd_offset)
        .and_then(|cd_end| cd_limit.checked_sub(cd_end))
    else {
        return Err(broken(
            format!(
                "central directory ({} bytes at offset {}) runs past the end record at {cd_limit}",
                end.cd_size, end.cd_offset
            ),
            end.offset,
        ));
    };
    let cd_start = end.cd_offset + shift;
    let cd_end = cd_start + end.cd_size;
    let entries = read_entries(r, cd_start, cd_end, shift, findings)?;
    let declared = end.entries;
    if entries.len() as u64 != declared && entries.len() < MAX_ENTRIES {
        findings.problem(
            rules::STRUCTURE,
            Check::failed(
                rules::STRUCTURE,
                format!(
                    "the end record declares {declared} entries but the central directory holds {}: readers that count entries and readers that read to the end see different members",
                    entries.len()
                ),
            )
            .offset(end.offset)
            .evidence("declared", declared)
            .evidence("found", entries.len()),
        );
    }
    Ok(Directory {
        end,
        shift,
        cd_start,
        cd_end,
        entries,
    })
}

/// Offset of the last end record signature in the tail, where zip readers look for it.
fn find_end_record<R: Read + Seek>(r: &mut R, size: u64) -> io::Result<Option<u64>> {
    if size < END_LEN {
        return Ok(None);
    }
    let tail_start = size - size.min(END_SEARCH);
    let tail = read_at(r, tail_start, (size - tail_start) as usize)?;
    let last = tail.len() - END_LEN as usize;
    Ok((0..=last)
        .rev()
        .find(|&i| &tail[i..i + 4] == END_RECORD)
        .map(|i| tail_start + i as u64))
}

fn read_end_record<R: Read + Seek>(r: &mut R, offset: u64) -> Result<EndRecord, Failure> {
    let buf = read_at(r, offset, END_LEN as usize).map_err(truncated("end record", offset))?;
    let mut f = Fields::new(&buf);
    f.u32();
    let disk = f.u16();
    let cd_disk = f.u16();
    let entries_here = f.u16();
    let entries = f.u16();
    let cd_size = f.u32();
    let cd_offset = f.u32();
    let comment_len = f.u16();
    if disk != 0 || cd_disk != 0 || entries_here != entries {
        return Err(broken(
            format!(
                "split archive (disk {disk}, central directory on disk {cd_disk}): not supported, and PyTorch refuses it too"
            ),
            offset,
        ));
    }
    let mut end = EndRecord {
        offset,
        comment_len,
        entries: entries.into(),
        cd_size: cd_size.into(),
        cd_offset: cd_offset.into(),
        zip64: None,
    };
    if offset >= ZIP64_LOCATOR_LEN {
        let locator_offset = offset - ZIP64_LOCATOR_LEN;
        let locator = read_at(r, locator_offset, ZIP64_LOCATOR_LEN as usize)?;
        if &locator[..4] == ZIP64_LOCATOR {
            read_zip64(r, &mut end, locator_offset, &locator)?;
        }
    }
    let saturated =
        entries == U16_SATURATED || cd_size == U32_SATURATED || cd_offset == U32_SATURATED;
    if saturated && end.zip64.is_none() {
        return Err(broken(
            "the end record defers to a zip64 end record that is missing",
            offset,
        ));
    }
    Ok(end)
}

fn read_zip64<R: Read + Seek>(
    r: &mut R,
    end: &mut EndRecord,
    locator_offset: u64,
    locator: &[u8],
) -> Result<(), Failure> {
    let mut f = Fields::new(locator);
    f.u32();
    let disk = f.u32();
    let declared_offset = f.u64();
    let disks = f.u32();
    if disk != 0 || disks > 1 {
        return Err(broken(
            format!("split zip64 archive ({disks} disks): not supported"),
            locator_offset,
        ));
    }
    // Readers differ: miniz trusts the locator, Python expects the record right before it.
    let adjacent = locator_offset.checked_sub(ZIP64_END_LEN);
    let mut record_offset = None;
    for candidate in [Some(declared_offset), adjacent].into_iter().flatten() {
        if candidate + ZIP64_END_LEN <= locator_offset {
            let head = read_at(r, candidate, 4)?;
            if head == ZIP64_END_RECORD {
                record_offset = Some(candidate);
                break;
            }
        }
    }
    let Some(record_offset) = record_offset else {
        return Err(broken(
            format!(
                "zip64 locator points to offset {declared_offset}, where there is no zip64 end record"
            ),
            locator_offset,
        ));
    };
    let buf = read_at(r, record_offset, ZIP64_END_LEN as usize)?;
    let mut f = Fields::new(&buf);
    f.u32();
    let record_len = f.u64();
    f.u16();
    f.u16();
    let disk = f.u32();
    let cd_disk = f.u32();
    let entries_here = f.u64();
    let entries = f.u64();
    let cd_size = f.u64();
    let cd_offset = f.u64();
    if disk != 0 || cd_disk != 0 || entries_here != entries {
        return Err(broken(
            format!("split zip64 archive (disk {disk}): not supported"),
            record_offset,
        ));
    }
    end.entries = entries;
    end.cd_size = cd_size;
    end.cd_offset = cd_offset;
    // The record's own size field excludes its first 12 bytes; extensible data follows.
    let record_end = record_offset
        .saturating_add(12)
        .saturating_add(record_len)
        .min(locator_offset);
    end.zip64 = Some(Zip64Spans {
        record: (record_offset, record_end.max(record_offset + ZIP64_END_LEN)),
        locator: (locator_offset, locator_offset + ZIP64_LOCATOR_LEN),
    });
    Ok(())
}

fn read_entries<R: Read + Seek>(
    r: &mut R,
    cd_start: u64,
    cd_end: u64,
    shift: u64,
    findings: &mut Findings,
) -> Result<Vec<Entry>, Failure> {
    let mut entries = Vec::new();
    let mut name_bytes = 0usize;
    let mut pos = cd_start;
    r.seek(SeekFrom::Start(pos))?;
    while pos < cd_end {
        let record_offset = pos;
        let stop =
            move |message: String| Check::failed(rules::STRUCTURE, message).offset(record_offset);
        if entries.len() == MAX_ENTRIES || name_bytes > MAX_NAME_BYTES {
            findings.problem(
                rules::STRUCTURE,
                Check::error(
                    rules::STRUCTURE,
                    format!(
                        "central directory holds more than {} entries or {} MiB of names; the rest are not inspected",
                        entries.len(),
                        MAX_NAME_BYTES >> 20
                    ),
                )
                .offset(pos),
            );
            break;
        }
        if cd_end - pos < CENTRAL_LEN {
            findings.problem(
                rules::STRUCTURE,
                stop(format!(
                    "{} stray bytes at the end of the central directory",
                    cd_end - pos
                )),
            );
            break;
        }
        let mut fixed = [0u8; CENTRAL_LEN as usize];
        r.read_exact(&mut fixed)
            .map_err(truncated("central directory entry", pos))?;
        let mut f = Fields::new(&fixed);
        if &f.bytes::<4>() != CENTRAL_HEADER {
            findings.problem(
                rules::STRUCTURE,
                stop(format!(
                    "central directory entry {} has no central header signature; the rest of the directory is unreadable",
                    entries.len()
                )),
            );
            break;
        }
        let made_by = f.u16();
        f.u16();
        let flags = f.u16();
        let method = f.u16();
        f.u32();
        let crc = f.u32();
        let compressed32 = f.u32();
        let uncompressed32 = f.u32();
        let name_len = f.u16() as usize;
        let extra_len = f.u16() as usize;
        let comment_len = f.u16() as i64;
        let disk = f.u16();
        f.u16();
        let external_attrs = f.u32();
        let offset32 = f.u32();
        let mut variable = vec![0u8; name_len + extra_len];
        r.read_exact(&mut variable)
            .map_err(truncated("central directory entry", pos))?;
        r.seek(SeekFrom::Current(comment_len))?;
        let extra = variable.split_off(name_len);
        let name = variable;
        let record_len = CENTRAL_LEN + (name_len + extra_len) as u64 + comment_len as u64;
        let mut zip64 = zip64_values(&extra);
        let mut wide = |narrow: u32| {
            if narrow == U32_SATURATED {
                zip64.next().unwrap_or(narrow.into())
            } else {
                narrow.into()
            }
        };
        let uncompressed = wide(uncompressed32);
        let compressed = wide(compressed32);
        let local = wide(offset32);
        if disk != 0 && disk != U16_SATURATED {
            findings.problem(
                rules::STRUCTURE,
                stop(format!(
                    "entry {:?} claims to start on disk {disk}",
                    String::from_utf8_lossy(&name)
                )),
            );
        }
        name_bytes += name.len();
        entries.push(Entry {
            name,
            made_by,
            flags,
            method,
            crc,
            compressed,
            uncompressed,
            local_offset: local.saturating_add(shift),
            external_attrs,
            record_offset,
        });
        pos += record_len;
        if pos > cd_end {
            findings.problem(
                rules::STRUCTURE,
                stop(format!(
                    "the last central directory entry runs {} bytes past the directory's declared size",
                    pos - cd_end
                )),
            );
        }
    }
    Ok(entries)
}

/// The 64-bit values of a zip64 extra field, in their fixed order.
fn zip64_values(extra: &[u8]) -> impl Iterator<Item = u64> + '_ {
    let data = extra_fields(extra)
        .find(|(id, _)| *id == ZIP64_EXTRA)
        .map_or(&[][..], |(_, d)| d);
    data.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
}
