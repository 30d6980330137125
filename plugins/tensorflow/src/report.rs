//! Turning what the walk found into checks and metadata.

use cordon_plugin_sdk::{Check, ScanOutput};
use cordon_protowire::Error;

use crate::kind::Kind;
use crate::{Context, rules};

/// Operation types listed in the `op-types` metadata.
const LISTED_OPS: usize = 200;

/// `stopped` is the wire error that ended the walk early, if any.
pub fn build(kind: Kind, mut cx: Context, size: u64, stopped: Option<Error>) -> ScanOutput {
    let mut out = ScanOutput::default();
    if let Some(e) = &stopped {
        cx.findings.push(
            Check::failed(
                rules::STRUCTURE,
                format!("not a well-formed {}: {e}", kind.format()),
            )
            .offset(e.offset()),
        );
        cx.findings.stop(format!(
            "the file could not be decoded past offset {}",
            e.offset()
        ));
    }
    let structure = (
        rules::STRUCTURE,
        format!("{} decoded to its end ({size} bytes)", kind.format()),
    );
    let passed = match kind {
        Kind::KerasMetadata => vec![
            structure,
            (
                rules::KERAS_LAMBDA,
                format!("{} Keras objects, no Lambda layer", cx.keras.objects),
            ),
        ],
        _ => vec![
            structure,
            (
                rules::CODE_EXEC_OP,
                format!(
                    "{} nodes in the graph and {} functions, none calls into Python",
                    cx.totals.nodes, cx.functions
                ),
            ),
            (
                rules::FILE_ACCESS_OP,
                "no operation reads, writes or lists files".to_string(),
            ),
            (
                rules::CHECKPOINT_PATH,
                match cx.totals.checkpoint_ops {
                    0 => "no checkpoint operation".to_string(),
                    n => format!(
                        "{n} checkpoint operations, none on a constant path outside the model"
                    ),
                },
            ),
        ],
    };
    metadata(kind, &cx, &mut out);
    cx.findings.finish(&passed, &mut out);
    out
}

fn metadata(kind: Kind, cx: &Context, out: &mut ScanOutput) {
    out.meta("format", kind.format());
    if kind == Kind::KerasMetadata {
        out.meta("keras-objects", cx.keras.objects);
        out.meta("keras-lambda-layers", cx.keras.lambda_layers);
        return;
    }
    let sm = &cx.saved_model;
    if let Some(v) = sm.schema_version {
        out.meta("saved-model-schema-version", v);
    }
    if kind == Kind::SavedModel {
        out.meta("meta-graphs", sm.meta_graphs);
    }
    if !sm.tags.is_empty() {
        out.meta("tags", sm.tags.join(","));
    }
    if !sm.tensorflow_versions.is_empty() {
        out.meta("tensorflow-version", sm.tensorflow_versions.join(","));
    }
    if !sm.signatures.is_empty() {
        out.meta("signatures", sm.signatures.join("; "));
    }
    out.meta("node-count", cx.totals.nodes);
    out.meta("function-count", cx.functions);
    out.meta("op-types", cx.totals.ops.top(LISTED_OPS));
    out.meta("op-type-count", cx.totals.ops.distinct());
}
