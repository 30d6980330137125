//! Cordon plugin for Keras models: legacy HDF5 files (`.h5`, `.hdf5`, old
//! `.keras`) read with a bounded HDF5 reader that fetches only metadata, and the
//! `config.json` / `metadata.json` / `model.weights.h5` members of Keras v3
//! archives (which the zip plugin hands back). The model configuration is
//! checked for Lambda bytecode, modules and functions Keras would import or
//! call, custom objects and external references.

mod config;
mod findings;
mod h5_scan;
mod hdf5;
mod json_scan;
mod marshal;
mod recover;
mod rules;
mod source;

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

use hdf5::SIGNATURE;
use source::Source;

/// Format hint an archive plugin gives a Keras `config.json` (also this claim's name).
const CONFIG_HINT: &str = "keras-config";

struct Keras;

impl Plugin for Keras {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "keras".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Keras HDF5 models and v3 configurations: Lambda bytecode, unsafe modules and functions, custom objects, external references, HDF5 structure".into(),
            formats: vec![
                // HDF5 files may start after a user block of 512, 1024, 2048... bytes.
                FormatClaim::new("keras-h5", &["h5", "hdf5", "keras"])
                    .magic(0, SIGNATURE)
                    .magic(512, SIGNATURE)
                    .magic(1024, SIGNATURE)
                    .magic(2048, SIGNATURE),
                FormatClaim::new(CONFIG_HINT, &["json"]).sniff(),
            ],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        scan_source(input, &input.name(), input.hint().as_deref())
    }
}

register_plugin!(Keras);

/// HDF5 when a superblock is found, else a Keras JSON document.
pub fn scan_source(
    src: &dyn Source,
    name: &str,
    hint: Option<&str>,
) -> Result<ScanOutput, ScanError> {
    match hdf5::find_superblock(src)? {
        Some(at) => h5_scan::scan(src, at, name),
        None => json_scan::scan(src, hint == Some(CONFIG_HINT)),
    }
}

#[cfg(test)]
mod tests;
