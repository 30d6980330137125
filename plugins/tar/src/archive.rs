//! Walking a tar archive header by header: members go back to the host as byte
//! ranges of the input (tar stores data uncompressed), every entry is checked.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Read, Seek, SeekFrom};

use cordon_plugin_sdk::{Check, ScanError, ScanOutput, Severity};

use crate::common::findings::Findings;
use crate::common::members::{Members, header as member_header};
use crate::common::paths::{link_escapes, path_problems};
use crate::extended::{self, MAX_LONG_NAME, MAX_PAX_BYTES, Pax};
use crate::header::{self as block, BLOCK, Flavour, Header};
use crate::rules;

/// Entries inspected at most; the rest are reported, not inspected.
pub const MAX_ENTRIES: usize = 1_000_000;

pub fn scan<R: Read + Seek>(
    r: &mut R,
    size: u64,
    members: &mut dyn Members,
) -> Result<ScanOutput, ScanError> {
    let mut walk = Walk {
        r,
        size,
        members,
        findings: Findings::default(),
        pending: Pending::default(),
        names: HashMap::new(),
        stats: Stats::default(),
    };
    let end = walk.entries()?;
    let mut out = ScanOutput::default();
    out.meta("format", "tar");
    walk.after_end(end)?;
    walk.stats.record(&mut out);
    walk.findings.emit(&mut out);
    Ok(out)
}

/// Where the walk stopped.
enum End {
    /// At the end-of-archive zero block at this offset.
    Marker(u64),
    /// The file ended on a block boundary with no end marker.
    Missing,
    /// A header was unreadable; the rest of the file from this offset is unseen.
    Broken(u64),
    /// A member's data runs past the end of the file (what there is was handed back).
    Truncated,
    /// Too many entries; the rest was not inspected.
    Capped,
}

/// Extended headers waiting for the member they describe.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax: Pax,
}

#[derive(Default)]
struct Stats {
    entries: usize,
    handed_back: usize,
    declared_bytes: u64,
    links: usize,
    flavours: BTreeSet<&'static str>,
    kinds: BTreeMap<&'static str, usize>,
}

impl Stats {
    fn flavour(&mut self, name: &'static str) {
        self.flavours.insert(name);
    }

    fn record(&self, out: &mut ScanOutput) {
        let flavours: Vec<_> = self.flavours.iter().copied().collect();
        out.meta("tar-flavour", flavours.join(","));
        out.meta("member-count", self.entries);
        out.meta("members-handed-back", self.handed_back);
        out.meta("declared-bytes", self.declared_bytes);
        let kinds: Vec<String> = self.kinds.iter().map(|(k, n)| format!("{k}={n}")).collect();
        out.meta("entry-types", kinds.join(","));
    }
}

struct Walk<'a, R> {
    r: &'a mut R,
    size: u64,
    members: &'a mut dyn Members,
    findings: Findings,
    pending: Pending,
    /// Non-directory member names and how often each occurs.
    names: HashMap<Vec<u8>, usize>,
    stats: Stats,
}

impl<R: Read + Seek> Walk<'_, R> {
    fn entries(&mut self) -> Result<End, ScanError> {
        let mut pos = 0u64;
        loop {
            if self.stats.entries >= MAX_ENTRIES {
                self.findings.problem(
                    rules::STRUCTURE,
                    Check::error(
                        rules::STRUCTURE,
                        format!("more than {MAX_ENTRIES} entries; the rest are not inspected"),
                    )
                    .offset(pos),
                );
                return Ok(End::Capped);
            }
            if pos + BLOCK > self.size {
                if pos < self.size {
                    self.structure(
                        pos,
                        Check::error(
                            rules::STRUCTURE,
                            format!(
                                "the archive ends inside a header block at offset {pos} (truncated)"
                            ),
                        ),
                    );
                    return Ok(End::Broken(pos));
                }
                return Ok(End::Missing);
            }
            let data = self.read(pos, BLOCK)?;
            let data: [u8; BLOCK as usize] = data.try_into().expect("one block");
            if block::is_zero(&data) {
                return Ok(End::Marker(pos));
            }
            let header = match block::parse(&data) {
                Ok(header) => header,
                Err(invalid) if pos == 0 && &data[257..262] != b"ustar" => {
                    return Err(ScanError::Unsupported(format!(
                        "not a tar header: {invalid}"
                    )));
                }
                Err(invalid) => {
                    self.structure(
                        pos,
                        Check::failed(
                            rules::STRUCTURE,
                            format!("header at offset {pos}: {invalid}; tar readers stop here"),
                        ),
                    );
                    return Ok(End::Broken(pos));
                }
            };
            match self.member(pos, header)? {
                Some(next) => pos = next,
                None => return Ok(End::Truncated),
            }
        }
    }

    /// Handle the header at `pos`; the offset of the next header, or `None` when
    /// the member's data runs past the end of the file.
    fn member(&mut self, pos: u64, header: Header) -> Result<Option<u64>, ScanError> {
        self.stats.flavour(match header.flavour {
            Flavour::Ustar => "ustar",
            Flavour::Gnu => "gnu",
            Flavour::V7 => "v7",
        });
        let data_start = pos + BLOCK;
        let size = match header.kind {
            b'x' | b'g' | b'L' | b'K' => header.size,
            _ => self.pending.pax.size.unwrap_or(header.size),
        };
        let available = self.size - data_start;
        if size > available {
            let name = String::from_utf8_lossy(&self.member_name(&header)).into_owned();
            self.structure(
                pos,
                Check::error(
                    rules::STRUCTURE,
                    format!(
                        "member {name:?} declares {size} bytes but only {available} follow its header (truncated)"
                    ),
                )
                .member(&name),
            );
            // What is there is still what a reader would extract before failing.
            if available > 0 {
                let _ = self.members.range(
                    &member_header(name, None, Some(size), None),
                    data_start,
                    available,
                );
            }
            return Ok(None);
        }
        let next = data_start + size.div_ceil(BLOCK) * BLOCK;
        match header.kind {
            b'x' | b'g' => {
                self.stats.flavour("pax");
                if let Some(data) = self.extended(pos, data_start, size, MAX_PAX_BYTES, "PAX")? {
                    match extended::parse_pax(&data) {
                        // Global records are rare and apply to every later member; only per-member ones are honoured.
                        Ok(pax) if header.kind == b'x' => self.pending.pax = pax,
                        Ok(_) => {}
                        Err(problem) => self.structure(
                            pos,
                            Check::failed(
                                rules::STRUCTURE,
                                format!("extended header at offset {pos}: {problem}"),
                            ),
                        ),
                    }
                }
            }
            b'L' => {
                let data = self.extended(pos, data_start, size, MAX_LONG_NAME, "GNU long name")?;
                self.pending.long_name = data.map(|d| extended::long_name(&d));
            }
            b'K' => {
                let data = self.extended(pos, data_start, size, MAX_LONG_NAME, "GNU long link")?;
                self.pending.long_link = data.map(|d| extended::long_name(&d));
            }
            _ => self.entry(pos, data_start, size, header),
        }
        Ok(Some(next))
    }

    /// The data of an extended header, or `None` (recorded) when it is over `cap`.
    fn extended(
        &mut self,
        pos: u64,
        data_start: u64,
        size: u64,
        cap: u64,
        what: &str,
    ) -> Result<Option<Vec<u8>>, ScanError> {
        if size > cap {
            self.structure(
                pos,
                Check::failed(
                    rules::STRUCTURE,
                    format!("{what} header at offset {pos} holds {size} bytes, over the {cap}-byte limit; ignored"),
                ),
            );
            return Ok(None);
        }
        self.read(data_start, size).map(Some)
    }

    fn member_name(&self, header: &Header) -> Vec<u8> {
        let pending = &self.pending;
        pending
            .pax
            .path
            .clone()
            .or_else(|| pending.long_name.clone())
            .unwrap_or_else(|| header.name.clone())
    }

    fn entry(&mut self, pos: u64, data_start: u64, size: u64, header: Header) {
        let name = self.member_name(&header);
        let pending = std::mem::take(&mut self.pending);
        let link = pending
            .pax
            .linkpath
            .or(pending.long_link)
            .unwrap_or(header.link);
        let display = String::from_utf8_lossy(&name).into_owned();
        self.stats.entries += 1;
        let problems = path_problems(&name);
        if !problems.is_empty() {
            self.findings.problem(
                rules::UNSAFE_PATH,
                Check::failed(
                    rules::UNSAFE_PATH,
                    format!("member path {display:?} {}", problems.join(", ")),
                )
                .member(&display)
                .offset(pos),
            );
        }
        let kind = Kind::of(header.kind, header.flavour, &name);
        *self.stats.kinds.entry(kind.label()).or_default() += 1;
        if kind != Kind::Directory {
            *self.names.entry(name.clone()).or_default() += 1;
        }
        match kind {
            Kind::Regular if pending.pax.sparse => {
                self.unusual(pos, &display, "a PAX sparse file: its sparse map and stored segments were scanned as they are, without the holes");
                self.hand_back(&display, data_start, size);
            }
            Kind::Regular => self.hand_back(&display, data_start, size),
            Kind::Directory => {}
            Kind::HardLink | Kind::SymLink => {
                self.stats.links += 1;
                let hard = kind == Kind::HardLink;
                if link_escapes(&name, &link, hard) {
                    let target = String::from_utf8_lossy(&link);
                    self.findings.problem(
                        rules::LINK_ESCAPE,
                        Check::failed(
                            rules::LINK_ESCAPE,
                            format!(
                                "{} {display:?} points to {target:?}, outside the extraction directory",
                                if hard { "hard link" } else { "symbolic link" }
                            ),
                        )
                        .member(&display)
                        .offset(pos)
                        .evidence("target", target),
                    );
                }
            }
            Kind::Special(what) => {
                self.findings.problem(
                    rules::SPECIAL_FILE,
                    Check::failed(
                        rules::SPECIAL_FILE,
                        format!("member {display:?} is a {what}"),
                    )
                    .member(&display)
                    .offset(pos),
                );
            }
            Kind::Unusual(what) => {
                self.unusual(
                    pos,
                    &display,
                    &format!("{what}; its stored data was scanned as a regular file"),
                );
                self.hand_back(&display, data_start, size);
            }
        }
    }

    fn unusual(&mut self, pos: u64, display: &str, what: &str) {
        self.findings.problem(
            rules::ENTRY_TYPE,
            Check::failed(rules::ENTRY_TYPE, format!("member {display:?} is {what}"))
                .member(display)
                .offset(pos),
        );
    }

    fn hand_back(&mut self, name: &str, data_start: u64, size: u64) {
        self.stats.declared_bytes = self.stats.declared_bytes.saturating_add(size);
        if size == 0 {
            return;
        }
        // A refusal is a member-count limit, which the host records.
        if self
            .members
            .range(
                &member_header(name, None, Some(size), None),
                data_start,
                size,
            )
            .is_ok()
        {
            self.stats.handed_back += 1;
        }
    }

    /// Checks made once the walk stopped: the end marker, trailing data, names.
    fn after_end(&mut self, end: End) -> Result<(), ScanError> {
        let hidden_from = match end {
            End::Marker(at) => self.first_nonzero(at)?,
            End::Missing => {
                self.structure(
                    self.size,
                    Check::failed(
                        rules::STRUCTURE,
                        "the archive ends without its end-of-archive zero blocks (truncated or appended to)",
                    )
                    .severity(Severity::Low),
                );
                None
            }
            End::Broken(at) => Some(at),
            End::Truncated | End::Capped => None,
        };
        if let Some(at) = hidden_from {
            let len = self.size - at;
            let name = format!("unlisted-bytes@{at}");
            if matches!(end, End::Marker(_)) {
                self.findings.problem(
                    rules::TRAILING,
                    Check::failed(
                        rules::TRAILING,
                        format!("{len} bytes at offset {at} follow the end-of-archive blocks"),
                    )
                    .offset(at)
                    .member(&name)
                    .evidence("length", len),
                );
            }
            // Unseen by tar readers, so scanned on its own.
            let _ = self
                .members
                .range(&member_header(name, None, Some(len), None), at, len);
        }
        self.findings.passed(
            rules::TRAILING,
            "nothing but zero padding follows the end-of-archive blocks",
        );
        self.findings.passed(
            rules::STRUCTURE,
            format!(
                "{} headers pass their checksums and the archive ends with its end-of-archive blocks",
                self.stats.entries
            ),
        );
        let mut duplicates: Vec<_> = self.names.iter().filter(|(_, n)| **n > 1).collect();
        duplicates.sort();
        for (name, count) in duplicates {
            let name = String::from_utf8_lossy(name).into_owned();
            self.findings.problem(
                rules::DUPLICATE_NAME,
                Check::failed(
                    rules::DUPLICATE_NAME,
                    format!("{count} members are named {name:?}; the last one wins on extraction"),
                )
                .member(&name)
                .evidence("occurrences", count),
            );
        }
        let entries = self.stats.entries;
        self.findings.passed(
            rules::DUPLICATE_NAME,
            format!("{entries} member names are unique"),
        );
        self.findings.passed(
            rules::UNSAFE_PATH,
            format!("{entries} member paths stay inside the extraction directory"),
        );
        self.findings.passed(
            rules::LINK_ESCAPE,
            format!("{} links, none leaving the archive", self.stats.links),
        );
        self.findings
            .passed(rules::SPECIAL_FILE, "no device files or FIFOs");
        self.findings.passed(
            rules::ENTRY_TYPE,
            "every entry is a regular file, a directory or a link",
        );
        Ok(())
    }

    /// The first non-zero byte at or after `from`, if any.
    fn first_nonzero(&mut self, from: u64) -> Result<Option<u64>, ScanError> {
        self.r.seek(SeekFrom::Start(from)).map_err(io_error)?;
        let mut at = from;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = self.r.read(&mut buf).map_err(io_error)?;
            if n == 0 {
                return Ok(None);
            }
            if let Some(i) = buf[..n].iter().position(|b| *b != 0) {
                return Ok(Some(at + i as u64));
            }
            at += n as u64;
        }
    }

    fn structure(&mut self, pos: u64, check: Check) {
        self.findings.problem(rules::STRUCTURE, check.offset(pos));
    }

    fn read(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, ScanError> {
        self.r.seek(SeekFrom::Start(offset)).map_err(io_error)?;
        let mut buf = vec![0u8; len as usize];
        self.r.read_exact(&mut buf).map_err(io_error)?;
        Ok(buf)
    }
}

fn io_error(e: io::Error) -> ScanError {
    ScanError::Io(e.to_string())
}

/// What an entry is, from its type flag.
#[derive(Debug, PartialEq)]
enum Kind {
    Regular,
    Directory,
    HardLink,
    SymLink,
    Special(&'static str),
    Unusual(&'static str),
}

impl Kind {
    fn of(flag: u8, flavour: Flavour, name: &[u8]) -> Kind {
        match flag {
            // Pre-POSIX archives mark directories with a trailing slash only.
            b'0' | 0 if flavour == Flavour::V7 && name.ends_with(b"/") => Kind::Directory,
            b'0' | 0 | b'7' => Kind::Regular,
            b'1' => Kind::HardLink,
            b'2' => Kind::SymLink,
            b'3' => Kind::Special("character device"),
            b'4' => Kind::Special("block device"),
            b'5' => Kind::Directory,
            b'6' => Kind::Special("FIFO"),
            b'S' => Kind::Unusual("a GNU sparse file"),
            b'V' => Kind::Unusual("a GNU volume label"),
            b'M' => Kind::Unusual("a GNU multi-volume continuation"),
            b'D' => Kind::Unusual("a GNU dump directory"),
            _ => Kind::Unusual("of an unknown entry type"),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Kind::Regular => "regular",
            Kind::Directory => "directory",
            Kind::HardLink => "hardlink",
            Kind::SymLink => "symlink",
            Kind::Special(what) | Kind::Unusual(what) => what,
        }
    }
}
