//! General-purpose flag bits (APPNOTE 4.4.4). PyTorch's reader ignores them, so a
//! bit that makes another reader skip a member hides that member from scanners.

use cordon_plugin_sdk::{Check, Severity};

use crate::common::findings::Findings;
use crate::directory::Entry;
use crate::local::Local;
use crate::rules;

const ENCRYPTED: u16 = 0x0001;
const PATCHED: u16 = 0x0020;
const STRONG_ENCRYPTION: u16 = 0x0040;
const CENTRAL_ENCRYPTED: u16 = 0x2000;
/// Deflate/LZMA options, data descriptor and UTF-8 names: bits every writer uses.
const ORDINARY: u16 = 0x0002 | 0x0004 | 0x0008 | 0x0800;
/// Bits that make readers refuse or skip a member.
const EVASIVE: u16 = ENCRYPTED | PATCHED | STRONG_ENCRYPTION | CENTRAL_ENCRYPTED;
/// Compression method id of WinZip AES encryption.
const AES_METHOD: u16 = 99;

pub fn is_encrypted(entry: &Entry, local: Option<&Local>) -> bool {
    let flags = entry.flags | local.map_or(0, |l| l.flags);
    flags & (ENCRYPTED | STRONG_ENCRYPTION) != 0 || entry.method == AES_METHOD
}

pub fn check(entries: &[Entry], locals: &[Option<Local>], findings: &mut Findings) {
    for (entry, local) in entries.iter().zip(locals) {
        let local_flags = local.as_ref().map_or(entry.flags, |l| l.flags);
        let unusual = (entry.flags | local_flags) & !ORDINARY;
        if unusual != 0 {
            let severity = if unusual & EVASIVE != 0 {
                Severity::High
            } else {
                Severity::Medium
            };
            findings.problem(
                rules::FLAG_BITS,
                Check::failed(
                    rules::FLAG_BITS,
                    format!(
                        "member {:?} sets flag bits 0x{unusual:04x} ({}); PyTorch ignores them while scanners that honour them may skip the member",
                        entry.display_name(),
                        describe(unusual)
                    ),
                )
                .severity(severity)
                .member(entry.display_name())
                .offset(entry.record_offset)
                .evidence("central_flags", format!("0x{:04x}", entry.flags))
                .evidence("local_flags", format!("0x{local_flags:04x}")),
            );
        } else if local_flags != entry.flags {
            findings.problem(
                rules::FLAG_BITS,
                Check::failed(
                    rules::FLAG_BITS,
                    format!(
                        "member {:?}: local header flags 0x{local_flags:04x} differ from the central directory's 0x{:04x}",
                        entry.display_name(),
                        entry.flags
                    ),
                )
                .severity(Severity::Medium)
                .member(entry.display_name())
                .offset(entry.local_offset),
            );
        }
    }
    findings.passed(
        rules::FLAG_BITS,
        "no member sets encryption, patch or reserved flag bits",
    );
}

fn describe(bits: u16) -> String {
    let names: Vec<&str> = (0..16)
        .map(|i| 1u16 << i)
        .filter(|bit| bits & bit != 0)
        .map(|bit| match bit {
            ENCRYPTED => "encrypted",
            0x0010 => "enhanced deflate (reserved)",
            PATCHED => "compressed patched data",
            STRONG_ENCRYPTION => "strong encryption",
            CENTRAL_ENCRYPTED => "encrypted central directory",
            _ => "reserved",
        })
        .collect();
    names.join(", ")
}
