//! Cordon plugin for the files of a Hugging Face model repository that are not
//! weights: JSON configs (`config.json`, `tokenizer_config.json`, ... or any JSON
//! with their keys), YAML configs, standalone Jinja chat templates and Python
//! sources. It reports custom-code pointers (`auto_map`, `trust_remote_code`),
//! chat-template injection, dangerous instantiation targets and YAML Python tags,
//! commands, credentials and URLs in values, and Python shipped with the model.

mod config;
mod json;
mod python;
mod rules;
mod templates;
mod yaml;

use cordon_plugin_sdk::{
    Check, FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, Severity,
    register_plugin,
};

/// Largest config or Python file read.
pub const MAX_TEXT_BYTES: u64 = 32 << 20;

/// Which kind of repository file an input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Json,
    Yaml,
    Template,
    Python,
}

impl FileKind {
    /// From the parent's format hint, else the extension.
    pub fn of(name: &str, hint: Option<&str>) -> Option<FileKind> {
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match (hint, ext) {
            (Some("jinja-template"), _) | (_, "jinja" | "j2" | "template") => {
                Some(FileKind::Template)
            }
            (Some("python-source"), _) | (_, "py") => Some(FileKind::Python),
            (_, "yaml" | "yml") => Some(FileKind::Yaml),
            (_, "json") | (Some("hf-config"), _) => Some(FileKind::Json),
            _ => None,
        }
    }
}

struct HfConfig;

impl Plugin for HfConfig {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "hf-config".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Hugging Face repository files: configs, chat templates, custom-code pointers, Python sources".into(),
            formats: vec![
                FormatClaim::new("hf-config", &["json", "yaml", "yml"]),
                FormatClaim::new("jinja-template", &["jinja", "j2", "template"]),
                FormatClaim::new("python-source", &["py"]),
            ],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let name = input.name();
        let Some(kind) = FileKind::of(&name, input.hint().as_deref()) else {
            return Err(ScanError::Unsupported(
                "not a config, template or Python file name".into(),
            ));
        };
        let size = input.size();
        let bytes = input.read_at(0, size.min(MAX_TEXT_BYTES) as usize)?;
        analyze(&name, kind, &bytes, size)
    }
}

register_plugin!(HfConfig);

/// Analyse a file whose first `bytes` (all of it unless `size` says more) were read.
pub fn analyze(
    path: &str,
    kind: FileKind,
    bytes: &[u8],
    size: u64,
) -> Result<ScanOutput, ScanError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(ScanError::Unsupported(
            "binary content, not a text file".into(),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // A cut in the middle of a character at the read limit is not a reason to decline.
        Err(e) if size > bytes.len() as u64 && e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).expect("valid prefix")
        }
        Err(_) => return Err(ScanError::Unsupported("not UTF-8 text".into())),
    };
    let file_name = path
        .rsplit(['/', '\\', '!'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    let mut out = ScanOutput::default();
    let partial = size > bytes.len() as u64;
    match kind {
        FileKind::Json if partial && json::is_known(&file_name) => {
            return Err(ScanError::Limit(format!(
                "{size}-byte {file_name} is over the {MAX_TEXT_BYTES}-byte limit"
            )));
        }
        FileKind::Json if partial => {
            return Err(ScanError::Unsupported(
                "JSON too large to be a configuration".into(),
            ));
        }
        FileKind::Json => json::analyze(&file_name, text, &mut out)?,
        FileKind::Yaml => yaml_file(text, &mut out),
        FileKind::Template => {
            out.meta("format", "jinja-template");
            let template = templates::Template {
                name: file_name,
                pointer: String::new(),
                text: text.to_owned(),
            };
            templates::check(&[template], &mut out);
        }
        FileKind::Python => python::analyze(text, &mut out),
    }
    if partial && kind != FileKind::Json {
        out.push(Check::error(
            rules::PARSE,
            format!(
                "only the first {} of {size} bytes were analysed",
                bytes.len()
            ),
        ));
    }
    Ok(out)
}

fn yaml_file(text: &str, out: &mut ScanOutput) {
    out.meta("format", "yaml-config");
    let doc = yaml::read(text);
    let keys = doc.value.as_object().map_or(0, |m| m.len());
    let note = if doc.uninterpreted > 0 {
        format!("; {} lines kept as text", doc.uninterpreted)
    } else {
        String::new()
    };
    out.push(Check::passed(
        rules::PARSE,
        format!("YAML read with {keys} top-level keys{note}"),
    ));
    let failures = doc
        .python_tags
        .iter()
        .map(|t| {
            let runs = t.tag.contains("/object/apply")
                || t.tag.contains("/object/new")
                || config::dangerous_callable(t.tag.rsplit(':').next().unwrap_or(""));
            let severity = if runs {
                Severity::Critical
            } else {
                Severity::High
            };
            Check::failed(
                rules::YAML_PYTHON_TAG,
                format!("line {}: {} {}", t.line, t.tag, t.argument)
                    .trim_end()
                    .to_owned(),
            )
            .severity(severity)
            .locator(format!("line {}", t.line))
        })
        .collect();
    out.outcome(rules::YAML_PYTHON_TAG, failures, "no Python object tags");
    config::analyze(&doc.value, out);
}

#[cfg(test)]
mod tests;
