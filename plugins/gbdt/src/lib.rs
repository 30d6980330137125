//! Cordon plugin for gradient-boosted tree models: XGBoost (JSON, UBJSON, legacy
//! binary), LightGBM text models and CatBoost `.cbm`. Tree models hold no code of
//! their own; the checks are that the layout is the library's, counts are bounded
//! and consistent, the objective is built in, and strings carry no code or URLs.

mod catboost;
mod known;
mod lightgbm;
mod lines;
mod rules;
mod strings;
mod ubjson;
mod xgboost;
mod xgboost_binary;

use cordon_plugin_sdk::{
    Check, FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, Severity,
    register_plugin,
};

/// More trees than any real ensemble: beyond it a count is an attack on the loader.
pub const MAX_TREES: u64 = 1_000_000;
/// Bytes inspected to decide whether a file is one of these formats.
const SNIFF_BYTES: usize = 256;
/// UBJSON is decoded whole; larger models are reported as a limit.
const MAX_UBJSON_BYTES: u64 = 64 << 20;
/// Values a UBJSON model may decode to (about 32 bytes each in memory).
const MAX_UBJSON_VALUES: usize = 4 << 20;

struct Gbdt;

impl Plugin for Gbdt {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "gbdt".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "XGBoost, LightGBM and CatBoost tree models".into(),
            formats: vec![
                FormatClaim::new("xgboost", &["json", "ubj", "bst", "model", "xgb"]),
                FormatClaim::new("lightgbm", &["lgb", "lgbm"]).sniff(),
                FormatClaim::new("catboost", &["cbm"]).magic(0, catboost::MAGIC),
            ],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let head = input.read_at(0, xgboost_binary::HEAD_BYTES)?;
        let name = input.name().to_ascii_lowercase();
        let mut out = ScanOutput::default();
        if head.starts_with(catboost::MAGIC) {
            let core = input.read_at(0, 8 + catboost::MAX_CORE_READ)?;
            catboost::analyze(&core, input.size(), &mut out);
        } else if lightgbm::looks_like_lightgbm(&head[..head.len().min(SNIFF_BYTES)]) {
            lightgbm::analyze(input.reader(), &mut out)?;
        } else if xgboost::looks_like_xgboost_json(&head[..head.len().min(SNIFF_BYTES)]) {
            let doc = serde_json::from_reader(input.reader());
            json_document(doc, "xgboost-json", &mut out)?;
        } else if name.ends_with(".ubj") && head.starts_with(b"{") {
            ubjson_model(input, &mut out)?;
        } else if [".bst", ".model", ".xgb"].iter().any(|e| name.ends_with(e)) {
            xgboost_binary::analyze(&head, &mut out)?;
        } else {
            return Err(ScanError::Unsupported(
                "not an XGBoost, LightGBM or CatBoost model".into(),
            ));
        }
        Ok(out)
    }
}

register_plugin!(Gbdt);

/// Checks a parsed XGBoost document; `Unsupported` when it is other JSON.
pub fn json_document(
    doc: Result<xgboost::Document, serde_json::Error>,
    format: &str,
    out: &mut ScanOutput,
) -> Result<(), ScanError> {
    match doc {
        Ok(doc) if doc.learner.is_some() && doc.version.is_some() => {
            xgboost::analyze(&doc, format, out);
            Ok(())
        }
        Ok(_) => Err(ScanError::Unsupported(
            "no top-level `learner` and `version`".into(),
        )),
        Err(e) => {
            out.meta("library", "xgboost");
            out.meta("format", format);
            out.push(
                Check::failed(
                    rules::STRUCTURE,
                    format!("not a readable XGBoost model: {e}"),
                )
                .severity(Severity::Medium),
            );
            Ok(())
        }
    }
}

fn ubjson_model(input: &Input, out: &mut ScanOutput) -> Result<(), ScanError> {
    if input.size() > MAX_UBJSON_BYTES {
        return Err(ScanError::Limit(format!(
            "UBJSON model of {} bytes is above the {MAX_UBJSON_BYTES}-byte limit",
            input.size()
        )));
    }
    let bytes = input.read_at(0, input.size() as usize)?;
    ubjson_bytes(&bytes, out)
}

/// Checks an XGBoost UBJSON model held in `bytes`.
pub fn ubjson_bytes(bytes: &[u8], out: &mut ScanOutput) -> Result<(), ScanError> {
    match ubjson::parse(bytes, MAX_UBJSON_VALUES) {
        Ok(value) if value.get("learner").is_some() => {
            json_document(serde_json::from_value(value), "xgboost-ubjson", out)
        }
        Ok(_) => Err(ScanError::Unsupported("no top-level `learner`".into())),
        Err(e) if !contains(&bytes[..bytes.len().min(SNIFF_BYTES)], b"learner") => Err(
            ScanError::Unsupported(format!("not an XGBoost UBJSON model: {e}")),
        ),
        Err(e) => {
            out.meta("library", "xgboost");
            out.meta("format", "xgboost-ubjson");
            out.push(Check::failed(
                rules::STRUCTURE,
                format!("not a readable UBJSON model: {e}"),
            ));
            Ok(())
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests;
