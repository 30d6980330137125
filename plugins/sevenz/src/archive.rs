//! Reading a 7z archive with `sevenz-rust2` inside the sandbox: list the members,
//! check their names, decode block by block and stream each member back.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Seek, SeekFrom};

use cordon_plugin_sdk::{Check, ScanError, ScanOutput};
use sevenz_rust2::{Archive, ArchiveEntry, BlockDecoder, EncoderMethod, Error, Password};

use crate::common::findings::Findings;
use crate::common::members::{Members, Streamed, header, stream};
use crate::common::paths::{MAX_PATH_BYTES, link_escapes, path_problems};
use crate::common::tracked::Tracked;
use crate::rules;

const SIGNATURE: &[u8; 6] = b"7z\xbc\xaf\x27\x1c";
/// Largest header buffer or decoder dictionary allocated.
pub const MEMORY_LIMIT_KB: usize = 256 * 1024;
/// Windows attribute bit saying the high 16 bits hold a Unix mode.
const UNIX_EXTENSION: u32 = 0x8000;

pub fn scan<R: Read + Seek>(r: &mut R, members: &mut dyn Members) -> Result<ScanOutput, ScanError> {
    let mut input = Tracked::new(r);
    let mut signature = [0u8; 6];
    let read = input.read_exact(&mut signature);
    if let Some(failure) = input.take_failure() {
        return Err(ScanError::Io(failure));
    }
    if read.is_err() || &signature != SIGNATURE {
        return Err(ScanError::Unsupported("no 7z signature".into()));
    }
    input
        .seek(SeekFrom::Start(0))
        .map_err(|e| ScanError::Io(e.to_string()))?;
    let mut out = ScanOutput::default();
    out.meta("format", "7z");
    let mut findings = Findings::default();
    let password = Password::empty();
    let archive = match Archive::read_with_memory_limit(&mut input, &password, MEMORY_LIMIT_KB) {
        Ok(archive) => archive,
        Err(e) => {
            if let Some(failure) = input.take_failure() {
                return Err(ScanError::Io(failure));
            }
            header_failure(e, &mut findings);
            findings.emit(&mut out);
            return Ok(out);
        }
    };
    findings.passed(
        rules::STRUCTURE,
        format!(
            "headers read: {} members in {} blocks",
            archive.files.len(),
            archive.blocks.len()
        ),
    );
    check_names(&archive, &mut findings);
    let decoded = decode_blocks(&archive, &password, &mut input, members, &mut findings)?;
    metadata(&archive, &decoded, &mut out);
    findings.emit(&mut out);
    Ok(out)
}

fn header_failure(error: Error, findings: &mut Findings) {
    let (rule, check) = match error {
        Error::PasswordRequired | Error::MaybeBadPassword(_) => (
            rules::ENCRYPTED,
            Check::failed(
                rules::ENCRYPTED,
                "the archive's headers are encrypted: not even its member list can be inspected",
            ),
        ),
        e @ Error::MaxMemLimited { .. } => (
            rules::DECODER_MEMORY,
            Check::failed(rules::DECODER_MEMORY, format!("archive header: {e}")),
        ),
        e => (
            rules::STRUCTURE,
            Check::error(rules::STRUCTURE, format!("the archive cannot be read: {e}")),
        ),
    };
    findings.problem(rule, check.offset(0));
}

fn is_symlink(entry: &ArchiveEntry) -> bool {
    let attributes = entry.windows_attributes();
    entry.has_windows_attributes
        && attributes & UNIX_EXTENSION != 0
        && (attributes >> 16) & 0o170000 == 0o120000
}

fn check_names(archive: &Archive, findings: &mut Findings) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for entry in &archive.files {
        let name = entry.name();
        if !entry.is_directory() {
            *seen.entry(name).or_default() += 1;
        }
        let problems = path_problems(name.as_bytes());
        if !problems.is_empty() {
            findings.problem(
                rules::UNSAFE_PATH,
                Check::failed(
                    rules::UNSAFE_PATH,
                    format!("member path {name:?} {}", problems.join(", ")),
                )
                .member(name),
            );
        }
    }
    let mut duplicates: Vec<_> = seen.into_iter().filter(|(_, n)| *n > 1).collect();
    duplicates.sort();
    for (name, count) in duplicates {
        findings.problem(
            rules::DUPLICATE_NAME,
            Check::failed(
                rules::DUPLICATE_NAME,
                format!("{count} members are named {name:?}"),
            )
            .member(name)
            .evidence("occurrences", count),
        );
    }
    let n = archive.files.len();
    findings.passed(
        rules::UNSAFE_PATH,
        format!("{n} member paths stay inside the extraction directory"),
    );
    findings.passed(
        rules::DUPLICATE_NAME,
        format!("{n} member names are unique"),
    );
}

#[derive(Default)]
struct Decoded {
    handed_back: usize,
    encrypted: usize,
}

/// What happened while one block decoded.
#[derive(Default)]
struct BlockState {
    /// Entries the decoder reached, and the name of the last one.
    seen: usize,
    current: Option<String>,
    /// The host stopped this member; the rest of the solid block is skipped.
    cut_off: Option<String>,
    /// This member's data failed to decode.
    failure: Option<(String, String)>,
}

fn decode_blocks<R: Read + Seek>(
    archive: &Archive,
    password: &Password,
    input: &mut Tracked<R>,
    members: &mut dyn Members,
    findings: &mut Findings,
) -> Result<Decoded, ScanError> {
    let mut by_block: Vec<Vec<&ArchiveEntry>> = vec![Vec::new(); archive.blocks.len()];
    for (entry, block) in archive
        .files
        .iter()
        .zip(&archive.stream_map.file_block_index)
    {
        if let Some(block) = block.and_then(|b| by_block.get_mut(b)) {
            block.push(entry);
        }
    }
    let pack_sizes = archive.pack_sizes();
    let first_pack = archive.stream_map.block_first_pack_stream_index();
    let mut decoded = Decoded::default();
    let mut verified = 0usize;
    let mut symlinks = 0usize;
    for (index, entries) in by_block.iter().enumerate() {
        let block = &archive.blocks[index];
        if block
            .coders
            .iter()
            .any(|c| c.encoder_method_id() == EncoderMethod::ID_AES256_SHA256)
        {
            for entry in entries {
                decoded.encrypted += 1;
                findings.problem(
                    rules::ENCRYPTED,
                    Check::failed(
                        rules::ENCRYPTED,
                        format!(
                            "member {:?} is AES-encrypted: its content cannot be inspected",
                            entry.name()
                        ),
                    )
                    .member(entry.name()),
                );
            }
            continue;
        }
        let packs = first_pack[index]
            ..first_pack
                .get(index + 1)
                .copied()
                .unwrap_or(pack_sizes.len());
        let packed: u64 = pack_sizes.get(packs).map_or(0, |sizes| sizes.iter().sum());
        let mut state = BlockState::default();
        let decoder = BlockDecoder::new_with_memory_limit(
            1,
            MEMORY_LIMIT_KB,
            index,
            archive,
            password,
            input,
        );
        let result = decoder.for_each_entries(&mut |entry, data| {
            state.seen += 1;
            state.current = Some(entry.name().to_string());
            if entry.is_directory() || entry.size() == 0 {
                return Ok(true);
            }
            if is_symlink(entry) {
                symlinks += 1;
                let mut target = Vec::new();
                data.take(MAX_PATH_BYTES as u64 + 1)
                    .read_to_end(&mut target)?;
                check_symlink(entry, &target, findings);
                return Ok(true);
            }
            let member = header(entry.name(), None, Some(entry.size()), Some(packed));
            Ok(match stream(members, &member, data, &mut |_| {}) {
                Streamed::Refused => true,
                Streamed::Complete { .. } => {
                    decoded.handed_back += 1;
                    true
                }
                Streamed::CutOff { .. } => {
                    state.cut_off = Some(entry.name().to_string());
                    false
                }
                Streamed::SourceFailed { error, .. } => {
                    state.failure = Some((entry.name().to_string(), error.to_string()));
                    false
                }
            })
        });
        if let Some(failure) = input.take_failure() {
            return Err(ScanError::Io(failure));
        }
        let with_data = entries.iter().filter(|e| e.size() > 0).count();
        let skipped = with_data.saturating_sub(state.seen);
        if let Err(error) = result {
            block_failure(error, &state, entries, skipped, findings);
        } else if let Some((name, error)) = &state.failure {
            findings.problem(
                rules::MEMBER_DATA,
                Check::failed(
                    rules::MEMBER_DATA,
                    format!("member {name:?}: {error}; what decoded before was scanned, {skipped} later members of its block were not"),
                )
                .member(name),
            );
        } else if let Some(name) = &state.cut_off {
            if skipped > 0 {
                findings.problem(
                    rules::MEMBER_DATA,
                    Check::skipped(
                        rules::MEMBER_DATA,
                        format!("{skipped} members after {name:?} in its solid block were not decoded: the host stopped {name:?} at a limit"),
                    )
                    .member(name),
                );
            }
        } else {
            verified += state.seen;
        }
    }
    findings.passed(
        rules::MEMBER_DATA,
        format!("{verified} members decoded and matched their CRC-32"),
    );
    findings.passed(rules::ENCRYPTED, "no member is encrypted");
    findings.passed(rules::METHOD, "every block uses a method decoded here");
    findings.passed(
        rules::DECODER_MEMORY,
        format!("every dictionary is within {} MiB", MEMORY_LIMIT_KB >> 10),
    );
    findings.passed(
        rules::SYMLINK_ESCAPE,
        format!("{symlinks} symbolic links, none leaving the archive"),
    );
    Ok(decoded)
}

fn check_symlink(entry: &ArchiveEntry, target: &[u8], findings: &mut Findings) {
    if link_escapes(entry.name().as_bytes(), target, false) {
        let target = String::from_utf8_lossy(target);
        findings.problem(
            rules::SYMLINK_ESCAPE,
            Check::failed(
                rules::SYMLINK_ESCAPE,
                format!(
                    "symbolic link {:?} points to {target:?}, outside the extraction directory",
                    entry.name()
                ),
            )
            .member(entry.name())
            .evidence("target", target),
        );
    }
}

/// A block that stopped decoding with an error.
fn block_failure(
    error: Error,
    state: &BlockState,
    entries: &[&ArchiveEntry],
    skipped: usize,
    findings: &mut Findings,
) {
    match error {
        Error::UnsupportedCompressionMethod(method) => {
            for entry in entries {
                findings.problem(
                    rules::METHOD,
                    Check::error(
                        rules::METHOD,
                        format!("member {:?} is packed with {method}, which is not decoded: its content was not scanned", entry.name()),
                    )
                    .member(entry.name())
                    .evidence("method", &method),
                );
            }
        }
        e @ Error::MaxMemLimited { .. } => {
            for entry in entries {
                findings.problem(
                    rules::DECODER_MEMORY,
                    Check::failed(
                        rules::DECODER_MEMORY,
                        format!("member {:?} was not decoded: {e}", entry.name()),
                    )
                    .member(entry.name()),
                );
            }
        }
        e => {
            let name = state.current.as_deref().unwrap_or("(first member)");
            let problem = match e {
                Error::ChecksumVerificationFailed => {
                    "its CRC-32 does not match the archive's record".to_string()
                }
                e => e.to_string(),
            };
            findings.problem(
                rules::MEMBER_DATA,
                Check::failed(
                    rules::MEMBER_DATA,
                    format!("member {name:?}: {problem}; {skipped} later members of its block were not decoded"),
                )
                .member(name),
            );
        }
    }
}

fn metadata(archive: &Archive, decoded: &Decoded, out: &mut ScanOutput) {
    out.meta("member-count", archive.files.len());
    out.meta("members-handed-back", decoded.handed_back);
    let declared = archive
        .files
        .iter()
        .fold(0u64, |sum, e| sum.saturating_add(e.size()));
    out.meta("declared-uncompressed-bytes", declared);
    out.meta("blocks", archive.blocks.len());
    out.meta("solid", if archive.is_solid { "yes" } else { "no" });
    let methods: BTreeSet<String> = archive
        .blocks
        .iter()
        .flat_map(|b| &b.coders)
        .map(|c| {
            let id = c.encoder_method_id();
            EncoderMethod::by_id(id).map_or_else(
                || id.iter().map(|b| format!("{b:02x}")).collect(),
                |m| m.name().to_string(),
            )
        })
        .collect();
    out.meta(
        "compression-methods",
        methods.into_iter().collect::<Vec<_>>().join(","),
    );
    if decoded.encrypted > 0 {
        out.meta("encrypted-members", decoded.encrypted);
    }
}
