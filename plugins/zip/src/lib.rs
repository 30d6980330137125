//! Cordon plugin for zip archives: PyTorch checkpoints (`.pt`, `.pth`, `.bin`),
//! NumPy `.npz`, Keras `.keras`, TorchServe `.mar`, skops and plain `.zip`.
//!
//! The archive is read the way PyTorch reads it (central directory names, data
//! after the local header, CRC and flag bits ignored for extraction) while every
//! anomaly other readers react to is recorded, since scanners that read zips
//! differently from loaders are how payloads slip through. Members go back to the
//! host to be scanned: stored ones as byte ranges, deflated ones streamed; PyTorch
//! tensor storages are summarised instead (see `torch`).

mod archive;
mod directory;
mod extract;
mod flags;
mod layout;
mod local;
mod names;
mod records;
mod rules;
mod torch;

/// Modules shared with the other archive plugins, which include them by path;
/// each plugin uses a different part of them.
#[allow(dead_code)]
mod common {
    pub mod findings;
    pub mod inflate;
    pub mod members;
    pub mod paths;
}

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

struct Zip;

impl Plugin for Zip {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "zip".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "zip archives read as PyTorch reads them: structure, name, CRC, flag, encryption, path and layout anomalies; members handed back".into(),
            formats: vec![
                FormatClaim::new("zip", &["zip", "npz", "keras", "mar", "pt", "pth", "skops"])
                    .magic(0, b"PK\x03\x04")
                    .magic(0, b"PK\x05\x06"),
            ],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        archive::scan(
            &mut input.reader(),
            input.size(),
            &mut common::members::Host,
        )
    }
}

register_plugin!(Zip);

#[cfg(test)]
mod tests;
