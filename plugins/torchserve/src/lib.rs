//! Cordon plugin for TorchServe `.mar` archives: the zip plugin hands back
//! `MAR-INF/MANIFEST.json` with the hint `torchserve-manifest`, and this plugin
//! reports what the manifest makes TorchServe run and install.

mod rules;

use cordon_plugin_sdk::{
    Check, FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, Severity,
    register_plugin,
};
use serde_json::Value;

const HINT: &str = "torchserve-manifest";
/// Manifests are a few hundred bytes.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Handlers TorchServe ships (`ts.torch_handler.*`), named without `.py`.
const BUILTIN_HANDLERS: &[&str] = &[
    "image_classifier",
    "image_segmenter",
    "object_detector",
    "text_classifier",
    "text_handler",
    "base_handler",
    "vision_handler",
    "dali_image_classifier",
];

struct TorchServe;

impl Plugin for TorchServe {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "torchserve".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "TorchServe manifests: handler, model file, requirements".into(),
            formats: vec![FormatClaim::new(HINT, &[])],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let name = input.name();
        if input.hint().as_deref() != Some(HINT) && !name.ends_with("MAR-INF/MANIFEST.json") {
            return Err(ScanError::Unsupported("not a TorchServe manifest".into()));
        }
        if input.size() > MAX_MANIFEST_BYTES {
            return Err(ScanError::Limit(format!(
                "manifest of {} bytes is implausibly large",
                input.size()
            )));
        }
        Ok(analyze(&input.read_at(0, input.size() as usize)?))
    }
}

register_plugin!(TorchServe);

pub fn analyze(bytes: &[u8]) -> ScanOutput {
    let mut out = ScanOutput::default();
    out.meta("format", "torchserve-mar");
    let manifest: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            out.push(Check::failed(
                rules::MANIFEST,
                format!("manifest is not valid JSON: {e}"),
            ));
            return out;
        }
    };
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let Some(model) = manifest.get("model").filter(|m| m.is_object()) else {
        out.push(
            Check::failed(rules::MANIFEST, "manifest has no `model` object").locator("/model"),
        );
        return out;
    };
    for (key, meta) in [
        ("runtime", "runtime"),
        ("archiverVersion", "archiver-version"),
    ] {
        if let Some(v) = text(&manifest, key) {
            out.meta(meta, v);
        }
    }
    for (key, meta) in [
        ("modelName", "model-name"),
        ("modelVersion", "model-version"),
        ("handler", "handler"),
        ("serializedFile", "serialized-file"),
        ("modelFile", "model-file"),
        ("requirementsFile", "requirements-file"),
    ] {
        if let Some(v) = text(model, key) {
            out.meta(meta, v);
        }
    }

    let mut problems = Vec::new();
    let handler = text(model, "handler");
    if handler.is_none() {
        problems.push(("/model/handler", "no handler named".to_string()));
    }
    for key in [
        "handler",
        "serializedFile",
        "modelFile",
        "requirementsFile",
        "extraFiles",
    ] {
        for file in text(model, key).iter().flat_map(|v| v.split(',')) {
            if escapes(file) {
                problems.push((
                    "/model",
                    format!("`{key}` names {file:?}, outside the archive"),
                ));
            }
        }
    }
    if problems.is_empty() {
        out.push(Check::passed(
            rules::MANIFEST,
            "manifest names a handler and only files inside the archive",
        ));
    }
    for (pointer, message) in problems {
        out.push(
            Check::failed(rules::MANIFEST, message)
                .locator(pointer)
                .severity(Severity::High),
        );
    }

    let mut custom = Vec::new();
    if let Some(h) = handler.as_deref().filter(|h| is_custom_handler(h)) {
        custom.push((
            "/model/handler",
            format!("handler `{h}` is custom Python code run when the model is registered"),
        ));
    }
    if let Some(m) = text(model, "modelFile").filter(|m| m.ends_with(".py")) {
        custom.push((
            "/model/modelFile",
            format!("model file `{m}` is Python source imported at load"),
        ));
    }
    if custom.is_empty() {
        out.push(Check::passed(
            rules::CUSTOM_CODE,
            "built-in handler, no model source file",
        ));
    }
    for (pointer, message) in custom {
        out.push(Check::failed(rules::CUSTOM_CODE, message).locator(pointer));
    }

    match text(model, "requirementsFile") {
        Some(r) => out.push(
            Check::failed(
                rules::REQUIREMENTS,
                format!("requirements file `{r}`: packages installed at registration"),
            )
            .locator("/model/requirementsFile")
            .evidence("file", r),
        ),
        None => out.push(Check::passed(rules::REQUIREMENTS, "no requirements file")),
    }
    out
}

/// A handler that is not one of TorchServe's own: a `.py` file, or a
/// `module:function` / module name outside the built-ins.
fn is_custom_handler(handler: &str) -> bool {
    let module = handler.split(':').next().unwrap_or(handler);
    let module = module.strip_suffix(".py").unwrap_or(module);
    handler.ends_with(".py") || !BUILTIN_HANDLERS.contains(&module)
}

/// A path TorchServe would resolve outside the archive's extraction directory.
fn escapes(path: &str) -> bool {
    let path = path.trim();
    path.starts_with('/')
        || path.starts_with('\\')
        || path.as_bytes().get(1) == Some(&b':')
        || path.split(['/', '\\']).any(|part| part == "..")
}

#[cfg(test)]
mod tests {
    use cordon_plugin_sdk::Status;

    use super::*;

    fn failed(out: &ScanOutput) -> Vec<(&str, &str)> {
        out.checks
            .iter()
            .filter(|c| c.status == Status::Failed)
            .map(|c| (c.rule.as_str(), c.message.as_str()))
            .collect()
    }

    fn manifest(model: &str) -> String {
        format!(
            r#"{{"createdOn":"01/01/2024","runtime":"python","model":{{"modelName":"resnet","modelVersion":"1.0",{model}}},"archiverVersion":"0.9.0"}}"#
        )
    }

    #[test]
    fn builtin_handler_passes_every_rule() {
        let out = analyze(
            manifest(r#""serializedFile":"resnet.pt","handler":"image_classifier""#).as_bytes(),
        );
        assert_eq!(failed(&out), vec![]);
        assert_eq!(out.checks.len(), 3);
        assert!(
            out.metadata
                .contains(&("handler".into(), "image_classifier".into()))
        );
        assert!(out.metadata.contains(&("runtime".into(), "python".into())));
    }

    #[test]
    fn custom_handler_model_file_and_requirements_are_flagged() {
        let out = analyze(
            manifest(r#""serializedFile":"m.pt","handler":"handler.py","modelFile":"model.py","requirementsFile":"requirements.txt""#)
                .as_bytes(),
        );
        let rules: Vec<_> = failed(&out).into_iter().map(|(r, _)| r).collect();
        assert_eq!(
            rules,
            vec![rules::CUSTOM_CODE, rules::CUSTOM_CODE, rules::REQUIREMENTS]
        );
        assert!(is_custom_handler("my_module:handle"));
        assert!(!is_custom_handler("text_classifier"));
    }

    #[test]
    fn escaping_paths_and_broken_manifests_are_flagged() {
        let out = analyze(
            manifest(r#""handler":"image_classifier","serializedFile":"../../etc/passwd""#)
                .as_bytes(),
        );
        assert_eq!(failed(&out)[0].0, rules::MANIFEST);
        assert_eq!(
            failed(&analyze(b"{\"runtime\":\"python\"}"))[0].0,
            rules::MANIFEST
        );
        assert_eq!(failed(&analyze(b"{"))[0].0, rules::MANIFEST);
        assert_eq!(
            failed(&analyze(manifest(r#""serializedFile":"m.pt""#).as_bytes()))[0].0,
            rules::MANIFEST
        );
        assert!(escapes("C:\\x") && escapes("/abs") && !escapes("dir/file.py"));
    }

    #[test]
    fn truncations_never_panic() {
        let m = manifest(r#""handler":"h.py","requirementsFile":"r.txt""#);
        for len in 0..m.len() {
            let _ = analyze(&m.as_bytes()[..len]);
        }
    }
}
