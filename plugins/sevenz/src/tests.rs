//! Archives written with `sevenz-rust2`'s encoder, scanned without the host.

use std::io::Cursor;

use cordon_plugin_sdk::{Check, ScanError, ScanOutput, Status};
use sevenz_rust2::encoder_options::{AesEncoderOptions, Lzma2Options};
use sevenz_rust2::{ArchiveEntry, ArchiveWriter, SourceReader};

use crate::archive;
use crate::common::members::recorder::{Content, Recorder};
use crate::rules;

fn writer() -> ArchiveWriter<Cursor<Vec<u8>>> {
    ArchiveWriter::new(Cursor::new(Vec::new())).unwrap()
}

fn one_block_per_file(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = writer();
    for (name, data) in entries {
        w.push_archive_entry(ArchiveEntry::new_file(name), Some(*data))
            .unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn scan_with(bytes: &[u8], recorder: &mut Recorder) -> Result<ScanOutput, ScanError> {
    archive::scan(&mut Cursor::new(bytes), recorder)
}

fn scan(bytes: &[u8]) -> (ScanOutput, Recorder) {
    let mut recorder = Recorder::default();
    let out = scan_with(bytes, &mut recorder).expect("scan");
    (out, recorder)
}

fn problems<'a>(out: &'a ScanOutput, rule: &str) -> Vec<&'a Check> {
    out.checks
        .iter()
        .filter(|c| c.rule == rule && c.status != Status::Passed)
        .collect()
}

fn all_problems(out: &ScanOutput) -> Vec<&Check> {
    out.checks
        .iter()
        .filter(|c| c.status != Status::Passed)
        .collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata.iter().find(|(k, _)| k == key).expect(key).1
}

fn produced<'a>(rec: &'a Recorder, name: &str) -> &'a [u8] {
    match &rec.get(name).content {
        Content::Bytes {
            bytes,
            finished: true,
        } => bytes,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn members_stream_back_decoded() {
    let weights: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let bytes = one_block_per_file(&[("model/data.pkl", b"\x80\x02N."), ("model/w.bin", &weights)]);
    let (out, rec) = scan(&bytes);
    assert!(all_problems(&out).is_empty(), "{:?}", all_problems(&out));
    assert_eq!(rec.names(), vec!["model/data.pkl", "model/w.bin"]);
    assert_eq!(produced(&rec, "model/data.pkl"), b"\x80\x02N.");
    assert_eq!(produced(&rec, "model/w.bin"), weights);
    let header = &rec.get("model/w.bin").header;
    assert_eq!(header.declared_size, Some(weights.len() as u64));
    assert!(header.compressed_size.unwrap() < weights.len() as u64);
    assert_eq!(meta(&out, "member-count"), "2");
    assert_eq!(meta(&out, "compression-methods"), "LZMA2");
    assert!(
        out.checks
            .iter()
            .any(|c| c.rule == rules::MEMBER_DATA && c.message.starts_with("2 members decoded"))
    );
}

#[test]
fn unsafe_and_duplicate_names_are_flagged() {
    let bytes = one_block_per_file(&[("../../evil.pkl", b"x"), ("a", b"1"), ("a", b"2")]);
    let (out, rec) = scan(&bytes);
    assert_eq!(problems(&out, rules::UNSAFE_PATH).len(), 1);
    assert_eq!(problems(&out, rules::DUPLICATE_NAME).len(), 1);
    assert_eq!(rec.names().len(), 3);
}

#[test]
fn escaping_symlinks_are_flagged() {
    let mut w = writer();
    let mut link = ArchiveEntry::new_file("models/link");
    link.has_windows_attributes = true;
    link.windows_attributes = 0x8000 | (0o120777 << 16);
    w.push_archive_entry(link, Some(&b"../../etc/passwd"[..]))
        .unwrap();
    let (out, rec) = scan(&w.finish().unwrap().into_inner());
    let found = problems(&out, rules::SYMLINK_ESCAPE);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("../../etc/passwd"));
    assert!(
        rec.names().is_empty(),
        "a link's data is its target, not content"
    );
}

fn encrypted(encrypt_header: bool) -> Vec<u8> {
    let mut w = writer();
    w.set_content_methods(vec![
        AesEncoderOptions::new("secret".into()).into(),
        Lzma2Options::from_level(1).into(),
    ]);
    w.set_encrypt_header(encrypt_header);
    w.push_archive_entry(ArchiveEntry::new_file("data.pkl"), Some(&b"payload"[..]))
        .unwrap();
    w.finish().unwrap().into_inner()
}

#[test]
fn encrypted_members_cannot_be_inspected() {
    let (out, rec) = scan(&encrypted(false));
    let found = problems(&out, rules::ENCRYPTED);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("\"data.pkl\" is AES-encrypted"));
    assert!(rec.names().is_empty());
    assert_eq!(meta(&out, "encrypted-members"), "1");
}

#[test]
fn encrypted_headers_hide_everything() {
    let (out, rec) = scan(&encrypted(true));
    let found = problems(&out, rules::ENCRYPTED);
    assert_eq!(found.len(), 1, "{:?}", out.checks);
    assert!(found[0].message.contains("headers are encrypted"));
    assert!(rec.names().is_empty());
}

#[test]
fn corrupt_data_is_reported() {
    let data = vec![42u8; 10_000];
    let mut bytes = one_block_per_file(&[("a.bin", &data)]);
    // Packed data starts right after the 32-byte signature header.
    bytes[40] ^= 0xff;
    let (out, _) = scan(&bytes);
    let found = problems(&out, rules::MEMBER_DATA);
    assert_eq!(found.len(), 1, "{:?}", out.checks);
    assert!(found[0].message.contains("\"a.bin\""));
}

#[test]
fn a_cut_off_member_skips_the_rest_of_its_solid_block() {
    let big = vec![0u8; 3 << 20];
    let mut w = writer();
    w.push_archive_entries(
        vec![
            ArchiveEntry::new_file("big"),
            ArchiveEntry::new_file("after"),
        ],
        vec![
            SourceReader::new(&big[..]),
            SourceReader::new(&b"after"[..]),
        ],
    )
    .unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let mut rec = Recorder {
        max_member_bytes: 1 << 20,
        ..Recorder::default()
    };
    let out = scan_with(&bytes, &mut rec).unwrap();
    assert_eq!(meta(&out, "solid"), "yes");
    let found = problems(&out, rules::MEMBER_DATA);
    assert_eq!(found.len(), 1, "{:?}", out.checks);
    assert_eq!(found[0].status, Status::Skipped);
    assert!(found[0].message.starts_with("1 members after \"big\""));
    assert_eq!(rec.names(), vec!["big"]);
}

#[test]
fn other_and_broken_data() {
    let mut rec = Recorder::default();
    assert!(matches!(
        scan_with(b"PK\x03\x04 not 7z", &mut rec),
        Err(ScanError::Unsupported(_))
    ));
    let bytes = one_block_per_file(&[("a", b"a")]);
    let (out, _) = scan(&bytes[..bytes.len() - 5]);
    let found = problems(&out, rules::STRUCTURE);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].status, Status::Error);
}

#[test]
fn rule_ids_are_unique_and_prefixed() {
    let catalog = rules::catalog();
    let mut ids: Vec<_> = catalog.iter().map(|r| r.id.as_str()).collect();
    for rule in &catalog {
        assert!(rule.id.starts_with("sevenz-"), "{}", rule.id);
        assert!(!rule.cwe.is_empty() && !rule.references.is_empty());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), catalog.len());
}

#[test]
fn damaged_archives_never_panic() {
    let original = one_block_per_file(&[("a.pkl", b"\x80\x02N."), ("b.bin", &[9u8; 4000])]);
    let mut state = 0x5eedu64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2000 {
        let mut bytes = original.clone();
        for _ in 0..1 + random() % 4 {
            let at = 6 + (random() % (bytes.len() as u64 - 6)) as usize;
            bytes[at] = random() as u8;
        }
        let _ = scan_with(&bytes, &mut Recorder::default());
    }
}
