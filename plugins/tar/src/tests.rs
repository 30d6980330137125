//! Tar archives built block by block, scanned without the host.

use std::io::Cursor;

use cordon_plugin_sdk::{Check, ScanError, ScanOutput, Severity, Status};

use crate::archive;
use crate::common::members::recorder::{Content, Recorder};
use crate::extended::tests::record;
use crate::rules;

/// A header block; `magic` is the 8 bytes at offset 257.
fn block(name: &[u8], kind: u8, size: u64, link: &[u8], magic: &[u8; 8]) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    b[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    b[100..108].copy_from_slice(b"0000644\0");
    b[108..116].copy_from_slice(b"0000000\0");
    b[116..124].copy_from_slice(b"0000000\0");
    b[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    b[136..148].copy_from_slice(b"00000000000\0");
    b[156] = kind;
    b[157..157 + link.len()].copy_from_slice(link);
    b[257..265].copy_from_slice(magic);
    seal(&mut b);
    b
}

fn seal(b: &mut [u8]) {
    b[148..156].copy_from_slice(b"        ");
    let sum: u32 = b.iter().map(|x| u32::from(*x)).sum();
    b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

const USTAR: &[u8; 8] = b"ustar\x0000";
const GNU: &[u8; 8] = b"ustar  \x00";

#[derive(Default)]
struct Tar(Vec<u8>);

impl Tar {
    fn entry(mut self, name: &str, kind: u8, link: &str, data: &[u8], magic: &[u8; 8]) -> Self {
        self.0.extend(block(
            name.as_bytes(),
            kind,
            data.len() as u64,
            link.as_bytes(),
            magic,
        ));
        self.0.extend_from_slice(data);
        self.0.resize(self.0.len().div_ceil(512) * 512, 0);
        self
    }

    fn file(self, name: &str, data: &[u8]) -> Self {
        self.entry(name, b'0', "", data, USTAR)
    }

    fn link(self, name: &str, kind: u8, target: &str) -> Self {
        self.entry(name, kind, target, b"", USTAR)
    }

    fn finish(mut self) -> Vec<u8> {
        self.0.resize(self.0.len() + 1024, 0);
        self.0.resize(self.0.len().div_ceil(10240) * 10240, 0);
        self.0
    }
}

fn scan(bytes: &[u8]) -> (ScanOutput, Recorder) {
    let mut recorder = Recorder::default();
    let out =
        archive::scan(&mut Cursor::new(bytes), bytes.len() as u64, &mut recorder).expect("scan");
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

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata.iter().find(|(k, _)| k == key).expect(key).1
}

#[test]
fn clean_archive_hands_back_files_as_ranges() {
    let tar = Tar::default()
        .entry("model/", b'5', "", b"", USTAR)
        .file("model/data.pkl", b"\x80\x02}q\x00.")
        .file("model/weights.bin", &[7u8; 1000])
        .link("model/latest", b'2', "weights.bin")
        .finish();
    let (out, rec) = scan(&tar);
    assert_eq!(all_problems(&out), Vec::<(&str, &str)>::new());
    assert_eq!(rec.names(), vec!["model/data.pkl", "model/weights.bin"]);
    assert_eq!(rec.bytes("model/weights.bin", &tar), &[7u8; 1000][..]);
    assert!(matches!(
        rec.get("model/data.pkl").content,
        Content::Range {
            offset: 1024,
            len: 6
        }
    ));
    let passed: Vec<_> = out
        .checks
        .iter()
        .filter(|c| c.status == Status::Passed)
        .map(|c| c.rule.as_str())
        .collect();
    for rule in [
        rules::STRUCTURE,
        rules::UNSAFE_PATH,
        rules::LINK_ESCAPE,
        rules::SPECIAL_FILE,
        rules::DUPLICATE_NAME,
        rules::TRAILING,
        rules::ENTRY_TYPE,
    ] {
        assert!(passed.contains(&rule), "{rule}");
    }
    assert_eq!(meta(&out, "member-count"), "4");
    assert_eq!(meta(&out, "entry-types"), "directory=1,regular=2,symlink=1");
    assert_eq!(meta(&out, "tar-flavour"), "ustar");
}

#[test]
fn unsafe_paths_are_flagged() {
    let tar = Tar::default()
        .file("../../etc/cron.d/evil", b"x")
        .file("/etc/passwd", b"x")
        .file("ok/fine.txt", b"x")
        .finish();
    let (out, rec) = scan(&tar);
    let found = problems(&out, rules::UNSAFE_PATH);
    assert_eq!(found.len(), 2);
    assert!(found[0].message.contains("'..'"));
    assert!(found[1].message.contains("absolute"));
    assert_eq!(rec.names().len(), 3, "flagged members are still scanned");
}

#[test]
fn escaping_links_are_flagged() {
    let tar = Tar::default()
        .link("a/sym-ok", b'2', "../b")
        .link("a/sym-out", b'2', "../../etc/passwd")
        .link("a/sym-abs", b'2', "/root/.ssh/authorized_keys")
        .link("a/hard-ok", b'1', "a/sym-ok")
        .link("a/hard-out", b'1', "../outside")
        .finish();
    let (out, _) = scan(&tar);
    let found = problems(&out, rules::LINK_ESCAPE);
    let names: Vec<_> = found
        .iter()
        .map(|c| c.location.as_ref().unwrap().member.as_deref().unwrap())
        .collect();
    assert_eq!(names, vec!["a/sym-out", "a/sym-abs", "a/hard-out"]);
    assert!(found[2].message.starts_with("hard link"));
}

#[test]
fn devices_and_fifos_are_flagged() {
    let tar = Tar::default()
        .link("dev/sda", b'4', "")
        .link("dev/tty", b'3', "")
        .link("pipe", b'6', "")
        .finish();
    let (out, _) = scan(&tar);
    let found = problems(&out, rules::SPECIAL_FILE);
    assert_eq!(found.len(), 3);
    assert!(found[0].message.contains("block device"));
    assert!(found[2].message.contains("FIFO"));
}

#[test]
fn gnu_long_names_and_pax_records_apply_to_the_next_member() {
    let long = format!("{}/data.pkl", "d".repeat(150));
    let pax = [record("path", "../pax/escape.pkl"), record("size", "3")].concat();
    let tar = Tar::default()
        .entry(
            "././@LongLink",
            b'L',
            "",
            format!("{long}\0").as_bytes(),
            GNU,
        )
        .entry("ignored", b'0', "", b"long", GNU)
        .entry("PaxHeader", b'x', "", &pax, USTAR)
        // The PAX size (3) overrides the header's (5).
        .entry("short", b'0', "", b"abcde", USTAR)
        .finish();
    let (out, rec) = scan(&tar);
    assert_eq!(rec.bytes(&long, &tar), b"long");
    assert_eq!(rec.bytes("../pax/escape.pkl", &tar), b"abc");
    assert_eq!(problems(&out, rules::UNSAFE_PATH).len(), 1);
    assert_eq!(meta(&out, "tar-flavour"), "gnu,pax,ustar");
}

#[test]
fn duplicate_names_are_flagged() {
    let tar = Tar::default()
        .file("data.pkl", b"reviewed")
        .file("data.pkl", b"extracted")
        .entry("d/", b'5', "", b"", USTAR)
        .entry("d/", b'5', "", b"", USTAR)
        .finish();
    let (out, rec) = scan(&tar);
    let found = problems(&out, rules::DUPLICATE_NAME);
    assert_eq!(found.len(), 1, "repeated directories are normal");
    assert!(found[0].message.contains("last one wins"));
    assert_eq!(rec.names(), vec!["data.pkl", "data.pkl"]);
}

#[test]
fn data_after_the_end_blocks_is_hidden_and_scanned() {
    let mut tar = Tar::default().file("a", b"a").finish();
    let at = tar.len();
    tar.extend_from_slice(b"\x80\x02hidden.");
    let (out, rec) = scan(&tar);
    let found = problems(&out, rules::TRAILING);
    assert_eq!(found.len(), 1);
    assert_eq!(
        rec.bytes(&format!("unlisted-bytes@{at}"), &tar),
        b"\x80\x02hidden."
    );
}

#[test]
fn bad_checksums_stop_the_walk_and_the_rest_is_scanned() {
    let mut tar = Tar::default().file("a", b"a").file("b", b"b").finish();
    tar[1024 + 10] ^= 0x55; // corrupt the second header
    let (out, rec) = scan(&tar);
    let found = problems(&out, rules::STRUCTURE);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("checksum"));
    assert_eq!(rec.names(), vec!["a", "unlisted-bytes@1024"]);
}

#[test]
fn truncated_member_is_an_error_and_its_bytes_are_scanned() {
    let tar = Tar::default().file("big", &[1u8; 4096]).finish();
    let cut = &tar[..512 + 1000];
    let (out, rec) = scan(cut);
    let found = problems(&out, rules::STRUCTURE);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].status, Status::Error);
    assert!(
        found[0]
            .message
            .contains("declares 4096 bytes but only 1000")
    );
    assert_eq!(rec.bytes("big", cut).len(), 1000);
}

#[test]
fn missing_end_blocks_are_a_low_finding() {
    let tar = Tar::default().file("a", b"a").0;
    let (out, _) = scan(&tar);
    let found = problems(&out, rules::STRUCTURE);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Some(Severity::Low));
}

#[test]
fn oversized_extended_headers_are_skipped() {
    let huge = vec![b'a'; 70 * 1024];
    let tar = Tar::default()
        .entry("././@LongLink", b'L', "", &huge, GNU)
        .entry("after", b'0', "", b"x", GNU)
        .finish();
    let (out, rec) = scan(&tar);
    let found = problems(&out, rules::STRUCTURE);
    assert!(found[0].message.contains("over the 65536-byte limit"));
    assert_eq!(rec.names(), vec!["after"]);
}

#[test]
fn unusual_entry_types_are_scanned_as_files() {
    let tar = Tar::default()
        .entry("weird", b'Z', "", b"payload", USTAR)
        .entry("sparse", b'S', "", b"segments", GNU)
        .finish();
    let (out, rec) = scan(&tar);
    let found = problems(&out, rules::ENTRY_TYPE);
    assert_eq!(found.len(), 2);
    assert!(found[0].message.contains("unknown entry type"));
    assert!(found[1].message.contains("sparse"));
    assert_eq!(rec.names(), vec!["weird", "sparse"]);
}

#[test]
fn v7_archives_without_magic_are_read() {
    let tar = Tar::default()
        .entry("old/", b'0', "", b"", &[0; 8])
        .entry("old/file", b'0', "", b"v7", &[0; 8])
        .finish();
    let (out, rec) = scan(&tar);
    assert!(all_problems(&out).is_empty(), "{:?}", all_problems(&out));
    assert_eq!(rec.names(), vec!["old/file"]);
    assert_eq!(meta(&out, "entry-types"), "directory=1,regular=1");
}

#[test]
fn other_data_is_declined() {
    let text = vec![b'x'; 2048];
    let err = archive::scan(&mut Cursor::new(&text), 2048, &mut Recorder::default()).unwrap_err();
    assert!(matches!(err, ScanError::Unsupported(_)));
}

#[test]
fn rule_ids_are_unique_and_prefixed() {
    let catalog = rules::catalog();
    let mut ids: Vec<_> = catalog.iter().map(|r| r.id.as_str()).collect();
    for rule in &catalog {
        assert!(rule.id.starts_with("tar-"), "{}", rule.id);
        assert!(!rule.cwe.is_empty() && !rule.references.is_empty());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), catalog.len());
}

#[test]
fn damaged_archives_never_panic() {
    let pax = record("path", "long/name");
    let tar = Tar::default()
        .entry("PaxHeader", b'x', "", &pax, USTAR)
        .file("a", &[1u8; 700])
        .entry("././@LongLink", b'L', "", b"gnu/long\0", GNU)
        .entry("x", b'2', "../y", b"", GNU)
        .finish();
    let mut state = 0x5eedu64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let mut bytes = tar.clone();
        for _ in 0..1 + random() % 4 {
            let at = (random() % 3072) as usize;
            bytes[at] = random() as u8;
            // Re-seal some headers so the walk gets past the checksum.
            if random() % 2 == 0 {
                let block = at / 512 * 512;
                seal(&mut bytes[block..block + 512]);
            }
        }
        let cut = bytes.len() - (random() % 4096) as usize;
        let bytes = &bytes[..cut];
        let _ = archive::scan(
            &mut Cursor::new(bytes),
            bytes.len() as u64,
            &mut Recorder::default(),
        );
    }
}
