//! Builds the bundled plugins to wasm components and embeds them: `bundled.rs`
//! in `OUT_DIR` lists `(name, bytes)` pairs.

#[path = "build/wasm.rs"]
mod wasm;

use std::path::Path;

/// Directories under `plugins/` whose crate (`cordon-plugin-<dir>`) ships inside `cordon`.
const BUNDLED: &[&str] = &[
    "pickle",
    "safetensors",
    "torchscript",
    "zip",
    "tar",
    "sevenz",
    "compressed",
    "onnx",
    "tensorflow",
    "gguf",
    "hf-config",
    "keras",
    "executables",
    "skops",
    "torchserve",
    "gbdt",
    "runtimes",
    "tflite",
    "msgpack",
    "orbax",
    "pmml",
];

fn main() {
    let host = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = host.parent().expect("host/ is inside the workspace");
    let names = BUNDLED;
    let packages: Vec<String> = names.iter().map(|n| format!("cordon-plugin-{n}")).collect();
    let package_refs: Vec<&str> = packages.iter().map(String::as_str).collect();
    let wasm = wasm::build_components(workspace, &package_refs);

    let entries: String = names
        .iter()
        .zip(&wasm)
        .map(|(name, path)| {
            format!(
                "    ({name:?}, include_bytes!({:?})),\n",
                path.display().to_string()
            )
        })
        .collect();
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("bundled.rs");
    std::fs::write(
        out,
        format!("pub const BUNDLED: &[(&str, &[u8])] = &[\n{entries}];\n"),
    )
    .unwrap();

    for dir in ["plugins", "wit"] {
        println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.lock").display()
    );
    println!("cargo:rerun-if-changed=build");
}
