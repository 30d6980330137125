//! Cordon plugin for tar archives (POSIX ustar, PAX, GNU, v7).
//!
//! Tar stores member data uncompressed, so members go back to the host as byte
//! ranges of the input and nothing is copied. Compressed tarballs reach this
//! plugin as the member the compressed-stream plugin hands back (`x.tar.gz` →
//! `x.tar`, hinted `tar`).
//!
//! The parser is this crate's own rather than the `tar` crate: that one reads GNU
//! long names and PAX headers whole, however large their declared size, and hides
//! the anomalies (bad checksums, unknown entry types) that are reported here.

mod archive;
mod extended;
mod header;
mod rules;

/// Modules shared with the zip plugin's sources; each plugin uses part of them.
#[path = "../../zip/src/common"]
#[allow(dead_code)]
mod common {
    pub mod findings;
    pub mod members;
    pub mod paths;
}

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

struct Tar;

impl Plugin for Tar {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "tar".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "tar archives: header integrity, unsafe paths, escaping links, special files, hidden data; members handed back as byte ranges".into(),
            formats: vec![FormatClaim::new("tar", &["tar"]).magic(257, b"ustar")],
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

register_plugin!(Tar);

#[cfg(test)]
mod tests;
