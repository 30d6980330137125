//! Archives built byte by byte, scanned without the host.

use std::io::Cursor;

use cordon_plugin_sdk::{Check, ScanError, ScanOutput, Severity, Status};
use miniz_oxide::deflate::compress_to_vec;

use crate::archive;
use crate::common::members::recorder::{Content, Recorder};
use crate::rules;

/// One entry as the builder writes it; fields default to a consistent stored member.
#[derive(Clone)]
struct Member {
    name: Vec<u8>,
    local_name: Option<Vec<u8>>,
    data: Vec<u8>,
    method: u16,
    flags: u16,
    local_flags: Option<u16>,
    crc: u32,
    uncompressed: u32,
    made_by: u16,
    external: u32,
}

impl Member {
    fn stored(name: &str, content: &[u8]) -> Self {
        Member {
            name: name.as_bytes().to_vec(),
            local_name: None,
            data: content.to_vec(),
            method: 0,
            flags: 0,
            local_flags: None,
            crc: crc32fast::hash(content),
            uncompressed: content.len() as u32,
            made_by: 20,
            external: 0,
        }
    }

    fn deflated(name: &str, content: &[u8]) -> Self {
        Member {
            data: compress_to_vec(content, 6),
            method: 8,
            ..Self::stored(name, content)
        }
    }
}

#[derive(Default)]
struct Builder {
    bytes: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

fn le16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn le32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

impl Builder {
    fn raw(mut self, bytes: &[u8]) -> Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    fn add(self, m: Member) -> Self {
        let offset = self.bytes.len() as u32;
        self.add_at(m, offset, true)
    }

    /// A central entry for `m` whose local header is at `offset`; `write_local` adds it here.
    fn add_at(mut self, m: Member, offset: u32, write_local: bool) -> Self {
        if write_local {
            let b = &mut self.bytes;
            b.extend_from_slice(b"PK\x03\x04");
            let local_name = m.local_name.as_ref().unwrap_or(&m.name);
            le16(b, 20);
            le16(b, m.local_flags.unwrap_or(m.flags));
            le16(b, m.method);
            le32(b, 0);
            le32(b, m.crc);
            le32(b, m.data.len() as u32);
            le32(b, m.uncompressed);
            le16(b, local_name.len() as u16);
            le16(b, 0);
            b.extend_from_slice(local_name);
            b.extend_from_slice(&m.data);
        }
        let c = &mut self.central;
        c.extend_from_slice(b"PK\x01\x02");
        le16(c, m.made_by);
        le16(c, 20);
        le16(c, m.flags);
        le16(c, m.method);
        le32(c, 0);
        le32(c, m.crc);
        le32(c, m.data.len() as u32);
        le32(c, m.uncompressed);
        le16(c, m.name.len() as u16);
        le16(c, 0);
        le16(c, 0);
        le16(c, 0);
        le16(c, 0);
        le32(c, m.external);
        le32(c, offset);
        c.extend_from_slice(&m.name);
        self.count += 1;
        self
    }

    fn finish(self) -> Vec<u8> {
        let count = self.count;
        self.finish_declaring(count)
    }

    fn finish_declaring(mut self, count: u16) -> Vec<u8> {
        let cd_offset = self.bytes.len() as u32;
        let cd_size = self.central.len() as u32;
        self.bytes.extend_from_slice(&self.central);
        let b = &mut self.bytes;
        b.extend_from_slice(b"PK\x05\x06");
        le16(b, 0);
        le16(b, 0);
        le16(b, count);
        le16(b, count);
        le32(b, cd_size);
        le32(b, cd_offset);
        le16(b, 0);
        self.bytes
    }
}

fn scan_with(bytes: &[u8], recorder: &mut Recorder) -> ScanOutput {
    archive::scan(&mut Cursor::new(bytes), bytes.len() as u64, recorder).expect("scan")
}

fn scan(bytes: &[u8]) -> (ScanOutput, Recorder) {
    let mut recorder = Recorder::default();
    let out = scan_with(bytes, &mut recorder);
    (out, recorder)
}

fn problems<'a>(out: &'a ScanOutput, rule: &str) -> Vec<&'a Check> {
    out.checks
        .iter()
        .filter(|c| c.rule == rule && c.status != Status::Passed)
        .collect()
}

fn all_problems(out: &ScanOutput) -> Vec<(&str, &str)> {
    out.checks
        .iter()
        .filter(|c| c.status != Status::Passed)
        .map(|c| (c.rule.as_str(), c.message.as_str()))
        .collect()
}

fn passed(out: &ScanOutput, rule: &str) -> bool {
    out.checks
        .iter()
        .any(|c| c.rule == rule && c.status == Status::Passed)
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no metadata {key}: {:?}", out.metadata))
        .1
}

#[test]
fn clean_archive_hands_back_stored_and_deflated_members() {
    let big = b"weights ".repeat(5000);
    let zip = Builder::default()
        .add(Member::stored("dir/a.txt", b"hello"))
        .add(Member::deflated("dir/b.bin", &big))
        .finish();
    let (out, rec) = scan(&zip);
    assert_eq!(all_problems(&out), Vec::<(&str, &str)>::new());
    assert_eq!(rec.names(), vec!["dir/a.txt", "dir/b.bin"]);
    assert_eq!(rec.bytes("dir/a.txt", &zip), b"hello");
    assert!(matches!(
        rec.get("dir/a.txt").content,
        Content::Range { .. }
    ));
    assert_eq!(
        rec.get("dir/b.bin").content,
        Content::Bytes {
            bytes: big.clone(),
            finished: true
        }
    );
    let header = &rec.get("dir/b.bin").header;
    assert_eq!(header.declared_size, Some(big.len() as u64));
    assert!(header.compressed_size.unwrap() < big.len() as u64 / 10);
    assert_eq!(header.hint, None);
    for rule in [
        rules::STRUCTURE,
        rules::CRC,
        rules::FLAG_BITS,
        rules::ENCRYPTED,
        rules::DUPLICATE_NAME,
        rules::UNSAFE_PATH,
        rules::OUTSIDE_DATA,
        rules::OVERLAP,
        rules::METHOD,
        rules::MEMBER_DATA,
        rules::NAME_MISMATCH,
        rules::SYMLINK_ESCAPE,
    ] {
        assert!(passed(&out, rule), "{rule} has no passed record");
    }
    assert_eq!(meta(&out, "member-count"), "2");
    assert_eq!(meta(&out, "compression-methods"), "deflate,stored");
    assert_eq!(meta(&out, "torch-layout"), "no");
    assert_eq!(
        meta(&out, "declared-uncompressed-bytes"),
        (5 + big.len()).to_string()
    );
}

#[test]
fn large_members_stream_in_bounded_chunks() {
    // The recorder asserts every write is at most 1 MiB.
    let zeros = vec![0u8; 3 << 20];
    let zip = Builder::default()
        .add(Member::deflated("big.bin", &zeros))
        .finish();
    let (out, rec) = scan(&zip);
    assert!(all_problems(&out).is_empty(), "{:?}", all_problems(&out));
    assert_eq!(rec.bytes("big.bin", &zip).len(), 3 << 20);
}

#[test]
fn a_host_cut_off_stops_the_member_without_a_finding() {
    let zip = Builder::default()
        .add(Member::deflated("bomb.bin", &vec![0u8; 4 << 20]))
        .add(Member::stored("after.txt", b"next"))
        .finish();
    let mut rec = Recorder {
        max_member_bytes: 1 << 20,
        ..Recorder::default()
    };
    let out = scan_with(&zip, &mut rec);
    assert!(all_problems(&out).is_empty(), "{:?}", all_problems(&out));
    let Content::Bytes { bytes, finished } = &rec.get("bomb.bin").content else {
        panic!("streamed member expected")
    };
    assert!(!finished);
    assert_eq!(bytes.len(), 1 << 20);
    assert_eq!(rec.bytes("after.txt", &zip), b"next");
}

#[test]
fn crc_mismatch_is_recorded_and_the_member_still_scanned() {
    let mut bad = Member::stored("data.pkl", b"\x80\x02payload.");
    bad.crc ^= 0xdead_beef;
    let zip = Builder::default().add(bad).finish();
    let (out, rec) = scan(&zip);
    let crc = problems(&out, rules::CRC);
    assert_eq!(crc.len(), 1, "{:?}", all_problems(&out));
    assert!(crc[0].message.contains("PyTorch loads it anyway"));
    assert_eq!(rec.names(), vec!["data.pkl"]);
    assert_eq!(all_problems(&out).len(), 1);
}

#[test]
fn local_name_differing_from_the_central_name_is_high() {
    let mut m = Member::stored("data.pkl", b"x");
    m.local_name = Some(b"harmless.txt".to_vec());
    let zip = Builder::default().add(m).finish();
    let (out, rec) = scan(&zip);
    let found = problems(&out, rules::NAME_MISMATCH);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("\"harmless.txt\""));
    // Handed back under the name PyTorch uses.
    assert_eq!(rec.names(), vec!["data.pkl"]);
}

#[test]
fn patch_flag_and_reserved_bits_are_flagged() {
    let mut patched = Member::stored("a.pkl", b"a");
    patched.flags = 0x20;
    let mut reserved = Member::stored("b.pkl", b"b");
    reserved.flags = 0x4000;
    let mut differing = Member::stored("c.pkl", b"c");
    differing.local_flags = Some(0x0008);
    let zip = Builder::default()
        .add(patched)
        .add(reserved)
        .add(differing)
        .finish();
    let (out, rec) = scan(&zip);
    let found = problems(&out, rules::FLAG_BITS);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0].severity, Some(Severity::High));
    assert!(found[0].message.contains("compressed patched data"));
    assert_eq!(found[1].severity, Some(Severity::Medium));
    assert!(found[2].message.contains("differ"));
    assert_eq!(rec.names().len(), 3, "flag bits do not stop extraction");
}

#[test]
fn encryption_flag_on_plaintext_is_exposed() {
    let mut m = Member::stored("model/config.pkl", b"\x80\x02cos\nsystem\n.");
    m.flags = 0x1;
    let zip = Builder::default().add(m).finish();
    let (out, rec) = scan(&zip);
    let enc = problems(&out, rules::ENCRYPTED);
    assert_eq!(enc.len(), 1);
    assert!(enc[0].message.contains("plaintext"), "{}", enc[0].message);
    assert!(!problems(&out, rules::FLAG_BITS).is_empty());
    assert!(problems(&out, rules::CRC).is_empty());
    assert_eq!(rec.names(), vec!["model/config.pkl"]);
    assert_eq!(meta(&out, "encrypted-members"), "1");
}

#[test]
fn really_encrypted_member_cannot_be_inspected() {
    let plain = b"secret text";
    let mut m = Member::stored("test.txt", plain);
    m.data = (0..plain.len() as u8 + 12)
        .map(|i| i.wrapping_mul(97))
        .collect();
    m.flags = 0x1;
    let zip = Builder::default().add(m).finish();
    let (out, _) = scan(&zip);
    let enc = problems(&out, rules::ENCRYPTED);
    assert_eq!(enc.len(), 1);
    assert!(enc[0].message.contains("cannot be inspected"));
    assert!(
        enc[0]
            .evidence
            .contains(&("scheme".into(), "traditional PKWARE".into()))
    );
    // The ciphertext's CRC and size are expected to differ: no noise about them.
    assert!(problems(&out, rules::CRC).is_empty());
    assert!(problems(&out, rules::MEMBER_DATA).is_empty());
}

#[test]
fn duplicate_names_are_flagged_and_both_handed_back() {
    let zip = Builder::default()
        .add(Member::stored("data.pkl", b"first"))
        .add(Member::stored("data.pkl", b"second"))
        .finish();
    let (out, rec) = scan(&zip);
    let dup = problems(&out, rules::DUPLICATE_NAME);
    assert_eq!(dup.len(), 1);
    assert!(dup[0].message.starts_with("2 members"));
    assert_eq!(rec.names(), vec!["data.pkl", "data.pkl"]);
}

#[test]
fn zip_slip_names_are_flagged() {
    let zip = Builder::default()
        .add(Member::stored("../../etc/evil.txt", b"x"))
        .add(Member::stored("/abs.txt", b"x"))
        .add(Member::stored("C:\\Windows\\x.dll", b"x"))
        .add(Member::stored("fine/name.txt", b"x"))
        .finish();
    let (out, _) = scan(&zip);
    let slip = problems(&out, rules::UNSAFE_PATH);
    let members: Vec<_> = slip
        .iter()
        .map(|c| c.location.as_ref().unwrap().member.clone().unwrap())
        .collect();
    assert_eq!(
        members,
        vec!["../../etc/evil.txt", "/abs.txt", "C:\\Windows\\x.dll"]
    );
    assert!(slip[2].message.contains("drive letter") && slip[2].message.contains("backslash"));
}

#[test]
fn unix_symlinks_leaving_the_archive_are_flagged() {
    let link = |name: &str, target: &[u8]| Member {
        made_by: 3 << 8,
        external: 0o120777 << 16,
        ..Member::stored(name, target)
    };
    let zip = Builder::default()
        .add(link("a/inside", b"../b"))
        .add(link("a/outside", b"../../etc/passwd"))
        .finish();
    let (out, _) = scan(&zip);
    let found = problems(&out, rules::SYMLINK_ESCAPE);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("\"a/outside\""));
}

#[test]
fn windows_reparse_points_are_flagged() {
    let junction = Member {
        made_by: 10 << 8,
        external: 0x410,
        ..Member::stored("models/link", b"")
    };
    let plain = Member {
        made_by: 10 << 8,
        external: 0x20,
        ..Member::stored("models/file.bin", b"x")
    };
    let (out, _) = scan(&Builder::default().add(junction).add(plain).finish());
    let found = problems(&out, rules::SYMLINK_ESCAPE);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("reparse point"));
}

#[test]
fn prepended_appended_and_hidden_bytes_are_flagged_and_scanned() {
    let zip = Builder::default()
        .raw(b"#!/bin/sh\nexit 0\n")
        .add(Member::stored("a.txt", b"a"))
        .raw(b"PK\x03\x04 hidden member")
        .add(Member::stored("b.txt", b"b"))
        .finish();
    let mut zip = zip;
    zip.extend_from_slice(b"APPENDED");
    let (out, rec) = scan(&zip);
    let outside = problems(&out, rules::OUTSIDE_DATA);
    assert_eq!(outside.len(), 3, "{outside:?}");
    assert!(outside[0].message.contains("precede the first member"));
    assert!(
        outside[1]
            .message
            .contains("hidden from the central directory")
    );
    assert!(outside[2].message.contains("appended"));
    assert_eq!(
        rec.names(),
        vec![
            "a.txt",
            "b.txt",
            "unlisted-bytes@0",
            "unlisted-bytes@53",
            "unlisted-bytes@231"
        ]
    );
    assert_eq!(rec.bytes("unlisted-bytes@231", &zip), b"APPENDED");
}

#[test]
fn prepended_data_with_unshifted_offsets_is_read_like_python() {
    // A stub glued in front of a finished archive: its offsets are off by the stub.
    let inner = Builder::default()
        .add(Member::stored("a.txt", b"payload"))
        .finish();
    let mut zip = b"MZ stub".to_vec();
    zip.extend_from_slice(&inner);
    let (out, rec) = scan(&zip);
    assert_eq!(rec.bytes("a.txt", &zip), b"payload");
    let outside = problems(&out, rules::OUTSIDE_DATA);
    assert_eq!(outside.len(), 1);
    assert!(outside[0].message.contains("shifted by 7 bytes"));
}

#[test]
fn overlapping_members_are_flagged() {
    let m = Member::stored("a.bin", &[1u8; 100]);
    let zip = Builder::default()
        .add(m.clone())
        .add_at(
            Member {
                name: b"b.bin".to_vec(),
                local_name: Some(b"a.bin".to_vec()),
                ..m
            },
            0,
            false,
        )
        .finish();
    let (out, _) = scan(&zip);
    let overlap = problems(&out, rules::OVERLAP);
    assert_eq!(overlap.len(), 1, "{:?}", all_problems(&out));
    assert!(
        overlap[0]
            .message
            .contains("\"a.bin\" and member \"b.bin\"")
    );
}

#[test]
fn unsupported_methods_are_errors_naming_the_method() {
    let m = Member {
        method: 12,
        ..Member::stored("x.bin", b"BZh9...")
    };
    let zip = Builder::default().add(m).finish();
    let (out, rec) = scan(&zip);
    let found = problems(&out, rules::METHOD);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].status, Status::Error);
    assert!(found[0].message.contains("12 (bzip2)"));
    assert!(rec.names().is_empty());
}

#[test]
fn damaged_deflate_data_is_reported_and_what_decoded_is_scanned() {
    let content = b"0123456789".repeat(2000);
    let mut truncated = Member::deflated("cut.bin", &content);
    truncated.data.truncate(truncated.data.len() / 2);
    let mut trailing = Member::deflated("tail.bin", b"abc");
    trailing.data.extend_from_slice(b"SMUGGLED");
    let mut liar = Member::deflated("liar.bin", b"abcdef");
    liar.uncompressed = 3;
    let zip = Builder::default()
        .add(truncated)
        .add(trailing)
        .add(liar)
        .finish();
    let (out, rec) = scan(&zip);
    let found = problems(&out, rules::MEMBER_DATA);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].message.contains("truncated"));
    assert!(
        found[1]
            .message
            .contains("8 bytes follow the end of the deflate stream")
    );
    assert!(found[2].message.contains("holds 6 bytes but declares 3"));
    let Content::Bytes { bytes, finished } = &rec.get("cut.bin").content else {
        panic!()
    };
    assert!(*finished && !bytes.is_empty() && content.starts_with(bytes));
}

#[test]
fn pytorch_layout_hands_back_pickles_and_summarises_storages() {
    let floats: Vec<u8> = (0..64u32).flat_map(|i| (i as f32).to_le_bytes()).collect();
    let zip = Builder::default()
        .add(Member::stored("archive/data.pkl", b"\x80\x02}q\x00."))
        .add(Member::stored("archive/data/0", &floats))
        .add(Member::deflated(
            "archive/data/1",
            b"cos\nsystem\n(S'id'\ntR.",
        ))
        .add(Member::stored("archive/version", b"3\n"))
        .add(Member::stored("archive/.data/serialization_id", b"123"))
        .finish();
    let (out, rec) = scan(&zip);
    assert_eq!(
        rec.names(),
        vec![
            "archive/data.pkl",
            "archive/data/1",
            "archive/version",
            "archive/.data/serialization_id"
        ]
    );
    assert_eq!(
        rec.get("archive/data.pkl").header.hint.as_deref(),
        Some("pickle")
    );
    // A storage is handed back without a hint: the pickle plugin tells a payload
    // from weights that merely start like one.
    assert_eq!(rec.get("archive/data/1").header.hint, None);
    assert_eq!(rec.get("archive/version").header.hint, None);
    let smuggled = problems(&out, rules::STORAGE_PICKLE);
    assert_eq!(smuggled.len(), 1);
    assert!(smuggled[0].message.contains("archive/data/1"));
    assert_eq!(meta(&out, "torch-layout"), "yes");
    assert_eq!(meta(&out, "torch-archive-folder"), "archive");
    assert_eq!(meta(&out, "tensor-storage-count"), "1");
    assert_eq!(meta(&out, "tensor-storage-bytes"), "256");
    assert_eq!(meta(&out, "torch-format-version"), "3");
    assert_eq!(meta(&out, "torchscript"), "no");
    assert!(passed(&out, rules::CRC));
}

#[test]
fn not_a_zip_is_declined_and_a_broken_one_is_an_error() {
    let legacy = b"\x80\x02legacy torch pickle, long enough to be searched";
    let err = archive::scan(
        &mut Cursor::new(legacy),
        legacy.len() as u64,
        &mut Recorder::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ScanError::Unsupported(_)));
    let zip = Builder::default().add(Member::stored("a", b"a")).finish();
    let cut = &zip[..zip.len() - 10];
    let (out, rec) = scan(cut);
    let found = problems(&out, rules::STRUCTURE);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].status, Status::Error);
    assert!(found[0].message.contains("no end of central directory"));
    assert!(rec.names().is_empty());
}

#[test]
fn empty_archive_is_clean() {
    let zip = Builder::default().finish();
    assert_eq!(zip.len(), 22);
    let (out, rec) = scan(&zip);
    assert!(all_problems(&out).is_empty());
    assert!(rec.names().is_empty());
    assert_eq!(meta(&out, "member-count"), "0");
}

#[test]
fn entry_count_disagreement_is_flagged() {
    let zip = Builder::default()
        .add(Member::stored("a", b"a"))
        .add(Member::stored("b", b"b"))
        .finish_declaring(1);
    let (out, rec) = scan(&zip);
    let found = problems(&out, rules::STRUCTURE);
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .message
            .contains("declares 1 entries but the central directory holds 2")
    );
    assert_eq!(rec.names(), vec!["a", "b"]);
}

#[test]
fn local_header_out_of_place_is_a_structure_failure() {
    let zip = Builder::default()
        .add(Member::stored("a", b"a"))
        .add_at(Member::stored("ghost", b"g"), 9_999, false)
        .finish();
    let (out, rec) = scan(&zip);
    let found = problems(&out, rules::STRUCTURE);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("\"ghost\""));
    assert_eq!(rec.names(), vec!["a"]);
}

#[test]
fn zip64_end_records_are_followed() {
    let plain = Builder::default()
        .add(Member::stored("big/a.bin", b"zip64 member"))
        .finish();
    // Rewrite the end record as zip64: saturated classic fields, then record + locator.
    let end = plain.len() - 22;
    let cd_size = u32::from_le_bytes(plain[end + 12..end + 16].try_into().unwrap()) as u64;
    let cd_offset = u32::from_le_bytes(plain[end + 16..end + 20].try_into().unwrap()) as u64;
    let mut zip = plain[..end].to_vec();
    let record_at = zip.len() as u64;
    zip.extend_from_slice(b"PK\x06\x06");
    zip.extend_from_slice(&44u64.to_le_bytes());
    zip.extend_from_slice(&[45, 0, 45, 0]);
    zip.extend_from_slice(&[0; 8]);
    zip.extend_from_slice(&1u64.to_le_bytes());
    zip.extend_from_slice(&1u64.to_le_bytes());
    zip.extend_from_slice(&cd_size.to_le_bytes());
    zip.extend_from_slice(&cd_offset.to_le_bytes());
    zip.extend_from_slice(b"PK\x06\x07");
    zip.extend_from_slice(&0u32.to_le_bytes());
    zip.extend_from_slice(&record_at.to_le_bytes());
    zip.extend_from_slice(&1u32.to_le_bytes());
    zip.extend_from_slice(b"PK\x05\x06");
    zip.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    zip.extend_from_slice(&[0xff; 8]);
    zip.extend_from_slice(&[0, 0]);
    let (out, rec) = scan(&zip);
    assert!(all_problems(&out).is_empty(), "{:?}", all_problems(&out));
    assert_eq!(rec.bytes("big/a.bin", &zip), b"zip64 member");
    assert_eq!(meta(&out, "zip64"), "yes");
}

#[test]
fn failures_are_capped_with_a_summary() {
    let mut b = Builder::default();
    for i in 0..60 {
        b = b.add(Member::stored(&format!("../{i}"), b"x"));
    }
    let (out, _) = scan(&b.finish());
    let found = problems(&out, rules::UNSAFE_PATH);
    assert_eq!(found.len(), 51);
    assert!(found[50].message.starts_with("10 more problems"));
}

#[test]
fn rule_ids_are_unique_prefixed_and_cover_every_rule_used() {
    let catalog = rules::catalog();
    let ids: Vec<&str> = catalog.iter().map(|r| r.id.as_str()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    for rule in &catalog {
        assert!(rule.id.starts_with("zip-"), "{}", rule.id);
        assert!(!rule.description.is_empty() && !rule.remediation.is_empty());
        assert!(
            !rule.cwe.is_empty() && !rule.references.is_empty(),
            "{}",
            rule.id
        );
    }
    for id in [
        rules::STRUCTURE,
        rules::NAME_MISMATCH,
        rules::CRC,
        rules::FLAG_BITS,
        rules::ENCRYPTED,
        rules::DUPLICATE_NAME,
        rules::UNSAFE_PATH,
        rules::SYMLINK_ESCAPE,
        rules::OUTSIDE_DATA,
        rules::OVERLAP,
        rules::METHOD,
        rules::MEMBER_DATA,
        rules::STORAGE_PICKLE,
    ] {
        assert!(ids.contains(&id), "{id}");
    }
}

/// Deterministic xorshift, so a failing mutation can be replayed.
fn mutations(seed: u64) -> impl Iterator<Item = u64> {
    let mut state = seed;
    std::iter::repeat_with(move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    })
}

#[test]
fn damaged_archives_never_panic() {
    let zip = Builder::default()
        .raw(b"stub")
        .add(Member::stored("archive/data.pkl", b"\x80\x02}q\x00."))
        .add(Member::deflated("archive/data/0", &[3u8; 3000]))
        .add(Member::stored("archive/version", b"3\n"))
        .finish();
    let mut random = mutations(0x5eed);
    for _ in 0..3000 {
        let mut bytes = zip.clone();
        for _ in 0..1 + random.next().unwrap() % 4 {
            let at = (random.next().unwrap() % bytes.len() as u64) as usize;
            bytes[at] = random.next().unwrap() as u8;
        }
        let cut = bytes.len() - (random.next().unwrap() % 8) as usize;
        let bytes = &bytes[..cut];
        let _ = archive::scan(
            &mut Cursor::new(bytes),
            bytes.len() as u64,
            &mut Recorder::default(),
        );
    }
}

#[test]
fn keras_bundles_hint_their_configs() {
    let zip = Builder::default()
        .add(Member::stored(
            "metadata.json",
            br#"{"keras_version": "3.4.1"}"#,
        ))
        .add(Member::stored(
            "config.json",
            br#"{"class_name": "Sequential"}"#,
        ))
        .add(Member::stored("model.weights.h5", b"\x89HDF\r\n\x1a\n"))
        .finish();
    let (_, rec) = scan(&zip);
    assert_eq!(
        rec.get("config.json").header.hint.as_deref(),
        Some("keras-config")
    );
    assert_eq!(
        rec.get("metadata.json").header.hint.as_deref(),
        Some("keras-config")
    );
    assert_eq!(rec.get("model.weights.h5").header.hint, None);
    // A lone config.json in some other zip is left to routing by name.
    let zip = Builder::default()
        .add(Member::stored("config.json", b"{}"))
        .finish();
    let (_, rec) = scan(&zip);
    assert_eq!(rec.get("config.json").header.hint, None);
}
