//! Cordon plugin for ONNX models. The ModelProto is walked as a stream: tensor data
//! is skipped with seeks, so models of any size are inspected whole while only names,
//! shapes and small messages are read.

mod ops;
mod report;
mod rules;
mod shapes;
mod sniff;
mod tensor;
mod walk;

use std::io::{BufRead, Seek};

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};
use cordon_protowire::{Error, Walker};

/// Protobuf nesting bound: each subgraph level takes three (graph, node, attribute),
/// so this leaves room for [`walk::MAX_GRAPH_DEPTH`] levels plus tensors and training info.
const MAX_MESSAGE_DEPTH: usize = 3 * walk::MAX_GRAPH_DEPTH + 8;

struct Onnx;

impl Plugin for Onnx {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "onnx".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "ONNX models: external data paths, Python and custom operators, tensor sizes, subgraph depth".into(),
            formats: vec![FormatClaim::new("onnx", &["onnx"]).sniff()],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let named = input.name().to_ascii_lowercase().ends_with(".onnx")
            || input.hint().is_some_and(|h| h.eq_ignore_ascii_case("onnx"));
        scan_source(|| input.reader(), input.size(), named)
    }
}

register_plugin!(Onnx);

/// Scan the `size`-byte model that each call of `open` reads from its start.
/// `named_onnx` relaxes recognition for files that say they are ONNX.
pub fn scan_source<R: BufRead + Seek>(
    mut open: impl FnMut() -> R,
    size: u64,
    named_onnx: bool,
) -> Result<ScanOutput, ScanError> {
    sniff::recognise(Walker::new(open(), size), named_onnx)?;
    let mut cx = walk::Context::default();
    let mut w = Walker::new(open(), size).with_max_depth(MAX_MESSAGE_DEPTH);
    let stopped = match walk::model(&mut w, &mut cx) {
        Ok(()) => None,
        Err(Error::Io { offset, message }) => {
            return Err(ScanError::Io(format!("at offset {offset}: {message}")));
        }
        Err(e) => Some(e),
    };
    Ok(report::build(cx, size, stopped))
}

#[cfg(test)]
mod tests;
