//! Cordon plugin for runtime model formats that are mostly opaque: CoreML
//! (`.mlmodel`, `.mlpackage` manifests), OpenVINO IR (`.xml`), ExecuTorch
//! programs (`.pte`) and TensorRT engines. It records what can be verified and, explicitly as skipped
//! checks, what cannot.

mod coreml;
mod executorch;
mod openvino;
mod paths;
mod rules;
mod tensorrt;

/// The PMML plugin's XML tokenizer: no entity is ever expanded. Its entity
/// helpers serve PMML; OpenVINO only needs the tokens.
#[path = "../../pmml/src/xml.rs"]
#[allow(dead_code)]
mod xml;

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

/// Largest `.mlpackage` Manifest.json read (real ones are under a KiB).
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

struct Runtimes;

impl Plugin for Runtimes {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "runtimes".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "CoreML, OpenVINO IR, ExecuTorch and TensorRT runtime model files".into(),
            formats: vec![
                FormatClaim::new("coreml", &["mlmodel"]),
                FormatClaim::new("coreml-manifest", &["json"]),
                FormatClaim::new("openvino-ir", &["xml"]),
                FormatClaim::new("executorch", &["pte"]).magic(4, b"ET12"),
                FormatClaim::new("tensorrt", &["engine", "plan", "trt"]),
            ],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let name = input.name().to_ascii_lowercase();
        let mut out = ScanOutput::default();
        if name.ends_with(".json") {
            return manifest(input, &name);
        }
        if name.ends_with(".xml") {
            return openvino_ir(input);
        }
        let head = input.read_at(0, executorch::HEAD_BYTES)?;
        if executorch::identifier(&head).is_some() && !name.ends_with(".mlmodel") {
            executorch::analyze(&head, input.size(), &mut out);
        } else if name.ends_with(".mlmodel") {
            coreml::analyze(input.reader(), input.size(), &mut out);
        } else if [".engine", ".plan", ".trt"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            let head = input.read_at(0, tensorrt::SCAN_BYTES)?;
            tensorrt::analyze(&head, input.size(), &mut out);
        } else {
            return Err(ScanError::Unsupported(
                "not a CoreML, ExecuTorch or TensorRT file".into(),
            ));
        }
        Ok(out)
    }
}

register_plugin!(Runtimes);

/// IR files are small (weights live in the `.bin`); anything larger is not read whole.
const MAX_IR_BYTES: u64 = 256 << 20;

fn openvino_ir(input: &Input) -> Result<ScanOutput, ScanError> {
    let prefix = input.read_at(0, 4096)?;
    if !openvino::looks_like_ir(&prefix) {
        return Err(ScanError::Unsupported(
            "XML without a <net> root: not OpenVINO IR".into(),
        ));
    }
    if input.size() > MAX_IR_BYTES {
        return Err(ScanError::Limit(format!(
            "{} bytes of IR XML is over the {MAX_IR_BYTES}-byte limit",
            input.size()
        )));
    }
    let bytes = input.read_at(0, input.size() as usize)?;
    let mut out = ScanOutput::default();
    openvino::analyze(&String::from_utf8_lossy(&bytes), &mut out);
    Ok(out)
}

fn manifest(input: &Input, name: &str) -> Result<ScanOutput, ScanError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if base != "manifest.json" || input.size() > MAX_MANIFEST_BYTES {
        return Err(ScanError::Unsupported(
            "not an .mlpackage Manifest.json".into(),
        ));
    }
    manifest_bytes(&input.read_at(0, input.size() as usize)?)
}

/// Checks a Manifest.json; `Unsupported` unless it has CoreML's `itemInfoEntries`.
pub fn manifest_bytes(bytes: &[u8]) -> Result<ScanOutput, ScanError> {
    let root: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ScanError::Unsupported(format!("Manifest.json is not JSON: {e}")))?;
    if root.get("itemInfoEntries").is_none() {
        return Err(ScanError::Unsupported(
            "no itemInfoEntries: not an .mlpackage manifest".into(),
        ));
    }
    let mut out = ScanOutput::default();
    coreml::manifest(&root, &mut out);
    Ok(out)
}

/// Checks a whole `.mlmodel` held in memory.
pub fn coreml_bytes(bytes: &[u8]) -> ScanOutput {
    let mut out = ScanOutput::default();
    coreml::analyze(std::io::Cursor::new(bytes), bytes.len() as u64, &mut out);
    out
}

#[cfg(test)]
mod tests;
