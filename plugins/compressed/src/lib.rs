//! Cordon plugin for single-stream compressed files: gzip, bzip2, xz, zstd, lz4
//! frame and zlib. The decompressed data goes back to the host as one member named
//! after the file minus its suffix (`model.pkl.gz` → `model.pkl`), streamed as it
//! decodes and never held whole in memory.
//!
//! Compressed tarballs (`.tar.gz`, `.tgz`, `.tar.bz2`, `.tar.xz`, `.tar.zst`) are
//! handled here too: the decompressed member is named `….tar` and hinted `tar`,
//! so the host routes it to the tar plugin, which then reads it without copying.

mod decode;
mod format;
mod gzip;
mod rules;
mod scan;
mod unpack;

/// Modules shared with the zip plugin's sources; each plugin uses part of them.
#[path = "../../zip/src/common"]
#[allow(dead_code)]
mod common {
    pub mod findings;
    pub mod inflate;
    pub mod members;
    pub mod tracked;
}

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

struct Compressed;

impl Plugin for Compressed {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "compressed".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "gzip, bzip2, xz, zstd, lz4, zlib and lzma streams, joblib's legacy zlib container: integrity, hidden data, decoder memory; the decompressed data handed back".into(),
            formats: vec![
                FormatClaim::new("gzip", &["gz", "tgz", "taz"]).magic(0, &[0x1f, 0x8b]),
                FormatClaim::new("bzip2", &["bz2", "tbz2", "tbz"]).magic(0, b"BZh"),
                FormatClaim::new("xz", &["xz", "txz"]).magic(0, b"\xfd7zXZ\x00"),
                FormatClaim::new("zstd", &["zst", "zstd", "tzst"]).magic(0, &[0x28, 0xb5, 0x2f, 0xfd]),
                FormatClaim::new("lz4", &["lz4"]).magic(0, &[0x04, 0x22, 0x4d, 0x18]),
                // zlib has no magic: its four common headers, confirmed by decoding.
                FormatClaim::new("zlib", &["zz", "zlib"])
                    .magic(0, &[0x78, 0x01])
                    .magic(0, &[0x78, 0x5e])
                    .magic(0, &[0x78, 0x9c])
                    .magic(0, &[0x78, 0xda]),
                FormatClaim::new("lzma", &["lzma", "tlz"]).magic(0, &[0x5d, 0x00, 0x00]),
                FormatClaim::new("joblib-zlib", &[]).magic(0, b"ZF0x"),
            ],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        scan::scan(
            &mut input.reader(),
            input.size(),
            &input.name(),
            &mut common::members::Host,
        )
    }
}

register_plugin!(Compressed);

#[cfg(test)]
mod tests;
