//! Tensor data against the file: each tensor inside it and aligned, no overlaps,
//! and no bytes in the data section that belong to no tensor beyond padding.

use cordon_plugin_sdk::{Check, ScanOutput, Severity};

use crate::report;
use crate::rules;
use crate::tensors::TensorInfo;

pub fn check(
    infos: &[TensorInfo],
    data_start: u64,
    size: u64,
    alignment: u64,
    out: &mut ScanOutput,
) {
    let data_len = size.saturating_sub(data_start);
    let mut bounds = Vec::new();
    let mut placed: Vec<(u64, u64, &str)> = Vec::new();
    for t in infos {
        let fail = |message: String| {
            Check::failed(
                rules::TENSOR_BOUNDS,
                format!("tensor {:?}: {message}", t.name),
            )
            .offset(t.at)
            .locator(t.name.as_str())
        };
        if t.offset % alignment != 0 {
            bounds.push(fail(format!(
                "data offset {} is not a multiple of the {alignment}-byte alignment",
                t.offset
            )));
        }
        let Some(bytes) = t.bytes else { continue };
        match t.offset.checked_add(bytes).filter(|end| *end <= data_len) {
            Some(end) => placed.push((t.offset, end, &t.name)),
            None => bounds.push(fail(format!(
                "{bytes} bytes at data offset {} end past the {data_len}-byte data section (file offset {data_start})",
                t.offset
            ))),
        }
    }
    out.outcome(
        rules::TENSOR_BOUNDS,
        bounds,
        format!(
            "all {} tensors lie inside the file at aligned offsets",
            infos.len()
        ),
    );
    out.meta("data-bytes", data_len);

    if placed.len() < infos.len() {
        let why = format!(
            "{} of {} tensors have no valid size or place",
            infos.len() - placed.len(),
            infos.len()
        );
        report::skipped(out, &[rules::DATA_LAYOUT], &why);
        return;
    }
    placed.sort();
    let pad = |n: u64| n.div_ceil(alignment).saturating_mul(alignment);
    let mut failures = Vec::new();
    let mut covered_to = 0u64;
    for (begin, end, name) in &placed {
        if *begin < covered_to {
            failures.push(
                Check::failed(rules::DATA_LAYOUT, format!("tensor {name:?} at data offset {begin} overlaps the previous tensor, which ends at {covered_to}"))
                    .severity(Severity::High)
                    .offset(data_start + begin)
                    .locator(*name),
            );
        } else if *begin > pad(covered_to) {
            let from = pad(covered_to);
            failures.push(
                Check::failed(
                    rules::DATA_LAYOUT,
                    format!(
                        "{} bytes at data offset {from} belong to no tensor",
                        begin - from
                    ),
                )
                .offset(data_start + from),
            );
        }
        covered_to = covered_to.max(*end);
    }
    if pad(covered_to) < data_len {
        let from = pad(covered_to);
        failures.push(
            Check::failed(
                rules::DATA_LAYOUT,
                format!(
                    "{} trailing bytes after the last tensor and its padding belong to no tensor",
                    data_len - from
                ),
            )
            .offset(data_start + from),
        );
    }
    out.outcome(
        rules::DATA_LAYOUT,
        failures,
        format!(
            "{} tensors cover the {data_len}-byte data section",
            placed.len()
        ),
    );
}
