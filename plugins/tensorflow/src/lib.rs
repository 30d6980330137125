//! Cordon plugin for TensorFlow: SavedModel (`saved_model.pb`), MetaGraphDef (`.meta`)
//! and frozen GraphDef (`.pb`) graphs, every node of the graph and of its function
//! library, and Keras SavedModel metadata (`keras_metadata.pb`). Files are walked as
//! streams: constant tensor contents are skipped, never read.

mod graph;
mod keras;
mod kind;
mod ops;
mod report;
mod rules;
mod saved_model;

use std::io::{BufRead, Seek};

use cordon_plugin_sdk::{
    FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};
use cordon_protowire::{Error, Walker};

use kind::Kind;

struct Tensorflow;

impl Plugin for Tensorflow {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "tensorflow".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "TensorFlow SavedModel, MetaGraphDef and GraphDef operations (Python calls, file access, checkpoint paths) and Keras Lambda layers".into(),
            formats: vec![FormatClaim::new("tensorflow", &["pb", "meta"])],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        scan_source(|| input.reader(), input.size(), &input.name())
    }
}

register_plugin!(Tensorflow);

/// Everything the walk learns, across graphs and functions.
#[derive(Default)]
pub struct Context {
    findings: cordon_plugin_sdk::Deferred,
    totals: ops::Totals,
    functions: u64,
    saved_model: saved_model::Facts,
    keras: keras::Facts,
}

/// Scan the `size`-byte file `name` that each call of `open` reads from its start.
pub fn scan_source<R: BufRead + Seek>(
    mut open: impl FnMut() -> R,
    size: u64,
    name: &str,
) -> Result<ScanOutput, ScanError> {
    let kind = kind::identify(name, &mut open, size)?;
    let mut cx = Context::default();
    let mut w = Walker::new(open(), size);
    let walked = match kind {
        Kind::SavedModel => saved_model::saved_model(&mut w, &mut cx),
        Kind::MetaGraph => saved_model::meta_graph(&mut w, &mut cx, ""),
        Kind::GraphDef => graph::graph_def(&mut w, &mut cx, ""),
        Kind::KerasMetadata => keras::saved_metadata(&mut w, &mut cx),
    };
    let stopped = match walked {
        Ok(()) => None,
        Err(Error::Io { offset, message }) => {
            return Err(ScanError::Io(format!("at offset {offset}: {message}")));
        }
        Err(e) => Some(e),
    };
    Ok(report::build(kind, cx, size, stopped))
}

#[cfg(test)]
mod tests;
