//! Archives through the `cordon` binary: members reach the right plugin with
//! their location, hostile archives are stopped by the host's limits, and the
//! archive plugins' findings show in the report. Corpus files are only parsed.

mod support;

use std::io::Write;
use std::path::PathBuf;

use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder};
use support::{Fixture, checks, file, safetensors};

/// A zip archive written entry by entry, without data descriptors.
#[derive(Default)]
struct Zip {
    bytes: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

impl Zip {
    fn stored(self, name: &str, data: &[u8]) -> Self {
        self.entry(name, data, 0, data, 0)
    }

    fn deflated(self, name: &str, data: &[u8]) -> Self {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        let packed = encoder.finish().unwrap();
        self.entry(name, &packed, 8, data, 0)
    }

    /// `raw` is what the archive stores; `plain` is what it decompresses to.
    fn entry(mut self, name: &str, raw: &[u8], method: u16, plain: &[u8], flags: u16) -> Self {
        let offset = self.bytes.len() as u32;
        let fields = |sig: &[u8], out: &mut Vec<u8>| {
            out.extend_from_slice(sig);
            out.extend_from_slice(&20u16.to_le_bytes());
            if sig == b"PK\x01\x02" {
                out.extend_from_slice(&20u16.to_le_bytes());
            }
            out.extend_from_slice(&flags.to_le_bytes());
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&crc32(plain).to_le_bytes());
            out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
            out.extend_from_slice(&(plain.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0; 2]);
        };
        fields(b"PK\x03\x04", &mut self.bytes);
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.extend_from_slice(raw);
        fields(b"PK\x01\x02", &mut self.central);
        self.central.extend_from_slice(&[0; 10]);
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.count += 1;
        self
    }

    fn finish(mut self) -> Vec<u8> {
        let cd_offset = self.bytes.len() as u32;
        self.bytes.extend_from_slice(&self.central);
        self.bytes.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        self.bytes.extend_from_slice(&self.count.to_le_bytes());
        self.bytes.extend_from_slice(&self.count.to_le_bytes());
        self.bytes
            .extend_from_slice(&(self.central.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(&cd_offset.to_le_bytes());
        self.bytes.extend_from_slice(&[0; 2]);
        self.bytes
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

/// A ustar archive; `kind` is the type flag, `link` the link target.
#[derive(Default)]
struct Tar(Vec<u8>);

impl Tar {
    fn entry(mut self, name: &str, kind: u8, link: &str, data: &[u8]) -> Self {
        let mut block = vec![0u8; 512];
        block[..name.len()].copy_from_slice(name.as_bytes());
        block[100..108].copy_from_slice(b"0000644\0");
        block[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
        block[136..148].copy_from_slice(b"00000000000\0");
        block[148..156].copy_from_slice(b"        ");
        block[156] = kind;
        block[157..157 + link.len()].copy_from_slice(link.as_bytes());
        block[257..265].copy_from_slice(b"ustar\x0000");
        let sum: u32 = block.iter().map(|b| u32::from(*b)).sum();
        block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        self.0.extend(block);
        self.0.extend_from_slice(data);
        self.0.resize(self.0.len().div_ceil(512) * 512, 0);
        self
    }

    fn file(self, name: &str, data: &[u8]) -> Self {
        self.entry(name, b'0', "", data)
    }

    fn finish(mut self) -> Vec<u8> {
        self.0.resize(self.0.len() + 1024, 0);
        self.0
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn scan(f: &Fixture, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["scan", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(".");
    let run = f.run(&args);
    (run.code, run.json())
}

/// Checks of `name` with this rule and status.
fn found<'a>(
    report: &'a serde_json::Value,
    name: &str,
    rule: &str,
    status: &str,
) -> Vec<&'a serde_json::Value> {
    checks(report, name)
        .into_iter()
        .filter(|c| c["rule"] == rule && c["status"] == status)
        .collect()
}

fn member(check: &serde_json::Value) -> &str {
    check["location"]["member"].as_str().unwrap_or("")
}

/// No plugin of `name` was stopped by the sandbox and no check is an error.
fn no_crash_or_error(report: &serde_json::Value, name: &str) {
    let bad: Vec<_> = checks(report, name)
        .into_iter()
        .filter(|c| c["status"] == "error" || c["rule"] == "cordon-plugin-crashed")
        .collect();
    assert!(bad.is_empty(), "{name}: {bad:#?}");
}

#[test]
fn members_reach_their_plugins_with_their_location() {
    let f = Fixture::new();
    let zip = Zip::default()
        .stored("weights/clean.safetensors", &safetensors(16, 0))
        .deflated("weights/padded.safetensors", &safetensors(4096, 7))
        .finish();
    f.write("outer.zip", zip);
    let (code, report) = scan(&f, &[]);
    assert_eq!(code, 1, "{report:#}");
    no_crash_or_error(&report, "outer.zip");
    let layout = found(&report, "outer.zip", "safetensors-data-layout", "failed");
    assert_eq!(layout.len(), 1, "{layout:#?}");
    assert_eq!(member(layout[0]), "weights/padded.safetensors");
    let clean = found(&report, "outer.zip", "safetensors-data-layout", "passed");
    assert_eq!(member(clean[0]), "weights/clean.safetensors");
    // The zip plugin's own checks all passed.
    let zip_failures: Vec<_> = checks(&report, "outer.zip")
        .into_iter()
        .filter(|c| c["plugin"] == "zip" && c["status"] != "passed")
        .collect();
    assert!(zip_failures.is_empty(), "{zip_failures:#?}");
    let formats = &file(&report, "outer.zip")["formats"];
    assert_eq!(formats, &serde_json::json!(["zip", "safetensors"]));
}

#[test]
fn zip_in_tar_in_gzip_is_unpacked_level_by_level() {
    let f = Fixture::new();
    let zip = Zip::default()
        .deflated("bad.safetensors", &safetensors(8, 3))
        .finish();
    let tar = Tar::default().file("inner.zip", &zip).finish();
    f.write("model.tar.gz", gzip(&tar));
    let (code, report) = scan(&f, &[]);
    assert_eq!(code, 1);
    no_crash_or_error(&report, "model.tar.gz");
    let layout = found(&report, "model.tar.gz", "safetensors-data-layout", "failed");
    assert_eq!(layout.len(), 1);
    assert_eq!(member(layout[0]), "model.tar!inner.zip!bad.safetensors");
    let runs: Vec<(&str, &str)> = file(&report, "model.tar.gz")["plugin_runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "completed")
        .map(|r| {
            (
                r["plugin"].as_str().unwrap(),
                r["member"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for expected in [
        ("compressed", ""),
        ("tar", "model.tar"),
        ("zip", "model.tar!inner.zip"),
        ("safetensors", "model.tar!inner.zip!bad.safetensors"),
    ] {
        assert!(runs.contains(&expected), "{expected:?} not in {runs:?}");
    }
}

#[test]
fn zip_bomb_is_stopped_by_the_ratio_limit() {
    let f = Fixture::new();
    f.write(
        "bomb.zip",
        Zip::default()
            .deflated("zeros.bin", &vec![0u8; 64 << 20])
            .finish(),
    );
    f.write("bomb.bin.gz", gzip(&vec![0u8; 64 << 20]));
    let on_disk = std::fs::metadata(f.path("bomb.zip")).unwrap().len();
    assert!(on_disk < 200 << 10, "{on_disk} bytes");
    let (code, report) = scan(&f, &[]);
    assert_eq!(code, 1, "{report:#}");
    for (name, inner) in [("bomb.zip", "zeros.bin"), ("bomb.bin.gz", "bomb.bin")] {
        let ratio = found(&report, name, "cordon-archive-compression-ratio", "failed");
        assert_eq!(ratio.len(), 1, "{name}: {:#?}", checks(&report, name));
        assert_eq!(member(ratio[0]), inner);
        assert_eq!(ratio[0]["severity"], "high");
        no_crash_or_error(&report, name);
    }
}

#[test]
fn nesting_past_the_depth_limit_is_recorded() {
    let f = Fixture::new();
    let mut archive = Zip::default().stored("payload.txt", b"deep").finish();
    for level in (1..=7).rev() {
        archive = Zip::default()
            .stored(&format!("{level}.zip"), &archive)
            .finish();
    }
    f.write("42.zip", archive);
    let (code, report) = scan(&f, &["--max-depth", "3"]);
    assert_eq!(code, 1);
    let depth = found(&report, "42.zip", "cordon-archive-depth", "failed");
    assert_eq!(depth.len(), 1, "{:#?}", checks(&report, "42.zip"));
    assert_eq!(member(depth[0]), "1.zip!2.zip!3.zip!4.zip");
    no_crash_or_error(&report, "42.zip");
}

#[test]
fn tar_links_escaping_the_archive_are_flagged() {
    let f = Fixture::new();
    let tar = Tar::default()
        .entry("model/config", b'2', "../../../etc/passwd", b"")
        .entry("model/weights", b'1', "../outside/weights", b"")
        .entry("model/ok", b'2', "config", b"")
        .finish();
    f.write("links.tar", tar);
    let (code, report) = scan(&f, &[]);
    assert_eq!(code, 1);
    let escapes = found(&report, "links.tar", "tar-link-escape", "failed");
    let members: Vec<_> = escapes.iter().map(|c| member(c)).collect();
    assert_eq!(members, vec!["model/config", "model/weights"]);
    assert!(escapes.iter().all(|c| c["severity"] == "high"));
}

#[test]
fn zip_slip_names_are_flagged() {
    let f = Fixture::new();
    let zip = Zip::default()
        .stored("../../.ssh/authorized_keys", b"ssh-ed25519 AAAA")
        .stored("C:\\Windows\\evil.dll", b"MZ")
        .stored("model/fine.txt", b"ok")
        .finish();
    f.write("slip.zip", zip);
    let (code, report) = scan(&f, &[]);
    assert_eq!(code, 1);
    let slip = found(&report, "slip.zip", "zip-unsafe-path", "failed");
    let members: Vec<_> = slip.iter().map(|c| member(c)).collect();
    assert_eq!(
        members,
        vec!["../../.ssh/authorized_keys", "C:\\Windows\\evil.dll"]
    );
}

#[test]
fn encrypted_members_are_never_clean() {
    let f = Fixture::new();
    let ciphertext: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(151)).collect();
    let zip = Zip::default()
        .entry("secret.pkl", &ciphertext, 0, &ciphertext[12..], 0x1)
        .finish();
    f.write("locked.zip", zip);
    let (code, report) = scan(&f, &[]);
    assert_eq!(code, 1);
    let encrypted = found(&report, "locked.zip", "zip-encrypted-member", "failed");
    assert_eq!(encrypted.len(), 1);
    assert_eq!(encrypted[0]["severity"], "high");
    assert!(
        encrypted[0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be inspected")
    );
}

#[test]
fn plugin_memory_stays_bounded_while_members_stream() {
    // 160 MiB members under a 64 MiB plugin memory cap: only streaming gets
    // them to the host, where the member-size limit (not the machine) stops them.
    let f = Fixture::new();
    let big = vec![0u8; 160 << 20];
    f.write("big.zip", Zip::default().deflated("big.bin", &big).finish());
    f.write("big.bin.gz", gzip(&big));
    let (code, report) = scan(
        &f,
        &[
            "--max-memory",
            "64M",
            "--max-ratio",
            "1000000",
            "--max-member-bytes",
            "100M",
        ],
    );
    assert_eq!(code, 1, "{report:#}");
    for (name, inner) in [("big.zip", "big.bin"), ("big.bin.gz", "big.bin")] {
        let size = found(&report, name, "cordon-archive-member-size", "failed");
        assert_eq!(size.len(), 1, "{name}: {:#?}", checks(&report, name));
        assert_eq!(member(size[0]), inner);
        assert_eq!(size[0]["evidence"]["bytes_unpacked"], "104857600");
        no_crash_or_error(&report, name);
    }
}

fn corpus_dir() -> Option<PathBuf> {
    [
        std::env::var_os("CORDON_CORPUS").map(PathBuf::from),
        Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/corpus"
        ))),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.join("INDEX.tsv").is_file())
}

/// Archive-level findings on the corpus's zip and 7z files. Many hold malicious
/// pickles; only the archive plugins' verdicts are asserted here.
#[test]
fn corpus_archives_report_their_anomalies() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: no corpus (set CORDON_CORPUS or place it at ../shared/corpus)");
        return;
    };
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).unwrap();
    let rows: Vec<(String, String)> = index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let archive = cols[1] == "7z"
                || cols[1].starts_with("zip")
                || cols[1].starts_with("npz")
                || cols[1].ends_with("-zip");
            archive.then(|| (cols[0].to_string(), cols[1].to_string()))
        })
        .collect();
    assert!(rows.len() >= 15, "{} archive rows", rows.len());
    let f = Fixture::new();
    let mut args: Vec<String> = ["scan", "--format", "json"].map(String::from).to_vec();
    args.extend(rows.iter().map(|(p, _)| dir.join(p).display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = f.run(&args).json();

    let failed = |path: &str, rule: &str| !found(&report, path, rule, "failed").is_empty();
    let scanned_member = |path: &str, name: &str| {
        file(&report, path)["plugin_runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["member"] == name && r["outcome"] == "completed")
    };
    let meta = |path: &str, key: &str| -> String {
        file(&report, path)["metadata"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key && m.get("member").is_none())
            .map_or(String::new(), |m| m["value"].as_str().unwrap().to_string())
    };
    for (path, format) in &rows {
        no_crash_or_error(&report, path);
        let expectation = match format.as_str() {
            "zip-bad-crc" => failed(path, "zip-crc-mismatch"),
            "zip-name-mismatch" => {
                failed(path, "zip-local-name-mismatch") && scanned_member(path, "data.pkl")
            }
            "zip-flagbits" => {
                failed(path, "zip-flag-bits") && scanned_member(path, "model/config.pkl")
            }
            "zip-path-traversal" => failed(path, "zip-unsafe-path"),
            "zip-encrypted" => {
                failed(path, "zip-encrypted-member") && failed(path, "zip-flag-bits")
            }
            "pytorch-zip" => {
                meta(path, "torch-layout") == "yes"
                    && file(&report, path)["plugin_runs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| {
                            r["plugin"] == "pickle"
                                && r["member"]
                                    .as_str()
                                    .is_some_and(|m| m.ends_with("data.pkl"))
                        })
            }
            "7z" => meta(path, "format") == "7z" && scanned_member(path, "data.pkl"),
            f if f.starts_with("npz") => {
                scanned_member(path, "a.npy") && scanned_member(path, "b.npy")
            }
            _ => checks(&report, path)
                .iter()
                .any(|c| c["rule"] == "zip-structure" && c["status"] == "passed"),
        };
        assert!(expectation, "{format} {path}: {:#}", file(&report, path));
    }
}

#[test]
fn torchscript_code_in_a_pytorch_archive_is_checked() {
    let f = Fixture::new();
    let model = Zip::default()
        .stored("m/data.pkl", b"\x80\x02}q\x00.")
        .stored("m/version", b"3\n")
        .deflated(
            "m/code/__torch__.py",
            b"def forward(self, x):\n  return __import__(\"os\").system(\"id\")\n",
        )
        .finish();
    f.write("scripted.pt", &model);
    let (code, report) = scan(&f, &[]);
    assert_eq!(code, 1);
    let calls = found(
        &report,
        "scripted.pt",
        "torchscript-dangerous-call",
        "failed",
    );
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(member(calls[0]), "m/code/__torch__.py");
    assert_eq!(calls[0]["location"]["locator"], "line 2");
}

#[test]
fn storages_that_merely_start_like_a_pickle_are_not_findings() {
    // float32 weights whose first bytes are PROTO 2, then values no pickle has.
    let mut weights = vec![0x80, 0x02];
    weights.extend((0..62u32).flat_map(|i| (i as f32 * 0.37).to_le_bytes()));
    let f = Fixture::new();
    let model = Zip::default()
        .stored("m/data.pkl", b"\x80\x02}q\x00.")
        .stored("m/data/0", &weights)
        .stored("m/version", b"3\n")
        .finish();
    f.write("weights.pt", &model);
    let (code, report) = scan(&f, &[]);
    assert_eq!(code, 0, "{:#}", report["files"][0]["checks"]);
    no_crash_or_error(&report, "weights.pt");
}

#[test]
fn compressed_joblib_files_reach_the_pickle_scanner() {
    let payload = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.";
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(payload).unwrap();
    let zlib = zlib.finish().unwrap();
    let mut legacy = b"ZF".to_vec();
    legacy.extend(format!("{:<19}", format!("{:#x}", payload.len())).bytes());
    legacy.extend(&zlib);
    let f = Fixture::new();
    f.write("zlib.joblib", &zlib);
    f.write("gzip.joblib", gzip(payload));
    f.write("legacy.joblib", &legacy);
    let (code, report) = scan(&f, &[]);
    assert_eq!(code, 1);
    for name in ["zlib.joblib", "gzip.joblib", "legacy.joblib"] {
        let hits = found(&report, name, "pickle-dangerous-global", "failed");
        assert_eq!(hits.len(), 1, "{name}: {:#}", report);
        assert_eq!(member(hits[0]), name);
        no_crash_or_error(&report, name);
    }
}

#[test]
fn malicious_pickle_is_found_through_every_layer() {
    let payload: &[u8] = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.";
    let f = Fixture::new();
    // A tar.gz of the pickle.
    f.write(
        "model.tar.gz",
        gzip(&Tar::default().file("model/data.pkl", payload).finish()),
    );
    // A zip in a 7z in a tar.
    let zip = Zip::default()
        .deflated("archive/data.pkl", payload)
        .stored("archive/version", b"3\n")
        .finish();
    let mut seven = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).unwrap();
    seven
        .push_archive_entry(
            sevenz_rust2::ArchiveEntry::new_file("weights/model.pt"),
            Some(zip.as_slice()),
        )
        .unwrap();
    let seven = seven.finish().unwrap().into_inner();
    f.write(
        "bundle.tar",
        Tar::default().file("release/model.7z", &seven).finish(),
    );
    let (code, report) = scan(&f, &[]);
    assert_eq!(code, 1);
    let tgz = found(&report, "model.tar.gz", "pickle-dangerous-global", "failed");
    assert_eq!(member(tgz[0]), "model.tar!model/data.pkl");
    let nested = found(&report, "bundle.tar", "pickle-dangerous-global", "failed");
    assert_eq!(
        member(nested[0]),
        "release/model.7z!weights/model.pt!archive/data.pkl"
    );
    for name in ["model.tar.gz", "bundle.tar"] {
        no_crash_or_error(&report, name);
    }
}
