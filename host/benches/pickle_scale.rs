//! Large benign pickles: a 200 MB OrderedDict of float32 arrays (the layout numpy
//! and `torch.save` legacy checkpoints produce) and an 11 MB dict of 300,000 entries.
//! Each is scanned by `cordon scan`; reported: wall time, peak RSS, failed checks,
//! and the ratio to `sha256sum` of the same file measured in the same run.
//!
//! Run with `cargo bench -p cordon --bench pickle_scale`; results go in benches/README.md.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Written in pieces: a child forked from a process holding 200 MB would
    // report that memory as its own peak RSS.
    let arrays = dir.path().join("ordered_arrays.pkl");
    write(&arrays, |out| ordered_dict_of_arrays(out, 50, 1_000_000));
    let entries = dir.path().join("dict_300k.pkl");
    write(&entries, |out| dict_of_entries(out, 300_000));
    let cache = dir.path().join("cache");
    for path in [&arrays, &entries] {
        measure(path, &cache);
    }
}

fn write(path: &Path, generate: impl FnOnce(&mut Pickle)) {
    let mut out = Pickle(std::io::BufWriter::new(
        std::fs::File::create(path).unwrap(),
    ));
    generate(&mut out);
    out.0.flush().unwrap();
}

/// A pickle being written, opcode by opcode.
struct Pickle(std::io::BufWriter<std::fs::File>);

impl Pickle {
    fn extend(&mut self, bytes: impl IntoIterator<Item = u8>) {
        let bytes: Vec<u8> = bytes.into_iter().collect();
        self.0.write_all(&bytes).unwrap();
    }

    fn push(&mut self, byte: u8) {
        self.extend([byte]);
    }
}

fn measure(path: &Path, cache: &Path) {
    let size = std::fs::metadata(path).unwrap().len();
    // Warm the compile cache and the page cache.
    scan(path, cache);
    let (time, rss, report) = scan(path, cache);
    let report: serde_json::Value = serde_json::from_slice(&report).expect("JSON report");
    let failed = report["summary"]["checks"]["failed"].as_u64().unwrap_or(0);
    let errors = report["summary"]["checks"]["error"].as_u64().unwrap_or(0);
    let t = Instant::now();
    let status = Command::new("sha256sum")
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let reference = t.elapsed();
    println!(
        "{}: {:.1} MB  cordon {:.3} s, peak RSS {:.1} MB, {failed} failed / {errors} error checks; sha256sum {:.3} s; ratio {:.2}",
        path.file_name().unwrap().to_string_lossy(),
        size as f64 / 1e6,
        time.as_secs_f64(),
        rss as f64 / 1e6,
        reference.as_secs_f64(),
        time.as_secs_f64() / reference.as_secs_f64()
    );
}

/// Wall time, peak resident set (bytes) and stdout of one `cordon scan`.
fn scan(path: &Path, cache: &Path) -> (Duration, u64, Vec<u8>) {
    let t = Instant::now();
    // Reaped below with `wait4`, which also reports the child's peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .env("CORDON_CACHE_DIR", cache)
        .args(["scan", "--format", "json"])
        .arg(path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let output = {
        let mut stdout = child.stdout.unwrap();
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).unwrap();
        buf
    };
    let mut status = 0;
    // SAFETY: plain FFI call with valid pointers; `rusage` is plain old data.
    let rss = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::wait4(pid, &mut status, 0, &mut usage), pid);
        usage.ru_maxrss as u64 * 1024
    };
    (t.elapsed(), rss, output)
}

/// Pickle opcodes used below (protocol 3, for the bytes opcodes).
const PROTO: u8 = 0x80;
const GLOBAL: u8 = b'c';
const MARK: u8 = b'(';
const REDUCE: u8 = b'R';
const BUILD: u8 = b'b';
const TUPLE: u8 = b't';
const TUPLE1: u8 = 0x85;
const TUPLE3: u8 = 0x87;
const EMPTY_TUPLE: u8 = b')';
const EMPTY_DICT: u8 = b'}';
const SETITEMS: u8 = b'u';
const BININT1: u8 = b'K';
const BININT: u8 = b'J';
const NONE: u8 = b'N';
const NEWTRUE: u8 = 0x88;
const NEWFALSE: u8 = 0x89;
const BINUNICODE: u8 = b'X';
const SHORT_BINBYTES: u8 = b'C';
const BINBYTES: u8 = b'B';
const BINFLOAT: u8 = b'G';
const STOP: u8 = b'.';

fn global(p: &mut Pickle, module: &str, name: &str) {
    p.push(GLOBAL);
    p.extend(format!("{module}\n{name}\n").into_bytes());
}

fn unicode(p: &mut Pickle, s: &str) {
    p.push(BINUNICODE);
    p.extend((s.len() as u32).to_le_bytes());
    p.extend(s.bytes());
}

fn int(p: &mut Pickle, v: i32) {
    p.push(BININT);
    p.extend(v.to_le_bytes());
}

/// `OrderedDict` of `count` float32 arrays of `len` elements, pickled the way numpy does.
fn ordered_dict_of_arrays(p: &mut Pickle, count: usize, len: usize) {
    p.extend([PROTO, 3]);
    global(p, "collections", "OrderedDict");
    p.extend([EMPTY_TUPLE, REDUCE, MARK]);
    for i in 0..count {
        unicode(p, &format!("layer{i}.weight"));
        global(p, "numpy.core.multiarray", "_reconstruct");
        global(p, "numpy", "ndarray");
        p.extend([BININT1, 0, TUPLE1, SHORT_BINBYTES, 1, b'b', TUPLE3, REDUCE]);
        // state: (1, (len,), dtype('<f4'), False, raw bytes)
        p.extend([MARK, BININT1, 1]);
        int(p, len as i32);
        p.push(TUPLE1);
        global(p, "numpy", "dtype");
        unicode(p, "f4");
        p.extend([NEWFALSE, NEWTRUE, TUPLE3, REDUCE, MARK, BININT1, 3]);
        unicode(p, "<");
        p.extend([NONE, NONE, NONE]);
        int(p, -1);
        int(p, -1);
        p.extend([BININT1, 0, TUPLE, BUILD, NEWFALSE, BINBYTES]);
        let bytes = len * 4;
        p.extend((bytes as u32).to_le_bytes());
        p.extend((0..bytes).map(|b| (b * 7 + i) as u8));
        p.extend([TUPLE, BUILD]);
    }
    p.extend([SETITEMS, STOP]);
}

/// A plain dict of `n` string keys to small floats and strings, in batches like pickle writes.
fn dict_of_entries(p: &mut Pickle, n: usize) {
    p.extend([PROTO, 3, EMPTY_DICT]);
    for batch in (0..n).collect::<Vec<_>>().chunks(1000) {
        p.push(MARK);
        for &i in batch {
            unicode(p, &format!("feature_name_{i:07}"));
            if i % 2 == 0 {
                p.push(BINFLOAT);
                p.extend((i as f64 * 0.5).to_be_bytes());
            } else {
                unicode(p, &format!("val_{i:x}"));
            }
        }
        p.push(SETITEMS);
    }
    p.push(STOP);
}
