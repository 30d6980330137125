//! Streams made with each format's encoder (or by hand), scanned without the host.

use std::io::{Cursor, Write};

use cordon_plugin_sdk::{Check, ScanError, ScanOutput, Severity, Status};
use miniz_oxide::deflate::{compress_to_vec, compress_to_vec_zlib};

use crate::common::members::recorder::{Content, Recorder};
use crate::{rules, scan};

fn gzip(data: &[u8], name: Option<&str>) -> Vec<u8> {
    let flags = if name.is_some() { 0x08 } else { 0 };
    let mut out = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3];
    if let Some(name) = name {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
    }
    out.extend_from_slice(&compress_to_vec(data, 6));
    out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut writer =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
    writer.write_all(data).unwrap();
    writer.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

fn lz4(data: &[u8]) -> Vec<u8> {
    let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::new());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn scan_with(bytes: &[u8], name: &str, recorder: &mut Recorder) -> Result<ScanOutput, ScanError> {
    scan::scan(&mut Cursor::new(bytes), bytes.len() as u64, name, recorder)
}

fn scan_named(bytes: &[u8], name: &str) -> (ScanOutput, Recorder) {
    let mut recorder = Recorder::default();
    let out = scan_with(bytes, name, &mut recorder).expect("scan");
    (out, recorder)
}

fn problems<'a>(out: &'a ScanOutput, rule: &str) -> Vec<&'a Check> {
    out.checks
        .iter()
        .filter(|c| c.rule == rule && c.status != Status::Passed)
        .collect()
}

fn no_problems(out: &ScanOutput) {
    let found: Vec<_> = out
        .checks
        .iter()
        .filter(|c| c.status != Status::Passed)
        .collect();
    assert!(found.is_empty(), "{found:?}");
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata.iter().find(|(k, _)| k == key).expect(key).1
}

fn produced<'a>(rec: &'a Recorder, name: &str) -> &'a [u8] {
    match &rec.get(name).content {
        Content::Bytes { bytes, finished } => {
            assert!(finished, "{name} not finished");
            bytes
        }
        other => panic!("{name}: {other:?}"),
    }
}

fn sample() -> Vec<u8> {
    (0..200_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect()
}

#[test]
fn every_format_streams_its_data_back() {
    let data = sample();
    let cases: [(&str, Vec<u8>); 6] = [
        ("gzip", gzip(&data, None)),
        ("bzip2", bzip2(&data)),
        ("xz", xz(&data)),
        ("zstd", zstd(&data)),
        ("lz4", lz4(&data)),
        ("zlib", compress_to_vec_zlib(&data, 6)),
    ];
    for (format, bytes) in cases {
        let (out, rec) = scan_named(&bytes, &format!("dir/model.pkl.{format}"));
        no_problems(&out);
        assert_eq!(meta(&out, "format"), format);
        assert_eq!(rec.names().len(), 1, "{format}");
        let member = &rec.members[0];
        assert_eq!(produced(&rec, &member.header.name), data, "{format}");
        assert_eq!(member.header.compressed_size, Some(bytes.len() as u64));
        assert!(
            out.checks
                .iter()
                .any(|c| c.rule == rules::INTEGRITY && c.status == Status::Passed),
            "{format}"
        );
    }
}

#[test]
fn names_drop_the_suffix_and_tarballs_are_hinted() {
    let (_, rec) = scan_named(&gzip(b"x", None), "models/model.pkl.gz");
    assert_eq!(rec.names(), vec!["model.pkl"]);
    assert_eq!(rec.members[0].header.hint, None);
    let (_, rec) = scan_named(&gzip(b"x", None), "bundle.tgz");
    assert_eq!(rec.names(), vec!["bundle.tar"]);
    assert_eq!(rec.members[0].header.hint.as_deref(), Some("tar"));
    let (out, rec) = scan_named(&gzip(b"x", Some("orig.pkl")), "download");
    assert_eq!(rec.names(), vec!["orig.pkl"]);
    assert_eq!(meta(&out, "gzip-original-name"), "orig.pkl");
}

#[test]
fn concatenated_streams_are_one_member() {
    let mut bytes = gzip(b"first ", None);
    bytes.extend_from_slice(&gzip(b"second", None));
    let (out, rec) = scan_named(&bytes, "a.gz");
    no_problems(&out);
    assert_eq!(produced(&rec, "a"), b"first second");
    assert_eq!(meta(&out, "streams"), "2");
    let mut bytes = xz(b"one ");
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&xz(b"two"));
    let (out, rec) = scan_named(&bytes, "b.xz");
    no_problems(&out);
    assert_eq!(produced(&rec, "b"), b"one two");
}

#[test]
fn trailing_bytes_are_flagged_and_scanned() {
    for mut bytes in [
        gzip(b"data", None),
        bzip2(b"data"),
        zstd(b"data"),
        xz(b"data"),
    ] {
        let end = bytes.len();
        bytes.extend_from_slice(b"\x80\x02PAYLOAD.");
        let (out, rec) = scan_named(&bytes, "f");
        let found = problems(&out, rules::TRAILING);
        assert_eq!(found.len(), 1, "{:?}", out.checks);
        assert!(
            found[0]
                .message
                .contains("after the last compressed stream")
        );
        let name = format!("unlisted-bytes@{end}");
        assert_eq!(rec.bytes(&name, &bytes), b"\x80\x02PAYLOAD.");
        assert_eq!(produced(&rec, "f"), b"data");
    }
}

#[test]
fn zero_padding_is_a_low_finding_and_not_scanned() {
    let mut bytes = gzip(b"data", None);
    bytes.extend_from_slice(&[0; 512]);
    let (out, rec) = scan_named(&bytes, "f.gz");
    let found = problems(&out, rules::TRAILING);
    assert_eq!(found[0].severity, Some(Severity::Low));
    assert_eq!(rec.names(), vec!["f"]);
}

#[test]
fn zstd_skippable_frames_are_hidden_data() {
    let mut bytes = zstd(b"visible");
    let frame_at = bytes.len();
    bytes.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 6, 0, 0, 0]);
    bytes.extend_from_slice(b"hidden");
    bytes.extend_from_slice(&zstd(b" more"));
    let (out, rec) = scan_named(&bytes, "x.zst");
    let found = problems(&out, rules::TRAILING);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("skippable frame"));
    assert_eq!(produced(&rec, "x"), b"visible more");
    let hidden = rec.bytes(&format!("unlisted-bytes@{frame_at}"), &bytes);
    assert!(hidden.ends_with(b"hidden"));
}

#[test]
fn damaged_streams_fail_integrity_and_keep_what_decoded() {
    let data = sample();
    let mut bad_crc = gzip(&data, None);
    let crc_at = bad_crc.len() - 8;
    bad_crc[crc_at] ^= 0xff;
    let (out, rec) = scan_named(&bad_crc, "a.gz");
    let found = problems(&out, rules::INTEGRITY);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("CRC-32"), "{}", found[0].message);
    assert_eq!(produced(&rec, "a"), data);

    for (format, bytes) in [
        ("gzip", gzip(&data, None)),
        ("bzip2", bzip2(&data)),
        ("xz", xz(&data)),
        ("zstd", zstd(&data)),
        ("lz4", lz4(&data)),
        ("zlib", compress_to_vec_zlib(&data, 6)),
    ] {
        let cut = &bytes[..bytes.len() * 2 / 3];
        let (out, rec) = scan_named(cut, "cut");
        let found = problems(&out, rules::INTEGRITY);
        assert_eq!(found.len(), 1, "{format}: {:?}", out.checks);
        assert_eq!(found[0].status, Status::Failed);
        let partial = produced(&rec, "cut");
        assert!(data.starts_with(partial), "{format}");
    }
}

#[test]
fn oversized_xz_dictionary_is_not_decoded() {
    let mut bytes = xz(b"small");
    // Block header after the 12-byte stream header: LZMA2 filter id 0x21, one
    // property byte (the dictionary size); 40 means 1.5 GiB. Re-seal its CRC-32.
    let start = 12;
    let header_len = (bytes[start] as usize + 1) * 4;
    let props = (start..start + header_len - 4)
        .find(|&i| bytes[i] == 0x21 && bytes[i + 1] == 0x01)
        .expect("LZMA2 filter flags")
        + 2;
    bytes[props] = 40;
    let crc = crc32fast::hash(&bytes[start..start + header_len - 4]);
    bytes[start + header_len - 4..start + header_len].copy_from_slice(&crc.to_le_bytes());
    let (out, _) = scan_named(&bytes, "x.xz");
    let found = problems(&out, rules::DECODER_MEMORY);
    assert_eq!(found.len(), 1, "{:?}", out.checks);
    assert_eq!(problems(&out, rules::INTEGRITY)[0].status, Status::Skipped);
}

#[test]
fn host_limits_leave_the_stream_unverified() {
    let data = vec![0u8; 3 << 20];
    let mut rec = Recorder {
        max_member_bytes: 1 << 20,
        ..Recorder::default()
    };
    let out = scan_with(&zstd(&data), "z.zst", &mut rec).unwrap();
    let found = problems(&out, rules::INTEGRITY);
    assert_eq!(found[0].status, Status::Skipped);
    assert!(matches!(
        &rec.get("z").content,
        Content::Bytes {
            finished: false,
            ..
        }
    ));
}

#[test]
fn other_data_is_declined() {
    let mut rec = Recorder::default();
    for bytes in [&b"plain text"[..], b"x^2 + y^2 = z^2"] {
        assert!(matches!(
            scan_with(bytes, "f.gz", &mut rec),
            Err(ScanError::Unsupported(_))
        ));
    }
    // bzip2's magic followed by garbage is a damaged bzip2 stream.
    let out = scan_with(b"BZh9 not really", "f.bz2", &mut rec).unwrap();
    assert_eq!(problems(&out, rules::INTEGRITY).len(), 1);
}

#[test]
fn rule_ids_are_unique_and_prefixed() {
    let catalog = rules::catalog();
    for rule in &catalog {
        assert!(rule.id.starts_with("compressed-"), "{}", rule.id);
        assert!(!rule.cwe.is_empty() && !rule.references.is_empty());
    }
    let mut ids: Vec<_> = catalog.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), catalog.len());
    for id in [rules::INTEGRITY, rules::TRAILING, rules::DECODER_MEMORY] {
        assert!(ids.contains(&id));
    }
}

#[test]
fn damaged_streams_never_panic() {
    let data = sample();
    let originals = [
        gzip(&data[..5000], Some("x")),
        bzip2(&data[..5000]),
        xz(&data[..5000]),
        zstd(&data[..5000]),
        lz4(&data[..5000]),
        compress_to_vec_zlib(&data[..5000], 6),
    ];
    let mut state = 0x5eedu64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for original in &originals {
        for _ in 0..500 {
            let mut bytes = original.clone();
            for _ in 0..1 + random() % 4 {
                let at = (random() % bytes.len() as u64) as usize;
                bytes[at] = random() as u8;
            }
            let cut = bytes.len() - (random() % 16) as usize;
            let _ = scan_with(&bytes[..cut], "f", &mut Recorder::default());
        }
    }
}

#[test]
fn joblib_compressors_stream_their_pickle_back() {
    // `lzma.compress(b"\\x80\\x02}q\\x00.", format=lzma.FORMAT_ALONE)`, as joblib's lzma compressor writes.
    let lzma_alone = [
        0x5d, 0x00, 0x00, 0x80, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x40,
        0x00, 0x8b, 0x29, 0xd7, 0x80, 0xb9, 0xc1, 0x0f, 0xdf, 0xff, 0xff, 0x08, 0x80, 0x00, 0x00,
    ];
    let (out, rec) = scan_named(&lzma_alone, "model.joblib");
    no_problems(&out);
    assert_eq!(meta(&out, "format"), "lzma");
    assert_eq!(produced(&rec, "model.joblib"), b"\x80\x02}q\x00.");

    // joblib < 0.10: "ZF", hex length padded to 19 bytes, zlib.
    let mut legacy = b"ZF".to_vec();
    legacy.extend(format!("{:<19}", "0x6").bytes());
    legacy.extend(compress_to_vec_zlib(b"\x80\x02}q\x00.", 6));
    let (out, rec) = scan_named(&legacy, "old.pkl");
    no_problems(&out);
    assert_eq!(meta(&out, "format"), "joblib-zlib");
    assert_eq!(produced(&rec, "old.pkl"), b"\x80\x02}q\x00.");
}
