//! Which TensorFlow message a file holds: by its name, else by the shape of its
//! first top-level fields.

use std::io::{BufRead, Seek};

use cordon_plugin_sdk::ScanError;
use cordon_protowire::{Error, Value, Walker};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    SavedModel,
    MetaGraph,
    GraphDef,
    KerasMetadata,
}

impl Kind {
    /// The `format` metadata value.
    pub fn format(self) -> &'static str {
        match self {
            Kind::SavedModel => "tensorflow-savedmodel",
            Kind::MetaGraph => "tensorflow-metagraph",
            Kind::GraphDef => "tensorflow-graphdef",
            Kind::KerasMetadata => "keras-metadata",
        }
    }
}

/// Top-level fields of each message, as (number, length-delimited): SavedModel
/// (schema version, meta graphs), GraphDef (node, library, version, versions) and
/// MetaGraphDef (meta_info_def ... object_graph_def).
const SAVED_MODEL: &[(u32, bool)] = &[(1, false), (2, true)];
const GRAPH_DEF: &[(u32, bool)] = &[(1, true), (2, true), (3, false), (4, true)];
const META_GRAPH: &[(u32, bool)] = &[
    (1, true),
    (2, true),
    (3, true),
    (4, true),
    (5, true),
    (6, true),
    (7, true),
];

/// Top-level fields looked at to recognise a message; the rest is the scan's job.
const SHAPE_FIELDS: usize = 64;

/// The message in the `size`-byte input named `name`, or `Unsupported`.
///
/// `saved_model.pb` and `keras_metadata.pb` are taken at their name, so damage is
/// reported rather than declined. Other files must have the top-level fields of
/// their message only: a `.pb` can be any protobuf (ONNX test tensors, fingerprints).
pub fn identify<R: BufRead + Seek>(
    name: &str,
    mut open: impl FnMut() -> R,
    size: u64,
) -> Result<Kind, ScanError> {
    let file = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    match file.as_str() {
        "saved_model.pb" => return Ok(Kind::SavedModel),
        "keras_metadata.pb" => return Ok(Kind::KerasMetadata),
        f if f.ends_with(".meta") => {
            return fits(Walker::new(open(), size), META_GRAPH, &[2])?
                .then_some(Kind::MetaGraph)
                .ok_or_else(|| unsupported("not a MetaGraphDef"));
        }
        _ => {}
    }
    if fits(Walker::new(open(), size), SAVED_MODEL, &[2])? {
        return Ok(Kind::SavedModel);
    }
    if fits(Walker::new(open(), size), GRAPH_DEF, &[1, 2])? {
        return Ok(Kind::GraphDef);
    }
    Err(unsupported("neither a SavedModel nor a GraphDef"))
}

/// Whether the first top-level fields are all in `fields` and one of them is in `required`.
fn fits<R: BufRead + Seek>(
    mut w: Walker<R>,
    fields: &[(u32, bool)],
    required: &[u32],
) -> Result<bool, ScanError> {
    let mut found = false;
    for _ in 0..SHAPE_FIELDS {
        let field = match w.next_field() {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(Error::Io { offset, message }) => {
                return Err(ScanError::Io(format!("at offset {offset}: {message}")));
            }
            Err(_) => return Ok(false),
        };
        let length_delimited = matches!(field.value, Value::Len(_));
        if !fields.contains(&(field.number, length_delimited)) {
            return Ok(false);
        }
        found |= required.contains(&field.number);
    }
    Ok(found)
}

fn unsupported(why: &str) -> ScanError {
    ScanError::Unsupported(format!("not a TensorFlow model: {why}"))
}
