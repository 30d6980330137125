//! Turns the model read from the flatbuffer into checks and metadata.

use std::collections::{BTreeMap, BTreeSet};

use cordon_plugin_sdk::{Check, ScanOutput, Severity, Status};

use crate::flatbuf::Flatbuf;
use crate::model::{self, Model, Tensor};
use crate::ops::{self, Custom};
use crate::rules;
use crate::source::Source;
use cordon_plugin_sdk::Findings;

/// The schema version every current converter writes.
const SCHEMA_VERSION: u32 = 3;
/// Operator names listed in the `op-histogram` metadata.
const HISTOGRAM_ENTRIES: usize = 20;

pub fn analyze(src: &dyn Source, out: &mut ScanOutput) {
    out.meta("format", "tflite");
    let fb = Flatbuf::new(src);
    let model = match model::read(&fb) {
        Ok(model) => model,
        Err(e) => {
            out.push(
                Check::failed(
                    rules::STRUCTURE,
                    format!("cannot read the model's root table: {e}"),
                )
                .offset(0),
            );
            return;
        }
    };
    let mut f = Findings::default();
    structure(&model, &mut f, out);
    let op_names = operator_codes(&model, &mut f, out);
    operators(&model, &op_names, &mut f, out);
    tensors(&model, &mut f, out);
    buffers(&fb, &model, &mut f, out);
    metadata(&fb, &model, &mut f, out);
}

fn structure(model: &Model, f: &mut Findings, out: &mut ScanOutput) {
    if model.version != SCHEMA_VERSION {
        let check = Check::failed(
            rules::STRUCTURE,
            format!("schema version is {}, not {SCHEMA_VERSION}", model.version),
        )
        .severity(Severity::Low)
        .evidence("version", model.version);
        f.fail(out, rules::STRUCTURE, check);
    }
    for p in &model.problems {
        let check = Check::failed(rules::STRUCTURE, format!("{}: {}", p.locator, p.message))
            .locator(&p.locator);
        f.fail(out, rules::STRUCTURE, check);
    }
    f.finish(
        out,
        rules::STRUCTURE,
        "offsets, vtables, vectors and strings lie inside the file",
    );
    for what in &model.truncated {
        let check = Check::new(
            rules::LIMITS,
            Status::Error,
            format!("only part of the model was inspected: {what} elements"),
        );
        f.fail(out, rules::LIMITS, check);
    }
    f.finish(
        out,
        rules::LIMITS,
        format!(
            "every element was inspected (limit {} per kind)",
            model::MAX_ELEMENTS
        ),
    );
    out.meta("version", model.version);
    if let Some(description) = &model.description {
        out.meta("description", description);
    }
    out.meta("subgraph-count", model.subgraphs.len());
}

/// Check every custom code; returns each operator code's display name.
fn operator_codes(model: &Model, f: &mut Findings, out: &mut ScanOutput) -> Vec<String> {
    let mut custom = BTreeSet::new();
    let mut flex = BTreeSet::new();
    for (i, code) in model.opcodes.iter().enumerate() {
        let locator = format!("operator_codes[{i}]");
        match (code.builtin, code.custom.as_deref()) {
            (ops::CUSTOM, Some(name)) => match ops::classify(name) {
                Custom::Flex { severity, why } => {
                    flex.insert(name.to_string());
                    let check = Check::failed(rules::FLEX_OP, format!("Flex op `{name}` {why}"))
                        .severity(severity)
                        .locator(locator)
                        .evidence("custom_code", name);
                    f.fail(out, rules::FLEX_OP, check);
                }
                Custom::Other => {
                    custom.insert(name.to_string());
                }
            },
            (ops::CUSTOM, None) => {
                let check = Check::failed(
                    rules::STRUCTURE,
                    "CUSTOM operator code without a custom_code name",
                )
                .locator(locator);
                f.fail(out, rules::STRUCTURE, check);
            }
            _ => {}
        }
    }
    f.finish(out, rules::FLEX_OP, "no Flex (TensorFlow) operators");
    if custom.is_empty() {
        out.push(Check::passed(rules::CUSTOM_OP, "only builtin operators"));
    } else {
        let list = custom.iter().cloned().collect::<Vec<_>>().join(", ");
        out.push(
            Check::failed(
                rules::CUSTOM_OP,
                format!("custom operators need kernels registered by the application: {list}"),
            )
            .evidence("custom_ops", &list),
        );
        out.meta("custom-ops", list);
    }
    if !flex.is_empty() {
        out.meta("flex-ops", flex.into_iter().collect::<Vec<_>>().join(", "));
    }
    out.meta("operator-code-count", model.opcodes.len());
    model
        .opcodes
        .iter()
        .map(|c| ops::name(c.builtin, c.custom.as_deref()))
        .collect()
}

fn operators(model: &Model, names: &[String], f: &mut Findings, out: &mut ScanOutput) {
    let mut histogram: BTreeMap<&str, u64> = BTreeMap::new();
    let mut total = 0u64;
    for (s, sg) in model.subgraphs.iter().enumerate() {
        for (i, op) in sg.operators.iter().enumerate() {
            total += 1;
            match names.get(op.opcode_index as usize) {
                Some(name) => *histogram.entry(name).or_default() += 1,
                None => {
                    let check = Check::failed(
                        rules::OPCODE_INDEX,
                        format!(
                            "opcode_index {} is past the {} operator codes",
                            op.opcode_index,
                            names.len()
                        ),
                    )
                    .locator(format!("subgraphs[{s}].operators[{i}]"));
                    f.fail(out, rules::OPCODE_INDEX, check);
                }
            }
        }
    }
    f.finish(
        out,
        rules::OPCODE_INDEX,
        format!("{total} operators name existing operator codes"),
    );
    out.meta("operator-count", total);
    let mut counts: Vec<_> = histogram.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<_> = counts
        .iter()
        .take(HISTOGRAM_ENTRIES)
        .map(|(n, c)| format!("{n}:{c}"))
        .collect();
    out.meta("op-histogram", shown.join(","));
}

fn tensors(model: &Model, f: &mut Findings, out: &mut ScanOutput) {
    let mut count = 0u64;
    let mut parameters = 0u64;
    for (s, sg) in model.subgraphs.iter().enumerate() {
        for (i, t) in sg.tensors.iter().enumerate() {
            count += 1;
            let locator = format!("subgraphs[{s}].tensors[{i}] {}", t.name);
            let elements = shape_elements(t, &locator, f, out);
            let Some(buffer) = model.buffers.get(t.buffer as usize) else {
                let check = Check::failed(
                    rules::TENSOR_BUFFER,
                    format!(
                        "buffer index {} is past the {} buffers",
                        t.buffer,
                        model.buffers.len()
                    ),
                )
                .locator(locator);
                f.fail(out, rules::TENSOR_BUFFER, check);
                continue;
            };
            let stored = match buffer.data {
                Some((_, len)) if len > 0 => len as u64,
                _ if buffer.offset > 1 => buffer.size,
                _ => continue,
            };
            let Some(elements) = elements else { continue };
            parameters = parameters.saturating_add(elements);
            let expected = if t.dtype == ops::INT4 {
                Some(elements.div_ceil(2))
            } else {
                ops::type_size(t.dtype).and_then(|size| elements.checked_mul(size))
            };
            match expected {
                Some(expected) if !t.sparse && expected != stored => {
                    let check = Check::failed(
                        rules::BUFFER_SIZE,
                        format!(
                            "{} tensor of {elements} elements needs {expected} bytes but its buffer {} holds {stored}",
                            ops::type_name(t.dtype),
                            t.buffer
                        ),
                    )
                    .locator(locator)
                    .evidence("expected", expected)
                    .evidence("stored", stored);
                    f.fail(out, rules::BUFFER_SIZE, check);
                }
                _ => {}
            }
        }
    }
    f.finish(
        out,
        rules::TENSOR_BUFFER,
        format!("{count} tensors name existing buffers"),
    );
    f.finish(out, rules::TENSOR_SHAPE, "every tensor shape is sane");
    f.finish(
        out,
        rules::BUFFER_SIZE,
        "constant data matches each tensor's shape and type",
    );
    out.meta("tensor-count", count);
    out.meta("parameter-count", parameters);
}

/// The tensor's element count, or `None` (with a failed check) when its shape is insane.
fn shape_elements(
    t: &Tensor,
    locator: &str,
    f: &mut Findings,
    out: &mut ScanOutput,
) -> Option<u64> {
    let problem = match &t.shape {
        None => Err(format!("rank {} is above {}", t.rank, model::MAX_RANK)),
        Some(dims) => match dims.iter().find(|d| **d < 0) {
            Some(d) => Err(format!("negative dimension {d} in shape {dims:?}")),
            None => dims
                .iter()
                .try_fold(1u64, |acc, d| acc.checked_mul(*d as u64))
                .ok_or_else(|| format!("shape {dims:?} has more than 2^64 elements")),
        },
    };
    problem
        .map_err(|message| {
            let check = Check::failed(rules::TENSOR_SHAPE, message).locator(locator);
            f.fail(out, rules::TENSOR_SHAPE, check);
        })
        .ok()
}

fn buffers(fb: &Flatbuf, model: &Model, f: &mut Findings, out: &mut ScanOutput) {
    let size = fb.size();
    let mut external = 0u64;
    for (i, b) in model.buffers.iter().enumerate() {
        // Offsets 0 and 1 mean "no external data" in the schema.
        if b.offset <= 1 {
            continue;
        }
        external += 1;
        if b.offset.checked_add(b.size).is_none_or(|end| end > size) {
            let check = Check::failed(
                rules::BUFFER_BOUNDS,
                format!(
                    "external buffer at offset {} of {} bytes runs past the {size}-byte file",
                    b.offset, b.size
                ),
            )
            .locator(format!("buffers[{i}]"))
            .evidence("offset", b.offset)
            .evidence("size", b.size);
            f.fail(out, rules::BUFFER_BOUNDS, check);
        }
    }
    f.finish(
        out,
        rules::BUFFER_BOUNDS,
        format!("{external} external buffers lie inside the file"),
    );
    out.meta("buffer-count", model.buffers.len());
    if external > 0 {
        out.meta("external-buffers", external);
    }
}

fn metadata(fb: &Flatbuf, model: &Model, f: &mut Findings, out: &mut ScanOutput) {
    let mut names = Vec::new();
    for (i, m) in model.metadata.iter().enumerate() {
        names.push(m.name.clone());
        let Some(buffer) = model.buffers.get(m.buffer as usize) else {
            let check = Check::failed(
                rules::METADATA,
                format!(
                    "metadata `{}` names buffer {} of {}",
                    m.name,
                    m.buffer,
                    model.buffers.len()
                ),
            )
            .locator(format!("metadata[{i}]"));
            f.fail(out, rules::METADATA, check);
            continue;
        };
        if m.name == "min_runtime_version"
            && let Some((pos, len)) = buffer.data
            && let Ok(bytes) = fb.slice(pos, len.min(32) as usize)
        {
            let text = String::from_utf8_lossy(&bytes);
            out.meta("min-runtime-version", text.trim_end_matches('\0'));
        }
    }
    f.finish(
        out,
        rules::METADATA,
        format!("{} metadata entries name existing buffers", names.len()),
    );
    if !names.is_empty() {
        out.meta("metadata-entries", names.join(", "));
    }
}
