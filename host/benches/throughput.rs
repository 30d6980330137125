//! Throughput benchmarks, each against a reference measured in the same run:
//!
//! 1. one-pass MD5 + SHA-256 + SHA-512 of a 1 GiB file vs `sha256sum` alone and vs
//!    `md5sum`, `sha256sum` and `sha512sum` run one after another;
//! 2. `cordon scan` of that file, a 1 GiB safetensors model, vs the one-pass hashing
//!    alone (the scan must keep at least 0.8 of the hashing throughput);
//! 3. `cordon scan` of 2,000 small safetensors files vs `sha256sum` of the same files.
//!
//! Run with `cargo bench -p cordon`; results go in benches/README.md.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 3;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    hashing(dir.path());
    small_files(dir.path());
}

/// Best of `RUNS` wall-clock times.
fn best(mut f: impl FnMut()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn run(cmd: &mut Command) {
    let status = cmd
        .stdout(std::process::Stdio::null())
        .status()
        .expect("spawn");
    assert!(status.code().is_some_and(|c| c <= 1), "{cmd:?} failed");
}

fn hashing(dir: &Path) {
    // One U8 tensor covering the whole GiB, so the file is also a valid model.
    let path = dir.join("big.safetensors");
    let header = format!(
        r#"{{"w":{{"dtype":"U8","shape":[{n}],"data_offsets":[0,{n}]}}}}"#,
        n = 1u64 << 30
    );
    let mut data = (header.len() as u64).to_le_bytes().to_vec();
    data.extend_from_slice(header.as_bytes());
    let start = data.len();
    data.resize(start + (1 << 30), 0);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for chunk in data[start..].chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(&path, &data).unwrap();
    drop(data);
    let gib = 1.0;
    let cordon = best(|| {
        let file = std::fs::File::open(&path).unwrap();
        cordon::hash::hash_reader(file, 1 << 30).unwrap();
    });
    let cache = dir.join("cache");
    let scan = || {
        run(Command::new(env!("CARGO_BIN_EXE_cordon"))
            .env("CORDON_CACHE_DIR", &cache)
            .args(["scan", "--format", "json", "--output", "/dev/null"])
            .arg(&path))
    };
    scan(); // fills the compile cache
    let scan = best(scan);
    let sha256sum = best(|| run(Command::new("sha256sum").arg(&path)));
    let coreutils_all = best(|| {
        for tool in ["md5sum", "sha256sum", "sha512sum"] {
            run(Command::new(tool).arg(&path));
        }
    });
    println!("hashing 1 GiB (page cache warm, best of {RUNS}):");
    println!(
        "  cordon md5+sha256+sha512, one pass  {:>7.2} s  {:>6.0} MiB/s",
        cordon.as_secs_f64(),
        1024.0 * gib / cordon.as_secs_f64()
    );
    println!(
        "  sha256sum                           {:>7.2} s  {:>6.0} MiB/s",
        sha256sum.as_secs_f64(),
        1024.0 * gib / sha256sum.as_secs_f64()
    );
    println!(
        "  md5sum; sha256sum; sha512sum        {:>7.2} s",
        coreutils_all.as_secs_f64()
    );
    println!(
        "  ratio cordon / sha256sum            {:>7.2}",
        cordon.as_secs_f64() / sha256sum.as_secs_f64()
    );
    println!(
        "  ratio cordon / three coreutils      {:>7.2}",
        cordon.as_secs_f64() / coreutils_all.as_secs_f64()
    );
    println!(
        "  cordon scan of it as a model        {:>7.2} s  {:>6.0} MiB/s",
        scan.as_secs_f64(),
        1024.0 * gib / scan.as_secs_f64()
    );
    println!(
        "  scan throughput / hashing alone     {:>7.2}",
        cordon.as_secs_f64() / scan.as_secs_f64()
    );
    std::fs::remove_file(&path).unwrap();
}

fn small_files(dir: &Path) {
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    for i in 0..2000 {
        let n = 16 + i % 64;
        let header = format!(
            r#"{{"w":{{"dtype":"F32","shape":[{n}],"data_offsets":[0,{}]}}}}"#,
            n * 4
        );
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.resize(bytes.len() + n * 4, 0);
        std::fs::write(models.join(format!("m{i:04}.safetensors")), bytes).unwrap();
    }
    let files: Vec<_> = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let cache = dir.join("cache");
    let cordon = || {
        run(Command::new(env!("CARGO_BIN_EXE_cordon"))
            .env("CORDON_CACHE_DIR", &cache)
            .args(["scan", "--format", "json", "--output", "/dev/null"])
            .arg(&models))
    };
    cordon(); // fills the compile cache
    let scan = best(cordon);
    let sha256sum = best(|| run(Command::new("sha256sum").args(&files)));
    println!("scanning 2,000 small safetensors files (best of {RUNS}, all cores):");
    println!(
        "  cordon scan (hash + sandboxed plugin per file)  {:>7.3} s  {:>7.0} files/s",
        scan.as_secs_f64(),
        2000.0 / scan.as_secs_f64()
    );
    println!(
        "  sha256sum of the same files                     {:>7.3} s",
        sha256sum.as_secs_f64()
    );
    println!(
        "  ratio cordon / sha256sum                        {:>7.2}",
        scan.as_secs_f64() / sha256sum.as_secs_f64()
    );
}
