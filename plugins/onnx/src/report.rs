//! Turning what the walk found into checks and metadata.

use cordon_plugin_sdk::{Check, ScanOutput};
use cordon_protowire::Error;

use crate::rules;
use crate::walk::{Context, MAX_GRAPH_DEPTH};

/// Operators listed in the `op-types` metadata.
const TOP_OPS: usize = 10;

/// `stopped` is the wire error that ended the walk early, if any.
pub fn build(mut cx: Context, size: u64, stopped: Option<Error>) -> ScanOutput {
    let mut out = ScanOutput::default();
    if let Some(e) = &stopped {
        cx.findings.push(
            Check::failed(
                rules::STRUCTURE,
                format!("not a well-formed ModelProto: {e}"),
            )
            .offset(e.offset()),
        );
        cx.findings.stop(format!(
            "the model could not be decoded past offset {}",
            e.offset()
        ));
    }
    custom_domains(&mut cx);
    let f = &cx.facts;
    let external = match f.external_tensors {
        0 => "no tensor stores its data outside the model".to_string(),
        n => format!("{n} tensors store data externally, all in files inside the model directory"),
    };
    let passed = [
        (
            rules::STRUCTURE,
            format!("ModelProto decoded to its end ({size} bytes)"),
        ),
        (rules::EXTERNAL_DATA, external),
        (
            rules::PYTHON_OP,
            format!("{} nodes, none runs a Python operator", f.nodes),
        ),
        (
            rules::CUSTOM_DOMAIN,
            "every operator comes from a standard or model-defined domain".to_string(),
        ),
        (
            rules::TENSOR_SIZE,
            format!(
                "{} tensors hold the data their shape and type need",
                f.tensors
            ),
        ),
        (
            rules::GRAPH_DEPTH,
            format!(
                "graphs nest {} levels deep, within the bound of {MAX_GRAPH_DEPTH}",
                f.graph_depth
            ),
        ),
    ];
    metadata(&cx, &mut out);
    cx.findings.finish(&passed, &mut out);
    out
}

fn custom_domains(cx: &mut Context) {
    let usage = &cx.facts.ops;
    for (domain, used) in usage.custom_domains() {
        let ops: Vec<&str> = used.ops.iter().map(String::as_str).collect();
        cx.findings.push(
            Check::failed(
                rules::CUSTOM_DOMAIN,
                format!(
                    "{} nodes use operators of custom domain {domain:?}: {}",
                    used.nodes,
                    ops.join(", ")
                ),
            )
            .locator(used.first.0.as_str())
            .offset(used.first.1)
            .evidence("domain", domain)
            .evidence("operators", ops.join(","))
            .evidence("nodes", used.nodes),
        );
    }
    let untracked = usage.untracked_custom_nodes();
    if untracked > 0 {
        cx.findings.push(
            Check::failed(
                rules::CUSTOM_DOMAIN,
                format!("{untracked} more nodes use operators of further custom domains"),
            )
            .evidence("nodes", untracked),
        );
    }
}

fn metadata(cx: &Context, out: &mut ScanOutput) {
    let f = &cx.facts;
    out.meta("format", "onnx");
    if let Some(v) = f.ir_version {
        out.meta("ir-version", v);
    }
    if let Some(name) = &f.producer_name {
        out.meta("producer-name", name);
    }
    if let Some(version) = &f.producer_version {
        out.meta("producer-version", version);
    }
    let opsets: Vec<String> = f
        .opsets
        .iter()
        .map(|(domain, version)| match domain.as_str() {
            "" => format!("ai.onnx:{version}"),
            d => format!("{d}:{version}"),
        })
        .collect();
    out.meta("opsets", opsets.join(","));
    out.meta("node-count", f.nodes);
    out.meta("initializer-count", f.initializers);
    out.meta("parameter-count", f.parameters);
    out.meta("inputs", f.inputs.join("; "));
    out.meta("outputs", f.outputs.join("; "));
    out.meta("op-types", f.ops.top(TOP_OPS));
    out.meta("op-type-count", f.ops.distinct());
    out.meta("graph-depth", f.graph_depth);
    if f.functions > 0 {
        out.meta("functions", f.functions);
    }
    if f.external_tensors > 0 {
        out.meta("external-data-tensors", f.external_tensors);
    }
    if !f.metadata_keys.is_empty() {
        out.meta("metadata-props", f.metadata_keys.join(","));
    }
}
