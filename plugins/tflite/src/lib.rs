//! Cordon plugin for TensorFlow Lite models: a bounded flatbuffer reader walks
//! the `Model` table (operator codes, subgraphs, tensors, buffers, metadata)
//! and flags Flex ops that run TensorFlow kernels (PyFunc runs Python), custom
//! ops, indices and buffers that point outside the model, and shapes that do
//! not match their data. Reads only the flatbuffer's tables, never the weights.

mod analyze;
mod flatbuf;
mod model;
mod ops;
mod rules;
mod source;

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

pub use analyze::analyze;

/// The flatbuffer file identifier of TFLite models, at offset 4.
pub const IDENTIFIER: &[u8; 4] = b"TFL3";

struct TfLite;

impl Plugin for TfLite {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "tflite".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "TensorFlow Lite flatbuffers: Flex and custom operators, tensor and buffer bounds"
                    .into(),
            formats: vec![FormatClaim::new("tflite", &["tflite"]).magic(4, IDENTIFIER)],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let head = input.read_at(0, 8)?;
        if head.get(4..8) != Some(IDENTIFIER) {
            return Err(ScanError::Unsupported(
                "no TFL3 flatbuffer identifier at offset 4".into(),
            ));
        }
        let mut out = ScanOutput::default();
        analyze(&source::Paged::new(input), &mut out);
        Ok(out)
    }
}

register_plugin!(TfLite);

#[cfg(test)]
mod tests;
