//! Shared by build scripts: compile plugin crates of this workspace to
//! `wasm32-wasip2` components with a nested `cargo build`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

/// Build `packages` (workspace package names) in release mode and return the
/// path of each one's `.wasm` component, in order.
pub fn build_components(workspace: &Path, packages: &[&str]) -> Vec<PathBuf> {
    ensure_target();
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
        .join("wasm-plugins");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "--target", TARGET, "--target-dir"])
        .arg(&target_dir);
    for package in packages {
        cmd.args(["-p", package]);
    }
    // Flags and wrappers meant for the host build must not leak into the wasm one.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_LLVM_COV",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .expect("failed to run cargo for the wasm plugins");
    assert!(
        status.success(),
        "building the wasm plugins {packages:?} failed"
    );
    packages
        .iter()
        .map(|p| {
            target_dir
                .join(TARGET)
                .join("release")
                .join(format!("{}.wasm", p.replace('-', "_")))
        })
        .collect()
}

/// Install the wasm target through rustup when it is missing, or fail with the command to run.
fn ensure_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = |root: &Option<PathBuf>| {
        root.as_ref()
            .is_some_and(|r| r.join("lib/rustlib").join(TARGET).exists())
    };
    if installed(&sysroot) {
        return;
    }
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", TARGET]);
    if let Ok(toolchain) = env::var("RUSTUP_TOOLCHAIN") {
        rustup.args(["--toolchain", &toolchain]);
    }
    let added = rustup.status().is_ok_and(|s| s.success());
    assert!(
        added && installed(&sysroot),
        "the {TARGET} Rust target is missing and could not be installed; run `rustup target add {TARGET}`"
    );
}
