//! Test fixture: a temporary directory of input files and a way to run `cordon` on it.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

/// What a `cordon` run printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl Fixture {
    pub fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// `cordon` with a compile cache shared by all tests and this fixture as working directory.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cordon"));
        cmd.current_dir(self.dir.path())
            .env(
                "CORDON_CACHE_DIR",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("cordon-cache"),
            )
            .env_remove("NO_COLOR");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command().args(args).output().expect("run cordon");
        Run {
            code: out.status.code().expect("cordon exited by signal"),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Replace what changes between runs (temp dir, times, plugin hashes) for snapshots.
    pub fn filters(&self) -> Vec<(String, String)> {
        let dir = regex_escape(&self.dir.path().display().to_string());
        vec![
            (dir, "[TMP]".into()),
            (
                r#""(started|finished)_at": "[^"]+""#.into(),
                r#""${1}_at": "[TIME]""#.into(),
            ),
            (
                r#""duration_ms": [0-9.e-]+"#.into(),
                r#""duration_ms": "[MS]""#.into(),
            ),
            (r"in [0-9]+\.[0-9]+s".into(), "in [SECS]".into()),
            (r#""jobs": [0-9]+"#.into(), r#""jobs": "[JOBS]""#.into()),
            (
                r#""sha256": "[0-9a-f]{64}",\n(\s+)"source": "bundled""#.into(),
                "\"sha256\": \"[PLUGIN-SHA256]\",\n$1\"source\": \"bundled\"".into(),
            ),
        ]
    }
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// A valid safetensors file: one F32 tensor of `n` zeros, plus `extra` unclaimed bytes.
pub fn safetensors(n: usize, extra: usize) -> Vec<u8> {
    let header = format!(
        r#"{{"w":{{"dtype":"F32","shape":[{n}],"data_offsets":[0,{}]}}}}"#,
        n * 4
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.resize(bytes.len() + n * 4 + extra, 0);
    bytes
}

/// The checks of a JSON report's file whose path ends with `name`.
pub fn checks<'a>(report: &'a serde_json::Value, name: &str) -> Vec<&'a serde_json::Value> {
    file(report, name)["checks"]
        .as_array()
        .unwrap()
        .iter()
        .collect()
}

pub fn file<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no file {name} in report"))
}
