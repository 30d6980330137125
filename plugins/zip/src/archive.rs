//! Scanning one zip archive: read its directory the way PyTorch does, check every
//! entry, hand the members back, and record what was found.

use std::collections::BTreeSet;
use std::io::{self, BufRead, Seek};

use cordon_plugin_sdk::{Check, ScanError, ScanOutput, Severity};

use crate::common::findings::Findings;
use crate::common::members::{Members, header};
use crate::common::paths::MAX_PATH_BYTES;
use crate::directory::{self, Directory, Entry, Failure};
use crate::extract::{self, Outcome, read_prefix};
use crate::layout::{self, Owner, Span};
use crate::local::{self, Local};
use crate::records::{END_LEN, LOCAL_HEADER, method_name, read_at};
use crate::torch::{self, Layout, Role};
use crate::{flags, names, rules};

/// Unlisted regions handed back to be scanned, at most.
const MAX_UNLISTED_MEMBERS: usize = 16;
/// How far into an unlisted region to look for a hidden local header.
const HIDDEN_HEADER_SEARCH: u64 = 1 << 20;

pub fn scan<R: BufRead + Seek>(
    r: &mut R,
    size: u64,
    members: &mut dyn Members,
) -> Result<ScanOutput, ScanError> {
    let mut out = ScanOutput::default();
    let mut findings = Findings::default();
    let directory = match directory::read(r, size, &mut findings) {
        Ok(directory) => directory,
        Err(Failure::NotZip) => {
            return Err(ScanError::Unsupported(
                "no zip end of central directory record and no zip signature".into(),
            ));
        }
        Err(Failure::Io(e)) => return Err(io_error(e)),
        Err(Failure::Broken { message, offset }) => {
            out.meta("format", "zip");
            let mut check = Check::error(rules::STRUCTURE, message);
            if let Some(offset) = offset {
                check = check.offset(offset);
            }
            findings.problem(rules::STRUCTURE, check);
            findings.emit(&mut out);
            return Ok(out);
        }
    };
    out.meta("format", "zip");
    let entries = &directory.entries;
    let locals = read_locals(r, entries, size, &mut findings)?;
    names::check(entries, &locals, &mut findings);
    flags::check(entries, &locals, &mut findings);
    let unlisted = check_layout(r, &directory, &locals, size, &mut findings)?;
    let torch = torch::detect(entries.iter().map(|e| e.name.as_slice()));
    let handed = hand_back_all(r, entries, &locals, torch.as_ref(), members, &mut findings)?;
    for &(start, end) in unlisted.iter().take(MAX_UNLISTED_MEMBERS) {
        let name = format!("unlisted-bytes@{start}");
        // A refusal is a member-count limit, which the host records.
        let _ = members.range(
            &header(name, None, Some(end - start), None),
            start,
            end - start,
        );
    }
    metadata(r, &directory, torch.as_ref(), &locals, &handed, &mut out)?;
    findings.emit(&mut out);
    Ok(out)
}

/// A skops archive: a top-level `schema.json` and otherwise only the top-level
/// `.npy` arrays the schema references.
fn is_skops(entries: &[Entry]) -> bool {
    let top_level = |n: &[u8]| !n.contains(&b'/');
    entries.iter().any(|e| e.name == b"schema.json")
        && entries
            .iter()
            .all(|e| e.name == b"schema.json" || (top_level(&e.name) && e.name.ends_with(b".npy")))
}

/// A model bundle recognised by its members.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bundle {
    Skops,
    /// Keras v3 `.keras`: `config.json` and `metadata.json` beside the weights.
    Keras,
    Other,
}

fn bundle(entries: &[Entry]) -> Bundle {
    let has = |name: &[u8]| entries.iter().any(|e| e.name == name);
    if is_skops(entries) {
        Bundle::Skops
    } else if has(b"config.json") && has(b"metadata.json") {
        Bundle::Keras
    } else {
        Bundle::Other
    }
}

/// Hints for the manifests of model bundles (skops, Keras, TorchServe `.mar`),
/// which their plugins cannot claim by extension alone.
fn bundle_hint(name: &[u8], bundle: Bundle) -> Option<&'static str> {
    match (name, bundle) {
        (b"schema.json", Bundle::Skops) => Some("skops-schema"),
        (b"config.json" | b"metadata.json", Bundle::Keras) => Some("keras-config"),
        (b"MAR-INF/MANIFEST.json", _) => Some("torchserve-manifest"),
        _ => None,
    }
}

fn io_error(e: io::Error) -> ScanError {
    ScanError::Io(e.to_string())
}

fn read_locals<R: BufRead + Seek>(
    r: &mut R,
    entries: &[Entry],
    size: u64,
    findings: &mut Findings,
) -> Result<Vec<Option<Local>>, ScanError> {
    let mut locals = Vec::with_capacity(entries.len());
    for entry in entries {
        let local = match local::read(r, entry, size) {
            Ok(local) => local,
            Err(Failure::Io(e)) => return Err(io_error(e)),
            Err(Failure::Broken { message, offset }) => {
                let check = Check::failed(
                    rules::STRUCTURE,
                    format!("member {:?}: {message}", entry.display_name()),
                )
                .member(entry.display_name())
                .offset(offset.unwrap_or(entry.local_offset));
                findings.problem(rules::STRUCTURE, check);
                locals.push(None);
                continue;
            }
            Err(Failure::NotZip) => unreachable!("local headers are read from a zip"),
        };
        if local.method != entry.method {
            findings.problem(
                rules::STRUCTURE,
                Check::failed(
                    rules::STRUCTURE,
                    format!(
                        "member {:?}: local header says method {} ({}), the central directory {} ({}); readers use the central one",
                        entry.display_name(),
                        local.method,
                        method_name(local.method),
                        entry.method,
                        method_name(entry.method)
                    ),
                )
                .member(entry.display_name())
                .offset(entry.local_offset),
            );
        }
        locals.push(Some(local));
    }
    findings.passed(
        rules::STRUCTURE,
        format!(
            "end record, central directory and {} local headers are consistent",
            entries.len()
        ),
    );
    Ok(locals)
}

/// Record regions nobody owns and shared bytes; returns the unowned regions.
fn check_layout<R: BufRead + Seek>(
    r: &mut R,
    directory: &Directory,
    locals: &[Option<Local>],
    size: u64,
    findings: &mut Findings,
) -> Result<Vec<(u64, u64)>, ScanError> {
    let end = &directory.end;
    let mut spans = vec![
        Span {
            start: directory.cd_start,
            end: directory.cd_end,
            owner: Owner::Structure("the central directory"),
        },
        Span {
            start: end.offset,
            end: (end.offset + END_LEN + u64::from(end.comment_len)).min(size),
            owner: Owner::Structure("the end of central directory record"),
        },
    ];
    if let Some(zip64) = &end.zip64 {
        for (range, what) in [
            (zip64.record, "the zip64 end record"),
            (zip64.locator, "the zip64 locator"),
        ] {
            spans.push(Span {
                start: range.0,
                end: range.1,
                owner: Owner::Structure(what),
            });
        }
    }
    for (i, (entry, local)) in directory.entries.iter().zip(locals).enumerate() {
        if let Some(local) = local {
            spans.push(Span {
                start: entry.local_offset,
                end: local.span_end,
                owner: Owner::Member(i),
            });
        }
    }
    let layout = layout::analyze(spans, size);
    let describe = |owner: &Owner| match owner {
        Owner::Member(i) => format!("member {:?}", directory.entries[*i].display_name()),
        Owner::Structure(what) => what.to_string(),
    };
    for (first, second, offset) in &layout.overlaps {
        let mut check = Check::failed(
            rules::OVERLAP,
            format!(
                "{} and {} share bytes from offset {offset}",
                describe(first),
                describe(second)
            ),
        )
        .offset(*offset);
        if let Owner::Member(i) = second {
            check = check.member(directory.entries[*i].display_name());
        }
        findings.problem(rules::OVERLAP, check);
    }
    findings.passed(rules::OVERLAP, "no two members share bytes");
    let first_member = layout.gaps.first().map(|g| g.0) == Some(0);
    for (i, &(start, end)) in layout.gaps.iter().enumerate() {
        let len = end - start;
        let mut message = if i == 0 && first_member {
            format!(
                "{len} bytes precede the first member (prepended data: a self-extracting stub or a polyglot)"
            )
        } else if end == size {
            format!("{len} bytes follow the end of central directory record (appended data)")
        } else {
            format!(
                "{len} bytes at offset {start} belong to no member listed in the central directory"
            )
        };
        if start == 0 && directory.shift > 0 {
            message.push_str(&format!(
                "; the archive's offsets are shifted by {} bytes, which Python's zipfile compensates and PyTorch's reader does not",
                directory.shift
            ));
        }
        let search = read_at(r, start, len.min(HIDDEN_HEADER_SEARCH) as usize).map_err(io_error)?;
        if search.windows(4).any(|w| w == LOCAL_HEADER) {
            message.push_str(
                ", and contain a local file header: a member hidden from the central directory",
            );
        }
        let head: String = search.iter().take(16).map(|b| format!("{b:02x}")).collect();
        findings.problem(
            rules::OUTSIDE_DATA,
            Check::failed(rules::OUTSIDE_DATA, message)
                .offset(start)
                .member(format!("unlisted-bytes@{start}"))
                .evidence("length", len)
                .evidence("first_bytes", head),
        );
    }
    findings.passed(
        rules::OUTSIDE_DATA,
        "every byte belongs to a member, the central directory or the end record",
    );
    Ok(layout.gaps)
}

/// What handing the members back observed, for the metadata.
#[derive(Default)]
struct HandedBack {
    members: usize,
    storages: usize,
    storage_bytes: u64,
    encrypted: usize,
}

fn hand_back_all<R: BufRead + Seek>(
    r: &mut R,
    entries: &[Entry],
    locals: &[Option<Local>],
    torch: Option<&Layout>,
    members: &mut dyn Members,
    findings: &mut Findings,
) -> Result<HandedBack, ScanError> {
    let mut handed = HandedBack::default();
    let mut crc_verified = 0usize;
    let mut symlinks = 0usize;
    let bundle = bundle(entries);
    for (entry, local) in entries.iter().zip(locals) {
        let Some(local) = local else { continue };
        let encrypted = flags::is_encrypted(entry, Some(local));
        handed.encrypted += encrypted as usize;
        if entry.is_symlink() {
            symlinks += 1;
            let target =
                read_prefix(r, entry, local.data_start, MAX_PATH_BYTES + 1).map_err(io_error)?;
            names::check_symlink(entry, &target, findings);
        }
        if entry.is_reparse_point() {
            symlinks += 1;
            findings.problem(
                rules::SYMLINK_ESCAPE,
                Check::failed(
                    rules::SYMLINK_ESCAPE,
                    format!(
                        "member {:?} is a Windows reparse point (junction or symlink): an extractor that honours it can write outside the folder",
                        entry.display_name()
                    ),
                )
                .member(entry.display_name()),
            );
        }
        if entry.compressed == 0 {
            if encrypted {
                report_encrypted(entry, false, findings);
            }
            continue;
        }
        if !extract::supported(entry.method) {
            findings.problem(
                rules::METHOD,
                Check::error(
                    rules::METHOD,
                    format!(
                        "member {:?} uses compression method {} ({}), which is not decoded: its content was not scanned",
                        entry.display_name(),
                        entry.method,
                        method_name(entry.method)
                    ),
                )
                .member(entry.display_name())
                .evidence("method", entry.method),
            );
            if encrypted {
                report_encrypted(entry, false, findings);
            }
            continue;
        }
        let role = torch.map_or(Role::Other, |t| t.role(&entry.name));
        if role == Role::Storage {
            let head =
                read_prefix(r, entry, local.data_start, torch::SNIFF_BYTES).map_err(io_error)?;
            if !torch::looks_like_pickle(&head) {
                handed.storages += 1;
                handed.storage_bytes += entry.uncompressed;
                continue;
            }
            findings.problem(
                rules::STORAGE_PICKLE,
                Check::failed(
                    rules::STORAGE_PICKLE,
                    format!(
                        "tensor storage {:?} starts like a pickle stream; handed back to be scanned as one",
                        entry.display_name()
                    ),
                )
                .member(entry.display_name()),
            );
        }
        // Storages get no hint: the pickle plugin then treats a broken stream
        // without imports as the raw tensor bytes it most likely is.
        let hint = match role {
            Role::Pickle => Some("pickle"),
            Role::Code => Some("torchscript"),
            Role::Storage => None,
            Role::Other => bundle_hint(&entry.name, bundle),
        };
        let member = header(
            entry.display_name(),
            hint,
            Some(entry.uncompressed),
            Some(entry.compressed),
        );
        let outcome =
            extract::hand_back(r, entry, local.data_start, &member, members).map_err(io_error)?;
        handed.members += 1;
        if encrypted {
            let plaintext = matches!(outcome, Outcome::Complete { crc, .. } if crc == entry.crc);
            report_encrypted(entry, plaintext, findings);
            continue;
        }
        crc_verified += judge(entry, outcome, findings) as usize;
    }
    let mut crc_message = format!("CRC-32 matches for the {crc_verified} members read");
    if handed.storages > 0 {
        crc_message.push_str(&format!(
            "; {} tensor storages were not read",
            handed.storages
        ));
    }
    findings.passed(rules::CRC, crc_message);
    findings.passed(
        rules::MEMBER_DATA,
        format!("{crc_verified} members decode completely to their declared sizes"),
    );
    findings.passed(rules::METHOD, "every member is stored or deflated");
    findings.passed(rules::ENCRYPTED, "no member is encrypted");
    findings.passed(
        rules::SYMLINK_ESCAPE,
        format!("{symlinks} symbolic links, none leaving the archive"),
    );
    if torch.is_some() {
        findings.passed(
            rules::STORAGE_PICKLE,
            format!(
                "{} tensor storages start with raw data, not a pickle",
                handed.storages
            ),
        );
    }
    Ok(handed)
}

/// Record what streaming one member showed; true when its CRC was verified.
fn judge(entry: &Entry, outcome: Outcome, findings: &mut Findings) -> bool {
    let name = entry.display_name();
    match outcome {
        Outcome::Refused | Outcome::CutOff => false,
        Outcome::Complete {
            bytes,
            crc,
            unused_input,
        } => {
            if crc != entry.crc {
                findings.problem(
                    rules::CRC,
                    Check::failed(
                        rules::CRC,
                        format!(
                            "member {name:?}: CRC-32 of its data is 0x{crc:08x} but the archive records 0x{:08x}; PyTorch loads it anyway, Python's zipfile refuses it",
                            entry.crc
                        ),
                    )
                    .member(&name)
                    .evidence("computed", format!("0x{crc:08x}"))
                    .evidence("recorded", format!("0x{:08x}", entry.crc)),
                );
            }
            if bytes != entry.uncompressed {
                findings.problem(
                    rules::MEMBER_DATA,
                    Check::failed(
                        rules::MEMBER_DATA,
                        format!(
                            "member {name:?} holds {bytes} bytes but declares {}",
                            entry.uncompressed
                        ),
                    )
                    .member(&name)
                    .evidence("actual", bytes)
                    .evidence("declared", entry.uncompressed),
                );
            }
            if unused_input > 0 {
                findings.problem(
                    rules::MEMBER_DATA,
                    Check::failed(
                        rules::MEMBER_DATA,
                        format!(
                            "{unused_input} bytes follow the end of the deflate stream inside member {name:?}"
                        ),
                    )
                    .member(&name)
                    .evidence("hidden_bytes", unused_input),
                );
            }
            true
        }
        Outcome::Failed { bytes, error } => {
            findings.problem(
                rules::MEMBER_DATA,
                Check::failed(
                    rules::MEMBER_DATA,
                    format!(
                        "member {name:?}: {error}; the {bytes} bytes decoded before were scanned"
                    ),
                )
                .member(&name),
            );
            false
        }
    }
}

/// Traditional PKWARE encryption prefixes the data with a 12-byte header.
const ZIPCRYPTO_HEADER: u64 = 12;

fn report_encrypted(entry: &Entry, plaintext: bool, findings: &mut Findings) {
    let name = entry.display_name();
    let message = if plaintext {
        format!(
            "member {name:?} is flagged as encrypted but its bytes are plaintext (their CRC-32 matches): readers that honour the flag skip it, PyTorch loads it; it was handed back and scanned"
        )
    } else {
        format!("member {name:?} is encrypted: its content cannot be inspected")
    };
    let scheme = if entry.method == 99 {
        "AES"
    } else if entry.method == extract::STORED
        && entry.compressed == entry.uncompressed + ZIPCRYPTO_HEADER
    {
        "traditional PKWARE"
    } else {
        "unknown"
    };
    findings.problem(
        rules::ENCRYPTED,
        Check::failed(rules::ENCRYPTED, message)
            .severity(Severity::High)
            .member(&name)
            .evidence("scheme", scheme)
            .evidence("plaintext", plaintext),
    );
}

fn metadata<R: BufRead + Seek>(
    r: &mut R,
    directory: &Directory,
    torch: Option<&Layout>,
    locals: &[Option<Local>],
    handed: &HandedBack,
    out: &mut ScanOutput,
) -> Result<(), ScanError> {
    let entries = &directory.entries;
    out.meta("member-count", entries.len());
    out.meta("members-handed-back", handed.members);
    let declared: u64 = entries
        .iter()
        .fold(0u64, |sum, e| sum.saturating_add(e.uncompressed));
    out.meta("declared-uncompressed-bytes", declared);
    let methods: BTreeSet<&str> = entries.iter().map(|e| method_name(e.method)).collect();
    out.meta(
        "compression-methods",
        methods.into_iter().collect::<Vec<_>>().join(","),
    );
    out.meta("zip64", yes_no(directory.end.zip64.is_some()));
    if handed.encrypted > 0 {
        out.meta("encrypted-members", handed.encrypted);
    }
    if directory.end.comment_len > 0 {
        out.meta("comment-bytes", directory.end.comment_len);
    }
    out.meta("torch-layout", yes_no(torch.is_some()));
    let Some(torch) = torch else { return Ok(()) };
    if !torch.prefix.is_empty() {
        out.meta("torch-archive-folder", torch.prefix.trim_end_matches('/'));
    }
    out.meta("torchscript", yes_no(torch.torchscript));
    out.meta("tensor-storage-count", handed.storages);
    out.meta("tensor-storage-bytes", handed.storage_bytes);
    let version_names = [
        format!("{}version", torch.prefix),
        format!("{}.data/version", torch.prefix),
    ];
    let version = entries
        .iter()
        .zip(locals)
        .find(|(e, _)| version_names.iter().any(|n| e.name == n.as_bytes()));
    if let Some((entry, Some(local))) = version {
        let bytes = read_prefix(r, entry, local.data_start, 16).map_err(io_error)?;
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            out.meta("torch-format-version", text);
        }
    }
    Ok(())
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}
