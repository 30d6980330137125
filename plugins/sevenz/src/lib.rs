//! Cordon plugin for 7z archives. Decoding uses `sevenz-rust2` (pure Rust, built
//! for wasm32-wasip2 without its JavaScript or threading extras) inside the
//! sandbox, block by block with a 256 MiB dictionary budget, and every member
//! streams back to the host as it decodes; nothing is held whole in memory.
//!
//! Passwords are never tried: encrypted content is reported as uninspectable.

mod archive;
mod rules;

/// Modules shared with the zip plugin's sources; each plugin uses part of them.
#[path = "../../zip/src/common"]
#[allow(dead_code)]
mod common {
    pub mod findings;
    pub mod members;
    pub mod paths;
    pub mod tracked;
}

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

struct SevenZ;

impl Plugin for SevenZ {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "sevenz".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "7z archives: header integrity, encryption, unsafe paths, escaping links, decoder memory; members decoded and handed back".into(),
            formats: vec![FormatClaim::new("7z", &["7z"]).magic(0, b"7z\xbc\xaf\x27\x1c")],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        archive::scan(&mut input.reader(), &mut common::members::Host)
    }
}

register_plugin!(SevenZ);

#[cfg(test)]
mod tests;
