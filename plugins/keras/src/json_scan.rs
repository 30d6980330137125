//! Scanning the JSON members of a `.keras` archive: `config.json` (the model
//! configuration) and `metadata.json` (Keras version, save date). Other JSON is
//! declined unless the parent archive hinted that it is a Keras configuration.

use cordon_plugin_sdk::{Check, ScanError, ScanOutput};
use serde_json::{Map, Value};

use crate::config::Analysis;
use crate::findings::Findings;
use crate::rules;
use crate::source::Source;

/// Largest JSON document read.
const MAX_JSON: u64 = 16 << 20;

pub fn scan(src: &dyn Source, hinted: bool) -> Result<ScanOutput, ScanError> {
    let decline = |reason: &str| -> Result<ScanOutput, ScanError> {
        if hinted {
            let mut findings = Findings::default();
            findings.meta("format", "keras-config");
            findings.record(Check::failed(
                rules::CONFIG_JSON,
                format!("member hinted as a Keras configuration: {reason}"),
            ));
            Ok(findings.output())
        } else {
            Err(ScanError::Unsupported(reason.to_owned()))
        }
    };
    if src.size() > MAX_JSON {
        if hinted {
            let mut findings = Findings::default();
            findings.record(Check::error(
                rules::CONFIG_JSON,
                format!(
                    "configuration of {} bytes exceeds the {MAX_JSON}-byte limit; not analysed",
                    src.size()
                ),
            ));
            return Ok(findings.output());
        }
        return Err(ScanError::Unsupported(
            "too large for a Keras configuration".into(),
        ));
    }
    let bytes = src.read_at(0, MAX_JSON as usize)?;
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return decline("not a JSON object");
    }
    if !contains(body, b"\"class_name\"") && !contains(body, b"\"keras_version\"") {
        return decline("no class_name or keras_version key");
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => return decline(&format!("not valid JSON: {e}")),
    };
    let Some(map) = value.as_object() else {
        return decline("not a JSON object");
    };
    if map.get("class_name").is_some_and(Value::is_string) && map.contains_key("config") {
        Ok(model_config(&value))
    } else if let Some(version) = map.get("keras_version").and_then(Value::as_str) {
        Ok(metadata(map, version))
    } else {
        decline("neither a Keras model configuration nor Keras metadata")
    }
}

fn model_config(value: &Value) -> ScanOutput {
    let mut findings = Findings::default();
    findings.meta("format", "keras-config");
    findings.meta("framework", "keras");
    let mut analysis = Analysis::new(&mut findings);
    analysis.facts.model(value);
    if let Some(compile) = value.get("compile_config") {
        analysis.facts.training(compile);
    }
    analysis.document("config.json", value);
    analysis.finish();
    findings.conclude(rules::CONFIG_JSON, "configuration is a Keras JSON object");
    findings.conclude(rules::EXTERNAL_REFERENCE, "no external files or URLs");
    findings.output()
}

fn metadata(map: &Map<String, Value>, version: &str) -> ScanOutput {
    let mut findings = Findings::default();
    findings.meta("format", "keras-metadata");
    findings.meta("framework", "keras");
    findings.meta("keras-version", version);
    if let Some(date) = map.get("date_saved").and_then(Value::as_str) {
        findings.meta("date-saved", date);
    }
    findings.conclude(
        rules::CONFIG_JSON,
        format!("metadata of a model saved by Keras {version}"),
    );
    findings.output()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
