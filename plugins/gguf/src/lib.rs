//! Cordon plugin for GGUF files (versions 1 to 3, either byte order): header,
//! every metadata value, tensor table, data layout, chat templates (template
//! injection, CVE-2024-34359) and string metadata. Reads the header, metadata and
//! tensor table only; a 20 GB model costs a few megabytes of reads.

mod analyze;
mod ggml;
mod kv;
mod layout;
mod model;
mod reader;
mod report;
mod rules;
mod strings;
mod templates;
mod tensors;

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

pub use analyze::{Limits, MAGIC, analyze};

struct Gguf;

impl Plugin for Gguf {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "gguf".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "GGUF header, metadata, tensor table, data layout and chat template injection"
                    .into(),
            formats: vec![FormatClaim::new("gguf", &["gguf"]).magic(0, MAGIC)],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, options: &Options) -> Result<ScanOutput, ScanError> {
        let defaults = Limits::default();
        let limits = Limits {
            max_tensors: options.get_u64("max-tensors", defaults.max_tensors)?,
            max_kv: options.get_u64("max-kv", defaults.max_kv)?,
        };
        let mut out = ScanOutput::default();
        analyze(input.reader(), input.size(), &limits, &mut out);
        Ok(out)
    }
}

register_plugin!(Gguf);

#[cfg(test)]
mod tests;
