//! Cordon plugin for PMML models: a bounded XML tokenizer that never expands
//! entities flags DOCTYPEs, entity declarations (XXE) and references, external
//! schema and DTD references, and code in `<Extension>` elements, and reports the
//! header, the model types and the data dictionary.

mod analyze;
mod rules;
mod xml;

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

pub use analyze::analyze;

/// Documents above this size are inspected up to it (the rest is reported).
pub const MAX_BYTES: u64 = 256 << 20;
/// Bytes a sniffed file must show its `<PMML` root in.
const SNIFF_BYTES: usize = 4096;

struct Pmml;

impl Plugin for Pmml {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "pmml".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "PMML documents: DOCTYPE and entities (XXE), external references, scripts in extensions".into(),
            formats: vec![FormatClaim::new("pmml", &["pmml"]).sniff()],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let claimed = input.name().to_ascii_lowercase().ends_with(".pmml")
            || input.hint().as_deref() == Some("pmml");
        if !claimed && !root_is_pmml(&input.read_at(0, SNIFF_BYTES)?) {
            return Err(ScanError::Unsupported("no <PMML> root element".into()));
        }
        let bytes = input.read_at(0, MAX_BYTES as usize)?;
        let mut out = ScanOutput::default();
        // A document cut at the size limit may end inside a character: keep what decodes.
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) if input.size() > MAX_BYTES => {
                std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default()
            }
            Err(e) => {
                out.meta("format", "pmml");
                out.push(cordon_plugin_sdk::Check::failed(
                    rules::WELL_FORMED,
                    format!("not UTF-8 text: {e}"),
                ));
                return Ok(out);
            }
        };
        analyze(
            text.strip_prefix('\u{feff}').unwrap_or(text),
            input.size() <= MAX_BYTES,
            &mut out,
        );
        Ok(out)
    }
}

register_plugin!(Pmml);

/// The first element of `prefix` is `<PMML`, after an optional BOM, XML
/// declaration, comments, processing instructions and DOCTYPE.
pub fn root_is_pmml(prefix: &[u8]) -> bool {
    let text = match std::str::from_utf8(prefix) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&prefix[..e.valid_up_to()]).unwrap_or_default(),
    };
    // A long internal subset can outgrow the prefix; its root name still says PMML.
    if text.contains("<!DOCTYPE PMML") {
        return true;
    }
    let mut tok = xml::Tokenizer::new(text.strip_prefix('\u{feff}').unwrap_or(text));
    while let Ok(Some((_, token))) = tok.next_token() {
        match token {
            xml::Token::Start { name, .. } => return name == "PMML",
            xml::Token::Text(t) if t.trim().is_empty() => {}
            xml::Token::Doctype(_) | xml::Token::Other => {}
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests;
